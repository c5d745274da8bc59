import type { Account } from "../account/account.entity.ts";
import type { AccountRepository } from "../account/account.repository.ts";
import type { Actor } from "../actor/actor.entity.ts";
import type { ActorRepository } from "../actor/actor.repository.ts";
import type { Kysely } from "kysely";
import type { DB } from "../db/schema.ts";
import type { FederationIntent, OutboundBridge } from "../federation/outbound/bridge.ts";
import type { DomainEvent } from "../federation/outbound/events.ts";
import { logger } from "../lib/logger.ts";
import { err, ok, type Result } from "../lib/result.ts";
import type { Clock } from "../lib/time.ts";
import type { BlockRepository } from "./block.repository.ts";
import type { Follow, FollowEndReason, FollowState, FollowWithActor } from "./follow.entity.ts";
import type { FollowRepository, Page } from "./follow.repository.ts";
import type { NotificationService } from "./notification.service.ts";
import type { TargetError, TargetLookup } from "./target.ts";

const log = logger("social", "follows");

export type FollowError = "unknown-account" | TargetError | "self" | "blocked" | "already-following" | "already-requested";
export type UnfollowError = "unknown-account" | TargetError | "not-following";
export type ApproveError = "unknown-account" | TargetError | "no-request";
export type RejectError = "unknown-account" | TargetError | "not-a-follower";
/** Why following a resolved actor can fail. */
export type FollowActorError = "self" | "blocked" | "already-following" | "already-requested";

/** A local account's follow of a remote account was accepted. */
export interface FollowAcceptedEvent {
  readonly followerActorId: string;
  readonly followeeActorId: string;
}
export type FollowAcceptedListener = (event: FollowAcceptedEvent) => Promise<void>;

export interface ListFollowsOptions {
  /** 1–200; default 40. */
  readonly limit?: number;
  /** Exclusive upper bound: the `next` cursor of the previous page. */
  readonly before?: string | null;
}

export const MAX_FOLLOWS_PAGE = 200;

/**
 * Follows in both directions. Local accounts follow others (Follow, then pending until the other
 * side accepts); remote actors follow local accounts (accepted at once, or pending until the account
 * approves when it sets manuallyApprovesFollowers). Whatever another server must learn leaves through
 * the outbound bridge as a domain event.
 */
export class FollowService {
  readonly #follows: FollowRepository;
  readonly #blocks: BlockRepository;
  readonly #accounts: AccountRepository;
  readonly #actors: ActorRepository;
  readonly #targets: TargetLookup;
  readonly #bridge: OutboundBridge;
  readonly #notifications: NotificationService;
  readonly #clock: Clock;
  readonly #listeners: FollowAcceptedListener[] = [];

  constructor(deps: {
    follows: FollowRepository;
    blocks: BlockRepository;
    accounts: AccountRepository;
    actors: ActorRepository;
    targets: TargetLookup;
    bridge: OutboundBridge;
    notifications: NotificationService;
    clock: Clock;
  }) {
    this.#follows = deps.follows;
    this.#blocks = deps.blocks;
    this.#accounts = deps.accounts;
    this.#actors = deps.actors;
    this.#targets = deps.targets;
    this.#bridge = deps.bridge;
    this.#notifications = deps.notifications;
    this.#clock = deps.clock;
  }

  /** `username` follows `target` (`@user@host`, `user@host` or an actor URL). */
  async follow(username: string, target: string): Promise<Result<{ follow: Follow; target: Actor }, FollowError>> {
    const account = await this.#accounts.findByUsername(username);
    if (account === null) return unknownAccount(username);
    const resolved = await this.#targets.resolve(target);
    if (!resolved.ok) return resolved;
    const result = await this.followActor(account, resolved.value);
    return result.ok ? ok({ follow: result.value, target: resolved.value }) : result;
  }

  /**
   * Follows an already resolved actor. A remote followee gets a Follow and the follow stays pending
   * until its Accept arrives; a local followee decides at once (accepted, or pending for approval).
   */
  async followActor(account: Pick<Account, "actorId" | "username">, target: Actor): Promise<Result<Follow, FollowActorError>> {
    if (target.id === account.actorId) return err("self", "an account cannot follow itself");
    if (await this.#blocks.isBlocked(account.actorId, target.id)) {
      return err("blocked", `cannot follow ${target.handle}: one of the two accounts blocks the other`);
    }
    // The follow, its Follow's id and the intent to send the Follow (or, between local accounts,
    // the followee's notification) commit together.
    const made = await this.#bridge.transaction((trx, emit) => this.#followIn(trx, emit, account, target));
    return this.#followResult(account, target, made);
  }

  /**
   * A Move of a followed actor: the old follow ends (Undo(Follow) to the old actor), the account
   * follows the target and is told of the move — in one transaction, so a job that dies midway
   * leaves the old follow in place and its retry moves it; never an ended follow without the new one.
   */
  async moveFollow(follow: Follow, account: Pick<Account, "actorId" | "username">, target: Actor): Promise<Result<Follow, FollowActorError>> {
    if (target.id === account.actorId) return err("self", "an account cannot follow itself");
    const blocked = await this.#blocks.isBlocked(account.actorId, target.id);
    const made = await this.#bridge.transaction(async (trx, emit) => {
      await this.endFollowIn(trx, emit, follow, "move", { announce: true });
      await this.#notifications.notify({ recipientActorId: account.actorId, kind: "move", fromActorId: follow.followeeId }, trx);
      return blocked ? null : await this.#followIn(trx, emit, account, target);
    });
    if (made === null) return err("blocked", `cannot follow ${target.handle}: one of the two accounts blocks the other`);
    return this.#followResult(account, target, made);
  }

  async #followIn(
    trx: Kysely<DB>,
    emit: (event: DomainEvent) => Promise<FederationIntent>,
    account: Pick<Account, "actorId" | "username">,
    target: Actor,
  ): Promise<{ follow: Follow; created: boolean; uri: string | null }> {
    const now = this.#clock.now().toISOString();
    const state: FollowState = target.isLocal && !target.manuallyApprovesFollowers ? "accepted" : "pending";
    const made = await this.#follows.create({ followerId: account.actorId, followeeId: target.id, state, uri: null }, now, trx);
    if (made.created && target.isLocal) {
      await this.#notifications.notify({ recipientActorId: target.id, kind: state === "accepted" ? "follow" : "follow_request", fromActorId: account.actorId }, trx);
    }
    if (!made.created || target.isLocal) return { ...made, uri: null };
    const intent = await emit({ type: "follow.requested", followId: made.follow.id });
    const followUri = this.#bridge.activityUri(account.username, intent);
    await this.#follows.setUri(made.follow.id, followUri, now, trx);
    return { ...made, uri: followUri };
  }

  #followResult(
    account: Pick<Account, "actorId" | "username">,
    target: Actor,
    { follow, created, uri }: { follow: Follow; created: boolean; uri: string | null },
  ): Result<Follow, FollowActorError> {
    if (!created) {
      return follow.state === "accepted"
        ? err("already-following", `${account.username} already follows ${target.handle}`)
        : err("already-requested", `${account.username} already asked to follow ${target.handle}; the request is pending (unfollow to withdraw it)`);
    }
    if (target.isLocal) return ok(follow);
    return ok({ ...follow, uri });
  }

  /** Ends `username`'s follow (or pending request) of `target` and tells the other server (Undo(Follow)). */
  async unfollow(username: string, target: string): Promise<Result<{ follow: Follow; target: Actor }, UnfollowError>> {
    const account = await this.#accounts.findByUsername(username);
    if (account === null) return unknownAccount(username);
    const found = await this.#targets.findKnown(target);
    if (!found.ok) return found.error === "unresolvable" ? err("not-following", `${username} does not follow ${target.trim()}`) : found;
    const follow = await this.#follows.findPair(account.actorId, found.value.id);
    if (follow === null) return err("not-following", `${username} does not follow ${found.value.handle}`);
    const ended = await this.endFollow(follow, "unfollow", { announce: true });
    if (ended === null) return err("not-following", `${username} does not follow ${found.value.handle}`);
    return ok({ follow: ended, target: found.value });
  }

  /** Accepts a pending follow request from `follower` (Accept(Follow) to a remote follower). */
  async approve(username: string, follower: string): Promise<Result<{ follow: Follow; follower: Actor }, ApproveError>> {
    const account = await this.#accounts.findByUsername(username);
    if (account === null) return unknownAccount(username);
    const found = await this.#targets.findKnown(follower);
    if (!found.ok) return found.error === "unresolvable" ? err("no-request", `no pending follow request from ${follower.trim()}`) : found;
    const pending = await this.#follows.findPair(found.value.id, account.actorId);
    if (pending === null || pending.state !== "pending") {
      return err("no-request", `no pending follow request from ${found.value.handle}${pending ? " (already accepted)" : ""}`);
    }
    const accepted = await this.#bridge.transaction(async (trx, emit) => {
      const done = await this.#follows.accept(pending.id, this.#clock.now().toISOString(), trx);
      if (done !== null && !found.value.isLocal) await emit({ type: "follow.accepted", followId: done.id });
      return done;
    });
    if (accepted === null) return err("no-request", `no pending follow request from ${found.value.handle}`);
    return ok({ follow: accepted, follower: found.value });
  }

  /** Rejects a pending request, or removes an accepted follower (Reject(Follow) either way, as Mastodon does). */
  async reject(username: string, follower: string): Promise<Result<{ follow: Follow; follower: Actor; wasAccepted: boolean }, RejectError>> {
    const account = await this.#accounts.findByUsername(username);
    if (account === null) return unknownAccount(username);
    const found = await this.#targets.findKnown(follower);
    if (!found.ok) return found.error === "unresolvable" ? err("not-a-follower", `${follower.trim()} does not follow ${username}`) : found;
    const follow = await this.#follows.findPair(found.value.id, account.actorId);
    const ended = follow === null ? null : await this.endFollow(follow, "reject", { announce: true });
    if (ended === null) return err("not-a-follower", `${found.value.handle} does not follow ${username} and has no pending request`);
    return ok({ follow: ended, follower: found.value, wasAccepted: ended.state === "accepted" });
  }

  /** Accepted followers (or, with `pending`, open follow requests) of a local account, newest first. */
  async listFollowers(username: string, options: ListFollowsOptions & { pending?: boolean } = {}): Promise<Result<Page<FollowWithActor>, "unknown-account">> {
    const account = await this.#accounts.findByUsername(username);
    if (account === null) return unknownAccount(username);
    return ok(await this.#follows.listFollowers(account.actorId, { state: options.pending ? "pending" : "accepted", limit: pageSize(options.limit), before: options.before ?? null }));
  }

  /** Accounts a local account follows or asked to follow (each with its state), newest first. */
  async listFollowing(username: string, options: ListFollowsOptions & { state?: FollowState } = {}): Promise<Result<Page<FollowWithActor>, "unknown-account">> {
    const account = await this.#accounts.findByUsername(username);
    if (account === null) return unknownAccount(username);
    return ok(
      await this.#follows.listFollowing(account.actorId, {
        ...(options.state !== undefined ? { state: options.state } : {}),
        limit: pageSize(options.limit),
        before: options.before ?? null,
      }),
    );
  }

  /** Registers a listener for accepted follows of remote accounts by local ones (posts backfills the outbox). */
  onAccepted(listener: FollowAcceptedListener): void {
    this.#listeners.push(listener);
  }

  /**
   * Marks a local account's pending follow as accepted by the remote side and tells the listeners.
   * Returns false when it was not pending (a repeated Accept).
   */
  async markAccepted(follow: Follow): Promise<boolean> {
    const accepted = await this.#follows.accept(follow.id, this.#clock.now().toISOString());
    if (accepted === null) return false;
    const event = { followerActorId: accepted.followerId, followeeActorId: accepted.followeeId };
    for (const listener of this.#listeners) {
      // A listener's failure (an outbox backfill) must not undo or repeat the accept itself.
      try {
        await listener(event);
      } catch (error) {
        log.warning("follow-accepted listener failed for {followee}: {error}", { followee: accepted.followeeId, error });
      }
    }
    return true;
  }

  /**
   * Ends a follow. With `announce`, the remote side learns of it: Undo(Follow) when a local account
   * stops following, Reject(Follow) when a local account drops a remote follower.
   */
  async endFollow(follow: Follow, reason: FollowEndReason, options: { announce: boolean }): Promise<Follow | null> {
    return await this.#bridge.transaction((trx, emit) => this.endFollowIn(trx, emit, follow, reason, options));
  }

  /**
   * `endFollow` inside the caller's outbox transaction (a block ends follows and sends its Block in
   * one). A withdrawn request's notification, no longer something to act on, goes in the same one.
   */
  async endFollowIn(
    trx: Kysely<DB>,
    emit: (event: DomainEvent) => Promise<unknown>,
    follow: Follow,
    reason: FollowEndReason,
    options: { announce: boolean },
  ): Promise<Follow | null> {
    const ended = await this.#follows.end(follow.id, reason, this.#clock.now().toISOString(), trx);
    if (ended === null) return null;
    if (ended.state === "pending") await this.#notifications.clearFollowRequest(ended.followeeId, ended.followerId, trx);
    if (options.announce && ended.uri !== null) {
      const follower = await this.#actors.findById(ended.followerId, trx);
      const followee = await this.#actors.findById(ended.followeeId, trx);
      const event = { followerId: ended.followerId, followeeId: ended.followeeId, followUri: ended.uri };
      if (follower?.isLocal && followee && !followee.isLocal) await emit({ type: "follow.undone", ...event });
      else if (followee?.isLocal && follower && !follower.isLocal) await emit({ type: "follow.rejected", ...event });
    }
    return ended;
  }
}

function unknownAccount(username: string): { ok: false; error: "unknown-account"; message: string } {
  return err("unknown-account", `no local account ${JSON.stringify(username)}`);
}

function pageSize(limit: number | undefined): number {
  return Math.min(Math.max(Math.floor(limit ?? 40), 1), MAX_FOLLOWS_PAGE);
}
