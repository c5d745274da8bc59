import type { Kysely } from "kysely";
import { addToCounters, counterKey, lockCounters, readCounterSum, reconcileCounters, type CounterCorrection } from "../db/counters.ts";
import { toCount } from "../db/rows.ts";
import type { DB } from "../db/schema.ts";

/**
 * Social's counters (db/counters.ts): accepted followers and accepted followings per actor, what
 * profile pages and the followers/following collections show. Every write that makes a follow
 * accepted or ends an accepted one calls `countAcceptedFollows` in its transaction (through `acceptedFollowsChanged`, accepted-follows.ts).
 */
export const FOLLOWERS = "social.followers";
const FOLLOWING = "social.following";

/** `sign` accepted follows appeared (+1) or ended (-1). */
export async function countAcceptedFollows(trx: Kysely<DB>, follows: readonly { readonly follower_id: string; readonly followee_id: string }[], sign: 1 | -1): Promise<void> {
  await addToCounters(
    trx,
    follows.flatMap((f) => [
      { scope: f.followee_id, name: FOLLOWERS, delta: sign },
      { scope: f.follower_id, name: FOLLOWING, delta: sign },
    ]),
  );
}

export async function acceptedFollowerCount(db: Kysely<DB>, actorId: string): Promise<number> {
  return await readCounterSum(db, actorId, [FOLLOWERS]);
}

export async function acceptedFollowingCount(db: Kysely<DB>, actorId: string): Promise<number> {
  return await readCounterSum(db, actorId, [FOLLOWING]);
}

/** `herold repair`: recounts social's counters from `follows` and corrects the stored ones. */
export async function repairFollowCounters(db: Kysely<DB>): Promise<CounterCorrection[]> {
  return await db.transaction().execute(async (trx) => {
    await lockCounters(trx, [FOLLOWERS, FOLLOWING]);
    const truth = new Map<string, number>();
    const followers = await trx.selectFrom("follows").select(["followee_id", (eb) => eb.fn.countAll().as("n")]).where("state", "=", "accepted").groupBy("followee_id").execute();
    for (const r of followers) truth.set(counterKey(r.followee_id, FOLLOWERS), toCount(r.n));
    const following = await trx.selectFrom("follows").select(["follower_id", (eb) => eb.fn.countAll().as("n")]).where("state", "=", "accepted").groupBy("follower_id").execute();
    for (const r of following) truth.set(counterKey(r.follower_id, FOLLOWING), toCount(r.n));
    return await reconcileCounters(trx, [FOLLOWERS, FOLLOWING], truth);
  });
}
