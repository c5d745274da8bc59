import type { Account } from "../../account/account.entity.ts";
import type { Actor } from "../../actor/actor.entity.ts";

/**
 * An inbound activity after verification: the HTTP signature was valid, the key's owner lists the
 * key, the signer is the activity's actor and the activity id is same-origin with the actor.
 * `json` is still untrusted content: handlers validate every field they read (src/content/validate.ts).
 */
export interface InboundActivity {
  readonly id: string;
  readonly type: string;
  /** The verified sender, stored in `actors`. */
  readonly actor: Actor;
  readonly json: Readonly<Record<string, unknown>>;
  /** The account whose personal inbox received it; null for the shared inbox. */
  readonly recipient: Account | null;
  readonly receivedAt: string;
}

/** Expected outcomes of processing; anything unexpected throws and the job is retried. */
export type InboxOutcome =
  | { readonly kind: "processed" }
  | { readonly kind: "ignored"; readonly reason: string }
  | { readonly kind: "rejected"; readonly reason: string };

export type InboxHandler = (activity: InboundActivity) => Promise<InboxOutcome>;

/**
 * Handlers keyed by activity type, or `Outer/Inner` for wrapped activities whose meaning depends
 * on the inner object's type (`Undo/Follow`, `Undo/Like`, `Undo/Announce`, `Announce/Create` …).
 */
export class InboxDispatcher {
  readonly #handlers = new Map<string, InboxHandler>();

  register(key: string, handler: InboxHandler): void {
    if (this.#handlers.has(key)) throw new Error(`inbox handler for ${key} registered twice`);
    this.#handlers.set(key, handler);
  }

  get(key: string): InboxHandler | undefined {
    return this.#handlers.get(key);
  }

  keys(): string[] {
    return [...this.#handlers.keys()];
  }
}
