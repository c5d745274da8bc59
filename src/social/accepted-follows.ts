import type { Kysely } from "kysely";
import type { DB } from "../db/schema.ts";
import { countAcceptedFollows } from "./follow.counters.ts";

/** Follows that became accepted (+1) or ended while accepted (-1), as rows of `follows`. */
export type AcceptedFollowRows = readonly { readonly follower_id: string; readonly followee_id: string }[];

/** What another module keeps in step with accepted follows, inside the follow's own transaction. */
/** `at`: when the change happened (ISO-8601), the time its follow_events row records. */
export type AcceptedFollowsListener = (trx: Kysely<DB>, follows: AcceptedFollowRows, sign: 1 | -1, at: string) => Promise<void>;

/**
 * Everything kept in step with accepted follows, in the caller's transaction: social's counters, and
 * what other modules register (the posts module's home timelines: a follow accepted brings the
 * followee's recent posts in, an ended one takes them out). Every write that makes a follow accepted
 * or ends an accepted one goes through `changed`, so no path (unfollow, reject, block, an actor gone,
 * a dead inbox) can forget one of them. Listeners are registered by the composition root's modules,
 * so social never imports the modules that depend on it.
 */
export class AcceptedFollows {
  readonly #listeners: AcceptedFollowsListener[] = [];

  /** Registers a listener; it runs in the transaction of every accepted-follow change. */
  on(listener: AcceptedFollowsListener): void {
    if (!this.#listeners.includes(listener)) this.#listeners.push(listener);
  }

  async changed(trx: Kysely<DB>, follows: AcceptedFollowRows, sign: 1 | -1, at: string): Promise<void> {
    if (follows.length === 0) return;
    await countAcceptedFollows(trx, follows, sign);
    for (const listener of this.#listeners) await listener(trx, follows, sign, at);
  }
}
