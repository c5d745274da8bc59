import type { Kysely } from "kysely";

/**
 * The follow history: follows rows are deleted when a follow ends (the unique pair must be free for
 * a new follow), so the analytics "followers gained, lost and net per day" need a ledger of their
 * own. One row per transition; nothing here is ever updated or deleted by the social module.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("follow_events")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("follower_id", "text", (c) => c.notNull().references("actors.id").onDelete("cascade"))
    .addColumn("followee_id", "text", (c) => c.notNull().references("actors.id").onDelete("cascade"))
    .addColumn("kind", "text", (c) => c.notNull()) // requested | accepted | ended
    .addColumn("reason", "text") // ended: unfollow | reject | block | move | gone
    .addColumn("was_accepted", "integer", (c) => c.notNull().defaultTo(0)) // ended: 1 when a follower was lost
    .addColumn("created_at", "text", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("follow_events_followee").on("follow_events").columns(["followee_id", "created_at"]).execute();
  await db.schema.createIndex("follow_events_follower").on("follow_events").columns(["follower_id", "created_at"]).execute();

  // Lookups the social module makes on every inbound Like/Undo and every notification list.
  await db.schema.createIndex("blocks_target").on("blocks").column("target_id").execute();
  await db.schema.createIndex("blocks_uri").on("blocks").column("uri").execute();
  await db.schema.createIndex("follows_follower_state").on("follows").columns(["follower_id", "state"]).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex("follows_follower_state").ifExists().execute();
  await db.schema.dropIndex("blocks_uri").ifExists().execute();
  await db.schema.dropIndex("blocks_target").ifExists().execute();
  await db.schema.dropTable("follow_events").ifExists().execute();
}
