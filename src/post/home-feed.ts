import { sql, type Kysely } from "kysely";
import type { DB } from "../db/schema.ts";
import type { AcceptedFollowsListener } from "../social/accepted-follows.ts";
import { localAcceptedFollowersOf } from "../social/followers.repository.ts";

/**
 * The posts module's materialised home timelines (`home_feed`, migrations/0014_home_feed.ts): which
 * entries (posts and boost rows) each local actor's timeline holds, written when they are stored and
 * when follows begin or end, in the same transaction, so a timeline never disagrees with the follows
 * and posts it was made from. What the reader may see is decided when reading (`PostRepository.timeline`).
 */

/** How many of a followee's newest entries a follow accepted later brings into the follower's timeline (Mastodon's figure). */
export const FOLLOW_BACKFILL = 40;

/** An entry as the feed needs it. */
export interface FeedEntry {
  readonly id: string;
  readonly actorId: string;
  readonly state: string;
  readonly publishedAt: string | null;
}

/**
 * A post or boost row just stored: into the timeline of every local actor that follows its actor
 * (one INSERT … SELECT, however many they are). An account's own posts are not in its timeline
 * (unless it follows itself): the timeline has always been "what the accounts I follow posted".
 */
export async function addToHomeFeeds(trx: Kysely<DB>, entry: FeedEntry): Promise<void> {
  if (entry.state !== "published" || entry.publishedAt === null) return;
  // Typed parameters: PostgreSQL cannot infer the type of a bare parameter in a select list.
  const text = (value: string) => sql<string>`cast(${value} as text)`;
  await trx
    .insertInto("home_feed")
    .columns(["feed_id", "published_at", "post_id", "author_id"])
    .expression(
      localAcceptedFollowersOf(trx, entry.actorId).select([text(entry.publishedAt).as("published_at"), text(entry.id).as("post_id"), text(entry.actorId).as("author_id")]),
    )
    .onConflict((oc) => oc.doNothing())
    .execute();
}

/** Accepted follows that began: the followee's newest entries into a local follower's timeline. */
export async function followsBeganInFeeds(trx: Kysely<DB>, follows: readonly { readonly follower_id: string; readonly followee_id: string }[]): Promise<void> {
  for (const follow of follows) {
    await trx
      .insertInto("home_feed")
      .columns(["feed_id", "published_at", "post_id", "author_id"])
      .expression(
        trx
          .selectFrom("posts")
          .select([sql<string>`cast(${follow.follower_id} as text)`.as("feed_id"), sql<string>`posts.published_at`.as("published_at"), "posts.id", "posts.actor_id"])
          .where("posts.actor_id", "=", follow.followee_id)
          .where("posts.state", "=", "published")
          .where("posts.published_at", "is not", null)
          // Remote followers have no timeline here.
          .where((eb) => eb.exists(eb.selectFrom("actors").select("actors.id").where("actors.id", "=", follow.follower_id).where("actors.is_local", "=", 1)))
          .orderBy("posts.published_at", "desc")
          .orderBy("posts.id", "desc")
          .limit(FOLLOW_BACKFILL),
      )
      .onConflict((oc) => oc.doNothing())
      .execute();
  }
}

/** Accepted follows that ended (unfollow, rejection, block, an actor gone): the followee's entries leave the follower's timeline. */
export async function followsEndedInFeeds(trx: Kysely<DB>, follows: readonly { readonly follower_id: string; readonly followee_id: string }[]): Promise<void> {
  for (const follow of follows) {
    await trx.deleteFrom("home_feed").where("feed_id", "=", follow.follower_id).where("author_id", "=", follow.followee_id).execute();
  }
}

/**
 * The home timelines' part of a follow change, registered on social's `AcceptedFollows` by
 * `createPostModule`: runs in the follow's transaction, so a timeline never disagrees with the follows.
 */
export const homeFeedFollowsListener: AcceptedFollowsListener = async (trx, follows, sign) => {
  if (sign === 1) await followsBeganInFeeds(trx, follows);
  else await followsEndedInFeeds(trx, follows);
};
