import type { Selectable } from "kysely";
import type { FollowRow } from "../db/schema.ts";
import type { Actor } from "../actor/actor.entity.ts";

export const FOLLOW_STATES = ["pending", "accepted"] as const;
export type FollowState = (typeof FOLLOW_STATES)[number];

/** Why a follow ended; kept in the follow history for the "followers lost" figures ("gone": the actor or its inbox no longer exists). */
export type FollowEndReason = "unfollow" | "reject" | "block" | "move" | "gone";

/**
 * A follow in either direction: a local account following a remote (or local) actor, or a remote
 * actor following a local account. `uri` is the id of the Follow activity — the one Herold sent, or
 * the one received (a repeated Follow replaces it, so an Undo of the newest one matches).
 */
export interface Follow {
  readonly id: string;
  readonly followerId: string;
  readonly followeeId: string;
  readonly state: FollowState;
  readonly uri: string | null;
  readonly createdAt: string;
  readonly acceptedAt: string | null;
  readonly updatedAt: string;
}

/** A follow together with the actor on the other side, for lists. */
export interface FollowWithActor {
  readonly follow: Follow;
  readonly actor: Actor;
}

export function followFromRow(row: Selectable<FollowRow>): Follow {
  return {
    id: row.id,
    followerId: row.follower_id,
    followeeId: row.followee_id,
    state: row.state === "accepted" ? "accepted" : "pending",
    uri: row.uri,
    createdAt: row.created_at,
    acceptedAt: row.accepted_at,
    updatedAt: row.updated_at,
  };
}
