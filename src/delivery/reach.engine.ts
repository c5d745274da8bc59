import type { Kysely } from "kysely";
import type { DB } from "../db/schema.ts";

/** One pending outcome as the engines insert it. */
export interface OutcomeRow {
  readonly activityId: string;
  readonly inbox: string;
  readonly host: string;
  readonly postId: string;
}

/**
 * The two statements of `delivery_outcomes` that a fan-out runs with thousands of values, written
 * per engine so the values travel as one parameter (a JSON array on SQLite, arrays on PostgreSQL),
 * as the queue's own inserts do: a multi-row VALUES list with six parameters per row took five times
 * as long as queueing the jobs themselves. Picked once by `Database.kind` (reach.repository.ts).
 */
export interface ReachEngine {
  /** Inserts pending outcomes, keeping any already recorded for the same (activity, inbox). */
  insertPending(executor: Kysely<DB>, rows: readonly OutcomeRow[], now: string): Promise<void>;
  /** Sets `state` on the still pending outcomes of `activityId` at these inboxes. */
  settle(executor: Kysely<DB>, activityId: string, inboxes: readonly string[], state: string, at: string): Promise<void>;
}
