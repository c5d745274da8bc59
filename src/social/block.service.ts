import type { Account } from "../account/account.entity.ts";
import type { AccountRepository } from "../account/account.repository.ts";
import type { Actor } from "../actor/actor.entity.ts";
import type { ActorRepository } from "../actor/actor.repository.ts";
import type { OutboundBridge } from "../federation/outbound/bridge.ts";
import { err, ok, type Result } from "../lib/result.ts";
import type { Clock } from "../lib/time.ts";
import type { Block, BlockRepository } from "./block.repository.ts";
import type { FollowRepository } from "./follow.repository.ts";
import type { FollowService } from "./follow.service.ts";
import type { TargetError, TargetLookup } from "./target.ts";

export type BlockError = "unknown-account" | TargetError | "self" | "already-blocked";
export type UnblockError = "unknown-account" | TargetError | "not-blocked";

/**
 * Blocks by local accounts. Blocking ends the follows in both directions first (Undo(Follow) for
 * ours, Reject(Follow) for theirs — Mastodon expects both, mastodon#9811), then sends the Block.
 */
export class BlockService {
  readonly #blocks: BlockRepository;
  readonly #follows: FollowRepository;
  readonly #followService: FollowService;
  readonly #accounts: AccountRepository;
  readonly #actors: ActorRepository;
  readonly #targets: TargetLookup;
  readonly #bridge: OutboundBridge;
  readonly #clock: Clock;

  constructor(deps: {
    blocks: BlockRepository;
    follows: FollowRepository;
    followService: FollowService;
    accounts: AccountRepository;
    actors: ActorRepository;
    targets: TargetLookup;
    bridge: OutboundBridge;
    clock: Clock;
  }) {
    this.#blocks = deps.blocks;
    this.#follows = deps.follows;
    this.#followService = deps.followService;
    this.#accounts = deps.accounts;
    this.#actors = deps.actors;
    this.#targets = deps.targets;
    this.#bridge = deps.bridge;
    this.#clock = deps.clock;
  }

  /** `username` blocks `target` (`@user@host`, `user@host` or an actor URL). */
  async block(username: string, target: string): Promise<Result<{ block: Block; target: Actor }, BlockError>> {
    const account = await this.#accounts.findByUsername(username);
    if (account === null) return err("unknown-account", `no local account ${JSON.stringify(username)}`);
    // A stored actor is enough to block; only unknown ones are fetched.
    const known = await this.#targets.findKnown(target);
    const resolved = known.ok || known.error === "invalid-target" ? known : await this.#targets.resolve(target);
    if (!resolved.ok) return resolved;
    const result = await this.blockActor(account, resolved.value);
    return result.ok ? ok({ block: result.value, target: resolved.value }) : result;
  }

  /** Blocks an already resolved actor. */
  async blockActor(account: Pick<Account, "actorId" | "username">, target: Actor): Promise<Result<Block, "self" | "already-blocked">> {
    if (target.id === account.actorId) return err("self", "an account cannot block itself");
    const now = this.#clock.now().toISOString();
    const follows = [await this.#follows.findPair(account.actorId, target.id), await this.#follows.findPair(target.id, account.actorId)];
    // The block, the ended follows (Undo/Reject first, as Mastodon expects) and the Block commit together.
    const outcome = await this.#bridge.transaction(async (trx, emit) => {
      const { block, created } = await this.#blocks.create({ actorId: account.actorId, targetId: target.id, uri: null }, now, trx);
      if (!created) return null;
      for (const follow of follows) {
        if (follow !== null) await this.#followService.endFollowIn(trx, emit, follow, "block", { announce: true });
      }
      if (target.isLocal) return block;
      const uri = this.#bridge.activityUri(account.username, await emit({ type: "block.created", blockId: block.id }));
      await this.#blocks.setUri(block.id, uri, trx);
      return { ...block, uri };
    });
    if (outcome === null) return err("already-blocked", `${account.username} already blocks ${target.handle}`);
    return ok(outcome);
  }

  /** Lifts `username`'s block of `target` (Undo(Block) to a remote target). */
  async unblock(username: string, target: string): Promise<Result<{ target: Actor }, UnblockError>> {
    const account = await this.#accounts.findByUsername(username);
    if (account === null) return err("unknown-account", `no local account ${JSON.stringify(username)}`);
    const found = await this.#targets.findKnown(target);
    if (!found.ok) return found.error === "unresolvable" ? err("not-blocked", `${username} does not block ${target.trim()}`) : found;
    const block = await this.#blocks.findPair(account.actorId, found.value.id);
    const removed = block === null ? null : await this.#bridge.transaction(async (trx, emit) => {
      const gone = await this.#blocks.remove(block.id, trx);
      if (gone !== null && !found.value.isLocal && gone.uri !== null) {
        await emit({ type: "block.removed", actorId: gone.actorId, targetId: gone.targetId, blockUri: gone.uri });
      }
      return gone;
    });
    if (removed === null) return err("not-blocked", `${username} does not block ${found.value.handle}`);
    return ok({ target: found.value });
  }

  /** Whether either actor blocks the other. */
  isBlocked(actorIdA: string, actorIdB: string): Promise<boolean> {
    return this.#blocks.isBlocked(actorIdA, actorIdB);
  }

  /** The actors a local account blocks, newest block first. */
  async listBlocked(username: string): Promise<Result<{ block: Block; actor: Actor }[], "unknown-account">> {
    const account = await this.#accounts.findByUsername(username);
    if (account === null) return err("unknown-account", `no local account ${JSON.stringify(username)}`);
    const blocks = await this.#blocks.listByActor(account.actorId);
    const actors = await this.#actors.findManyByIds(blocks.map((b) => b.targetId));
    return ok(blocks.flatMap((block) => {
      const actor = actors.get(block.targetId);
      return actor ? [{ block, actor }] : [];
    }));
  }
}
