import type { Kysely } from "kysely";
import type { DB } from "../db/schema.ts";

/**
 * What the outbound bridge needs from the delivery engine: one durable job per distinct inbox.
 * The activity itself is stored once (outbox_activities) and referenced by id; jobs carry no keys.
 */
export interface DeliveryPort {
  /** Enqueues deliveries of a stored activity; returns how many jobs were created. Runs inside `executor` when given. */
  enqueue(input: DeliveryRequest, executor?: Kysely<DB>): Promise<number>;
}

/**
 * Where the deliver jobs read the activity they send: federation's outbox (`outbox_activities`),
 * handed in at the composition root because delivery is wired before federation.
 */
export interface OutboxReader {
  /** The stored activity with this id: its serialised JSON and the local actor that sent it. */
  findById(id: string): Promise<{ readonly json: string; readonly actorId: string } | null>;
}

export interface DeliveryRequest {
  readonly outboxActivityId: string;
  /** The local account whose keys sign the deliveries. */
  readonly accountId: string;
  /** Inbox URLs (shared inboxes preferred by the caller); duplicates are removed by the engine. */
  readonly inboxes: readonly string[];
  /**
   * Keep the outcome per inbox, for the reach of this local post (its Create): recorded pending in
   * the transaction that queues the jobs and settled by them (`DeliveryModule.reach`).
   */
  readonly reach?: { readonly postId: string };
}
