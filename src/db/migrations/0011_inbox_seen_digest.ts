import { sql, type Kysely } from "kysely";

/**
 * `inbox_seen` keyed by activity id *and* content digest (issue #10 item 10): some servers reuse ids
 * for different activities (Hollo's `…#accepts/<follower>` for every Accept of one follower), and
 * dropping those as repeats left follows pending forever. Only a redelivery of the same activity
 * (same id, same content) is a repeat now. Rows from before keep their id with an empty digest, which
 * no delivery has: an activity already received before the upgrade and redelivered after it is
 * processed once more (inbox handlers are idempotent), instead of a different one being dropped.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("inbox_seen_digests")
    .addColumn("uri", "text", (c) => c.notNull())
    .addColumn("digest", "text", (c) => c.notNull())
    .addColumn("received_at", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("inbox_seen_uri_digest", ["uri", "digest"])
    .execute();
  await sql`INSERT INTO inbox_seen_digests (uri, digest, received_at) SELECT uri, '', received_at FROM inbox_seen`.execute(db);
  await db.schema.dropTable("inbox_seen").execute();
  await db.schema.alterTable("inbox_seen_digests").renameTo("inbox_seen").execute();
  await db.schema.createIndex("inbox_seen_received_at").on("inbox_seen").column("received_at").execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.createTable("inbox_seen_ids").addColumn("uri", "text", (c) => c.primaryKey()).addColumn("received_at", "text", (c) => c.notNull()).execute();
  await sql`INSERT INTO inbox_seen_ids (uri, received_at) SELECT uri, MAX(received_at) FROM inbox_seen GROUP BY uri`.execute(db);
  await db.schema.dropTable("inbox_seen").execute();
  await db.schema.alterTable("inbox_seen_ids").renameTo("inbox_seen").execute();
  await db.schema.createIndex("inbox_seen_received_at").on("inbox_seen").column("received_at").execute();
}
