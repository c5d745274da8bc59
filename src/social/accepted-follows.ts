import type { Kysely } from "kysely";
import type { DB } from "../db/schema.ts";
import { followsBeganInFeeds, followsEndedInFeeds } from "../post/home-feed.ts";
import { countAcceptedFollows } from "./follow.counters.ts";

/**
 * Everything kept in step with accepted follows, in the caller's transaction: social's counters and
 * the posts module's home timelines (a follow accepted brings the followee's recent posts in, an
 * ended one takes them out). Every write that makes a follow accepted or ends an accepted one calls
 * this, so no path (unfollow, reject, block, an actor gone, a dead inbox) can forget one of them.
 */
export async function acceptedFollowsChanged(trx: Kysely<DB>, follows: readonly { readonly follower_id: string; readonly followee_id: string }[], sign: 1 | -1): Promise<void> {
  if (follows.length === 0) return;
  await countAcceptedFollows(trx, follows, sign);
  if (sign === 1) await followsBeganInFeeds(trx, follows);
  else await followsEndedInFeeds(trx, follows);
}
