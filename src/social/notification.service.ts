import type { Kysely } from "kysely";
import type { AccountRepository } from "../account/account.repository.ts";
import type { ActorRepository } from "../actor/actor.repository.ts";
import type { DB } from "../db/schema.ts";
import type { Clock } from "../lib/time.ts";
import { err, ok, type Result } from "../lib/result.ts";
import type { BlockRepository } from "./block.repository.ts";
import type { Notification, NotificationEntry, NotificationKind, NotificationRepository } from "./notification.repository.ts";

export interface NotifyInput {
  /** The local account's actor id. */
  readonly recipientActorId: string;
  readonly kind: NotificationKind;
  readonly fromActorId: string;
  readonly postId?: string | null;
  readonly interactionId?: string | null;
  /**
   * Set by a caller that has itself established, for this activity, that the recipient is a local
   * account's actor and that neither blocks the other (`RemotePostService.planInteractions`, before
   * its transaction): those two lookups are then not repeated.
   */
  readonly checked?: boolean;
}

export interface ListNotificationsOptions {
  /** 1–200; default 40. */
  readonly limit?: number;
  /** Exclusive upper bound: the id of the oldest notification already seen. */
  readonly before?: string | null;
}

export const MAX_NOTIFICATIONS_PAGE = 200;
/** The navigation counts unread notifications among this many of the newest. */
export const UNREAD_WINDOW = 100;

/** What local accounts are told about: follows, follow requests, likes, boosts, replies, quotes, mentions, reactions, moves. */
export class NotificationService {
  readonly #notifications: NotificationRepository;
  readonly #accounts: AccountRepository;
  readonly #actors: ActorRepository;
  readonly #blocks: BlockRepository;
  readonly #clock: Clock;

  constructor(deps: { notifications: NotificationRepository; accounts: AccountRepository; actors: ActorRepository; blocks: BlockRepository; clock: Clock }) {
    this.#notifications = deps.notifications;
    this.#accounts = deps.accounts;
    this.#actors = deps.actors;
    this.#blocks = deps.blocks;
    this.#clock = deps.clock;
  }

  /**
   * Stores a notification for a local account. Returns null when there is nobody to tell: the
   * recipient is not local, it is the account's own action, or one of the two blocks the other.
   * With `db` (the caller's transaction) the notification commits with the write it reports; every
   * read goes through it too (SQLite's one connection would otherwise wait for itself).
   */
  async notify(input: NotifyInput, db?: Kysely<DB>): Promise<Notification | null> {
    if (input.recipientActorId === input.fromActorId) return null;
    if (input.checked !== true) {
      const recipient = await this.#actors.findById(input.recipientActorId, db);
      if (recipient === null || !recipient.isLocal) return null;
      if (await this.#blocks.isBlocked(input.recipientActorId, input.fromActorId, db)) return null;
    }
    return await this.#notifications.insert({
      recipientActorId: input.recipientActorId,
      kind: input.kind,
      fromActorId: input.fromActorId,
      postId: input.postId ?? null,
      interactionId: input.interactionId ?? null,
      createdAt: this.#clock.now().toISOString(),
    }, db);
  }

  /** The account's notifications, newest first, with who and which post. */
  async list(username: string, options: ListNotificationsOptions = {}): Promise<Result<NotificationEntry[], "unknown-account">> {
    const account = await this.#accounts.findByUsername(username);
    if (account === null) return err("unknown-account", `no local account ${JSON.stringify(username)}`);
    const limit = Math.min(Math.max(Math.floor(options.limit ?? 40), 1), MAX_NOTIFICATIONS_PAGE);
    return ok(await this.#notifications.list(account.actorId, { limit, before: options.before ?? null }));
  }

  /** Unread notifications among the newest 100 of a local actor (the app's navigation shows "99+" beyond). */
  unreadCount(actorId: string): Promise<number> {
    return this.#notifications.countUnread(actorId, UNREAD_WINDOW);
  }

  /** Marks the account's notifications up to `upToId` (the newest the person saw) as read. */
  async markRead(username: string, upToId: string): Promise<Result<number, "unknown-account">> {
    const account = await this.#accounts.findByUsername(username);
    if (account === null) return err("unknown-account", `no local account ${JSON.stringify(username)}`);
    return ok(await this.#notifications.markRead(account.actorId, upToId, this.#clock.now().toISOString()));
  }

  /** Whether such a notification exists already (a repeated Follow does not notify twice). */
  exists(recipientActorId: string, kind: NotificationKind, fromActorId: string, postId: string | null = null): Promise<boolean> {
    return this.#notifications.exists(recipientActorId, kind, fromActorId, postId);
  }

  /** Whether the notification about this ledger entry exists (see InteractionService.record). */
  existsForInteraction(interactionId: string, db?: Kysely<DB>): Promise<boolean> {
    return this.#notifications.existsForInteraction(interactionId, db);
  }

  /** Drops a follow request notification once the request is withdrawn (in `db`, the ending transaction). */
  clearFollowRequest(recipientActorId: string, fromActorId: string, db?: Kysely<DB>): Promise<void> {
    return this.#notifications.deleteFollowRequest(recipientActorId, fromActorId, db);
  }
}
