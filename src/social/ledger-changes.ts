import type { Kysely } from "kysely";
import type { DB } from "../db/schema.ts";

/**
 * What another module keeps in step with the interaction ledger, inside the transaction of the
 * write: `+1` when an entry is really inserted (not for a repeat of an activity id the ledger already
 * holds), `-1` when an active entry is really marked undone. The insights module's rollups register
 * here; social never imports it.
 */
export type LedgerChangeListener = (trx: Kysely<DB>, entry: LedgerEntry, sign: 1 | -1) => Promise<void>;

/** What a listener learns of the entry (an `Interaction` of interaction.repository.ts, which imports this file). */
export interface LedgerEntry {
  /** One of `INTERACTION_KINDS`. */
  readonly kind: string;
  readonly postId: string;
  readonly actorId: string;
  /** When it happened (ISO-8601): the entry's `created_at`, also for its undo. */
  readonly createdAt: string;
}

/** The listeners, registered by the composition root's modules, run by `InteractionRepository`. */
export class LedgerChanges {
  readonly #listeners: LedgerChangeListener[] = [];

  on(listener: LedgerChangeListener): void {
    if (!this.#listeners.includes(listener)) this.#listeners.push(listener);
  }

  get active(): boolean {
    return this.#listeners.length > 0;
  }

  async changed(trx: Kysely<DB>, interaction: LedgerEntry, sign: 1 | -1): Promise<void> {
    for (const listener of this.#listeners) await listener(trx, interaction, sign);
  }
}
