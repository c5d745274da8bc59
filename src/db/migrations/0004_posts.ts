import type { Kysely } from "kysely";

/**
 * Indexes the posts module's lookups need beyond the initial schema:
 * - boosts of a post (`boost_of_id`): removing boosts when a post is deleted, timelines joining boosts;
 * - outbox activities by object (`object_uri`): finding the Like or Announce an Undo must embed, and the
 *   Create of a post when its activity id is dereferenced;
 * - posts by publication time: the home timeline merges many authors newest first.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex("posts_boost_of").on("posts").column("boost_of_id").execute();
  await db.schema.createIndex("posts_published").on("posts").columns(["published_at", "id"]).execute();
  await db.schema.createIndex("outbox_activities_object").on("outbox_activities").columns(["object_uri", "type"]).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex("outbox_activities_object").ifExists().execute();
  await db.schema.dropIndex("posts_published").ifExists().execute();
  await db.schema.dropIndex("posts_boost_of").ifExists().execute();
}
