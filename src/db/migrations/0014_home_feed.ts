import { sql, type Kysely } from "kysely";

/**
 * Issue #15: the home timeline as a materialised feed per local actor, written when a post arrives
 * (as Mastodon does). Reading the global (published_at, id) index newest first and skipping every
 * post of an actor not followed took seconds with a million posts; a feed is one range of its
 * primary key. Owned by the posts module (post/home-feed.ts).
 *
 * - `feed_id`: the local actor whose timeline it is;
 * - `post_id`, `published_at`: the entry (a post or a boost row) and its timeline position, the
 *   timeline's cursor;
 * - `author_id`: the entry's actor (the booster for a boost), so an unfollow removes one actor's
 *   entries with a range of `home_feed_author`.
 *
 * What the reader may see (visibility, mentions, blocks, deleted posts) is decided when reading, so
 * the feed only answers "whose entries", and rows of deleted posts or boosts are skipped by the join.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("home_feed")
    .addColumn("feed_id", "text", (c) => c.notNull())
    .addColumn("published_at", "text", (c) => c.notNull())
    .addColumn("post_id", "text", (c) => c.notNull())
    .addColumn("author_id", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("home_feed_pk", ["feed_id", "published_at", "post_id"])
    .execute();
  await db.schema.createIndex("home_feed_author").on("home_feed").columns(["feed_id", "author_id"]).execute();
  // Existing timelines, complete: every published entry of every accepted followee of a local
  // actor. Set-based, so both engines use a hash or merge join over the
  // follow pairs and posts' (actor_id, id) index instead of one statement per follow.
  await sql`INSERT INTO home_feed (feed_id, published_at, post_id, author_id)
    SELECT f.follower_id, p.published_at, p.id, p.actor_id
    FROM follows f
    JOIN actors a ON a.id = f.follower_id AND a.is_local = 1
    JOIN posts p ON p.actor_id = f.followee_id
    WHERE f.state = 'accepted' AND p.state = 'published' AND p.published_at IS NOT NULL`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("home_feed").ifExists().execute();
}
