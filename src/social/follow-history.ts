import type { Expression, ExpressionBuilder, Kysely, SqlBool } from "kysely";
import type { DB } from "../db/schema.ts";
import { newId } from "../lib/id.ts";
import type { ActorGoneListener } from "../actor/actor-gone.ts";
import type { FollowEndReason } from "./follow.entity.ts";
import type { AcceptedFollows } from "./accepted-follows.ts";

/**
 * Ends every follow matching `where` and records each in `follow_events`, in the caller's
 * transaction. Follows are deleted when they end, so this history is the only place "followers lost
 * per day" can be counted from: every path that removes follows in bulk (an actor gone, a dead
 * inbox) goes through here.
 */
export async function endFollowsWhere(
  trx: Kysely<DB>,
  where: (eb: ExpressionBuilder<DB, "follows">) => Expression<SqlBool>,
  reason: FollowEndReason,
  now: string,
  accepted: AcceptedFollows,
): Promise<number> {
  const ended = await trx.deleteFrom("follows").where(where).returning(["follower_id", "followee_id", "state"]).execute();
  if (ended.length > 0) {
    await accepted.changed(
      trx,
      ended.filter((f) => f.state === "accepted"),
      -1,
      now,
    );
    await trx
      .insertInto("follow_events")
      .values(
        ended.map((f) => ({
          id: newId(),
          follower_id: f.follower_id,
          followee_id: f.followee_id,
          kind: "ended",
          reason,
          was_accepted: f.state === "accepted" ? 1 : 0,
          created_at: now,
        })),
      )
      .execute();
  }
  return ended.length;
}

/**
 * Social's part of actors going (subscribed to the actor module's `ActorGoneAnnouncer` by
 * `createSocialModule`): a gone actor loses every follow in both directions; an actor whose personal
 * inbox answered 404 stops following local accounts. Each ended follow is recorded as `gone`.
 */
export const endFollowsOfGoneActors = (accepted: AcceptedFollows): ActorGoneListener => async (gone, trx) =>
  await endFollowsWhere(
    trx,
    gone.evidence === "actor"
      ? (eb) => eb.or([eb("follower_id", "in", [...gone.actorIds]), eb("followee_id", "in", [...gone.actorIds])])
      : (eb) => eb.and([eb("follower_id", "in", [...gone.actorIds]), eb("followee_id", "in", eb.selectFrom("actors").select("id").where("is_local", "=", 1))]),
    "gone",
    gone.now,
    accepted,
  );

/**
 * The follow history's accepted-follow changes as a derived table (`followee_id`, `follower_id`,
 * `created_at`, `gained` 1/0, `lost` 1/0): a follow accepted, or an accepted one ended. What insights'
 * recount sums into followers gained and lost; owned here so `follow_events` stays social's table.
 */
export function acceptedFollowChanges(source: Kysely<DB> | ExpressionBuilder<any, any>) {
  return (source as Kysely<DB>)
    .selectFrom("follow_events")
    .select((eb) => [
      "follow_events.followee_id",
      "follow_events.follower_id",
      "follow_events.created_at",
      eb.case().when("follow_events.kind", "=", "accepted").then(1).else(0).end().as("gained"),
      eb.case().when("follow_events.kind", "=", "ended").then(1).else(0).end().as("lost"),
    ])
    .where((eb) => eb.or([eb("follow_events.kind", "=", "accepted"), eb.and([eb("follow_events.kind", "=", "ended"), eb("follow_events.was_accepted", "=", 1)])]));
}
