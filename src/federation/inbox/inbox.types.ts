import type { Account } from "../../account/account.entity.ts";
import type { Actor } from "../../actor/actor.entity.ts";
import type { FetchBudget } from "../fetch/fetch-budget.ts";

/**
 * An inbound activity after verification: the HTTP signature was valid, the key's owner lists the
 * key, the signer is the activity's actor and the activity id is same-origin with the actor.
 * `json` is still untrusted content: handlers validate every field they read (src/content/validate.ts).
 *
 * Activities unwrapped from a group's `Announce` (Lemmy and friends) arrive here as from their own
 * actor, after the federation module checked them against their origin; `via` is then the group.
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
  /**
   * The remote fetches this activity may still cause (config `limits.fetchesPerActivity`). Pass it
   * to every `resolver.resolveUri(…, { budget })` and `documents.fetch(…, { budget })` made while
   * handling it. Absent only in tests that build activities by hand.
   */
  readonly budget?: FetchBudget;
  /** The actor (usually a Group) whose Announce carried this activity, if it came that way. */
  readonly via?: Actor;
}

/** Expected outcomes of processing; anything unexpected throws and the job is retried. */
export type InboxOutcome =
  | { readonly kind: "processed" }
  | { readonly kind: "ignored"; readonly reason: string }
  | { readonly kind: "rejected"; readonly reason: string };

export type InboxHandler = (activity: InboundActivity) => Promise<InboxOutcome>;

/**
 * Whether local state still waits for a verified activity of its type from `signerId` (`actors.id`),
 * so that the inbox must queue it even as a repeat of one already received. Asked at the inbox door,
 * before the activity is stored; it only reads.
 */
export type AwaitedCheck = (activity: { readonly id: string; readonly type: string; readonly json: Readonly<Record<string, unknown>> }, signerId: string) => Promise<boolean>;

/**
 * The activity type a URI named only by an `Undo` was (`Follow`, `Like`, `Block` …), from the
 * records of the module that stored it; null when that module does not know the URI.
 */
export type UndoneTypeLookup = (uri: string) => Promise<string | null>;

/**
 * Keys the federation module handles itself. `Update` and `Delete` are split by what they target:
 * actors are the federation module's, objects (posts) go to the hooks `onObjectUpdate` /
 * `onObjectDelete` that the posts module installs. `Announce/<Activity>` is the unwrapping of
 * group announces, after which the inner activity is dispatched under its own key.
 */
const RESERVED: Readonly<Record<string, string>> = {
  Update: "install an object-update handler with the federation module's onObjectUpdate(handler) instead",
  Delete: "install an object-delete handler with the federation module's onObjectDelete(handler) instead",
};

/**
 * Handlers keyed by activity type, or `Outer/Inner` for wrapped activities whose meaning depends
 * on the inner object's type (`Undo/Follow`, `Undo/Like`, `Undo/Announce`, `Announce/Create` …).
 */
export class InboxDispatcher {
  readonly #handlers = new Map<string, InboxHandler>();
  readonly #awaited = new Map<string, AwaitedCheck>();
  readonly #undone: UndoneTypeLookup[] = [];

  register(key: string, handler: InboxHandler): void {
    if (this.#handlers.has(key)) {
      const hint = RESERVED[key];
      throw new Error(`inbox handler for ${key} registered twice${hint !== undefined ? `: the federation module routes ${key}; ${hint}` : ""}`);
    }
    this.#handlers.set(key, handler);
  }

  get(key: string): InboxHandler | undefined {
    return this.#handlers.get(key);
  }

  keys(): string[] {
    return [...this.#handlers.keys()];
  }

  /**
   * Marks activities of `type` that local state may still wait for: a repeat (same id, same content)
   * is then queued again while `check` says so, instead of being dropped as already received. For
   * answers whose loss would leave state stuck (an Accept of a pending Follow); the handler must be
   * idempotent.
   */
  awaitRepeats(type: string, check: AwaitedCheck): void {
    if (this.#awaited.has(type)) throw new Error(`awaited check for ${type} registered twice`);
    this.#awaited.set(type, check);
  }

  /** Whether `activity` must be queued even as a repeat (see `awaitRepeats`); false for other types. */
  async isAwaited(activity: Parameters<AwaitedCheck>[0], signerId: string): Promise<boolean> {
    const check = this.#awaited.get(activity.type);
    return check === undefined ? false : await check(activity, signerId);
  }

  /**
   * Adds a lookup for what an `Undo`'s bare object URI was (dispatch-key.ts). The module that owns
   * the records registers it, so federation never reads another module's tables.
   */
  identifyUndone(lookup: UndoneTypeLookup): void {
    this.#undone.push(lookup);
  }

  /** The first registered lookup's answer for `uri`, in registration order; null when none knows it. */
  async undoneType(uri: string): Promise<string | null> {
    for (const lookup of this.#undone) {
      const type = await lookup(uri);
      if (type !== null) return type;
    }
    return null;
  }
}
