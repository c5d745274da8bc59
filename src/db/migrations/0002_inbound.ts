import type { Kysely } from "kysely";

/**
 * Inbound federation (issue #3):
 * - `instance_actor`: the key pair of the instance actor (`/actor`), an `Application` that signs
 *   fetches made on behalf of the server rather than of one account. One row (`id = 'main'`). It is
 *   deliberately not an `accounts` row: it has no profile, no posts, no followers and must not count
 *   as a user (NodeInfo) or show up in account lists.
 * - `actors.public_key_id` index: the inbox looks up signature keys by id on every cache miss.
 * - `inbox_seen.received_at` index: old idempotency entries are purged by age.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("instance_actor")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("rsa_public_pem", "text", (c) => c.notNull())
    .addColumn("rsa_private_pem", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("actors_public_key_id").on("actors").column("public_key_id").execute();
  await db.schema.createIndex("inbox_seen_received_at").on("inbox_seen").column("received_at").execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex("inbox_seen_received_at").ifExists().execute();
  await db.schema.dropIndex("actors_public_key_id").ifExists().execute();
  await db.schema.dropTable("instance_actor").ifExists().execute();
}
