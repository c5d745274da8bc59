import { sql, type Kysely } from "kysely";

/**
 * Issue #15 goal 1: counts from counters kept with the writes, and indexes that serve the lists.
 *
 * `counters` holds deltas in slots: a writer adds to one of a few rows of (scope, name) chosen at
 * random, a reader sums them. Several workers counting the same account's posts or followers then
 * update different rows instead of queueing on one (goal 3's hot rows); the sum is over at most
 * `COUNTER_SLOTS` rows found by the primary key. The backfill below computes the same counts the
 * former `COUNT(*)` queries did; `herold repair` recomputes them at any time.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("counters")
    .addColumn("scope", "text", (c) => c.notNull()) // an actor id, or "instance"
    .addColumn("name", "text", (c) => c.notNull()) // "<module>.<what>", e.g. posts.public
    .addColumn("slot", "integer", (c) => c.notNull())
    .addColumn("value", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("counters_pk", ["scope", "name", "slot"])
    .execute();
  await sql`INSERT INTO counters (scope, name, slot, value)
    SELECT actor_id, 'posts.' || visibility, 0, count(*) FROM posts
    WHERE state = 'published' AND boost_of_id IS NULL GROUP BY actor_id, visibility`.execute(db);
  await sql`INSERT INTO counters (scope, name, slot, value)
    SELECT actor_id, 'posts.boosts', 0, count(*) FROM posts
    WHERE state = 'published' AND boost_of_id IS NOT NULL GROUP BY actor_id`.execute(db);
  await sql`INSERT INTO counters (scope, name, slot, value)
    SELECT 'instance', 'posts.local', 0, count(*) FROM posts WHERE is_local = 1 AND state = 'published'`.execute(db);
  await sql`INSERT INTO counters (scope, name, slot, value)
    SELECT followee_id, 'social.followers', 0, count(*) FROM follows WHERE state = 'accepted' GROUP BY followee_id`.execute(db);
  await sql`INSERT INTO counters (scope, name, slot, value)
    SELECT follower_id, 'social.following', 0, count(*) FROM follows WHERE state = 'accepted' GROUP BY follower_id`.execute(db);

  // `state` is 'published' on nearly every row and `scheduled_at` always NULL (scheduling lives in
  // `drafts`): no query needs it, and without statistics SQLite drove whole-table scans from it.
  await db.schema.dropIndex("posts_state_scheduled").ifExists().execute();
  // A profile's posts, newest first, paged by id: a range of (actor_id, id) read backwards.
  await db.schema.createIndex("posts_actor_id").on("posts").columns(["actor_id", "id"]).execute();
  // Followers and following pages, newest follow first, paged by follows.id: no temp B-tree.
  await db.schema.createIndex("follows_followee_id").on("follows").columns(["followee_id", "state", "id"]).execute();
  await db.schema.createIndex("follows_follower_id").on("follows").columns(["follower_id", "state", "id"]).execute();
  // The calendar: an account's scheduled drafts in a time range, in time order. With the state
  // first ((account_id, state, scheduled_at)), two states meant two ranges merged in a temp B-tree.
  // It replaces that one: every query of drafts names the account, and the few states are a filter.
  await db.schema.createIndex("drafts_account_scheduled").on("drafts").columns(["account_id", "scheduled_at"]).execute();
  await db.schema.dropIndex("drafts_account_state").ifExists().execute();
  // The (…, state) indexes are prefixes of the new ones.
  await db.schema.dropIndex("follows_followee_state").ifExists().execute();
  await db.schema.dropIndex("follows_follower_state").ifExists().execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex("follows_follower_state").on("follows").columns(["follower_id", "state"]).execute();
  await db.schema.createIndex("follows_followee_state").on("follows").columns(["followee_id", "state"]).execute();
  await db.schema.createIndex("drafts_account_state").on("drafts").columns(["account_id", "state", "scheduled_at"]).execute();
  await db.schema.dropIndex("drafts_account_scheduled").ifExists().execute();
  await db.schema.dropIndex("follows_follower_id").ifExists().execute();
  await db.schema.dropIndex("follows_followee_id").ifExists().execute();
  await db.schema.dropIndex("posts_actor_id").ifExists().execute();
  await db.schema.createIndex("posts_state_scheduled").on("posts").columns(["state", "scheduled_at"]).execute();
  await db.schema.dropTable("counters").ifExists().execute();
}
