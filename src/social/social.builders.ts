import type { AccountRepository } from "../account/account.repository.ts";
import type { SigningKeyStore } from "../account/signing-keys.ts";
import type { Actor } from "../actor/actor.entity.ts";
import type { ActorRepository } from "../actor/actor.repository.ts";
import type { Urls } from "../app/urls.ts";
import type { OutboundActivity, OutboundBridge } from "../federation/outbound/bridge.ts";
import type { BlockRepository } from "./block.repository.ts";
import type { FollowRepository } from "./follow.repository.ts";
import {
  acceptFollowActivity,
  blockActivity,
  sentFollowActivity,
  rejectFollowActivity,
  undoBlockActivity,
  undoFollowActivity,
  updateActorActivity,
} from "./social.activities.ts";

export interface SocialBuilderDeps {
  readonly follows: FollowRepository;
  readonly blocks: BlockRepository;
  readonly accounts: AccountRepository;
  readonly actors: ActorRepository;
  readonly signingKeys: SigningKeyStore;
  readonly urls: Urls;
}

/**
 * Turns the social module's domain events into activities. Each builder reads the committed state,
 * returns null when there is nobody remote to tell (both sides local, or the rows are gone), and
 * addresses only the other party — follows and blocks are never delivered to followers.
 */
export function registerSocialBuilders(bridge: OutboundBridge, deps: SocialBuilderDeps): void {
  const { follows, blocks, accounts, actors, signingKeys, urls } = deps;

  /** The local sender's account and the remote counterpart, or null when this is not local → remote. */
  const parties = async (localActorId: string, remoteActorId: string) => {
    const [account, remote] = await Promise.all([accounts.findByActorId(localActorId), actors.findById(remoteActorId)]);
    if (account === null || remote === null || remote.isLocal) return null;
    return { account, remote };
  };
  const direct = (account: OutboundActivity["account"], activity: OutboundActivity["activity"], objectUri: string, remote: Actor): OutboundActivity => ({
    account,
    activity,
    visibility: "direct",
    objectUri,
    audience: { followers: false, actorIds: [remote.id] },
  });

  bridge.on("follow.requested", async (event) => {
    const follow = await follows.findById(event.followId);
    if (follow === null) return null;
    const p = await parties(follow.followerId, follow.followeeId);
    if (p === null) return null;
    return direct(p.account, sentFollowActivity({ followerUri: p.account.uri, followeeUri: p.remote.uri }), p.remote.uri, p.remote);
  });

  bridge.on("follow.undone", async (event) => {
    const p = await parties(event.followerId, event.followeeId);
    if (p === null) return null;
    return direct(p.account, undoFollowActivity({ followerUri: p.account.uri, followeeUri: p.remote.uri }, event.followUri), event.followUri, p.remote);
  });

  bridge.on("follow.accepted", async (event) => {
    const follow = await follows.findById(event.followId);
    if (follow === null || follow.uri === null) return null;
    const p = await parties(follow.followeeId, follow.followerId);
    if (p === null) return null;
    return direct(p.account, acceptFollowActivity({ followerUri: p.remote.uri, followeeUri: p.account.uri }, follow.uri), follow.uri, p.remote);
  });

  bridge.on("follow.rejected", async (event) => {
    const p = await parties(event.followeeId, event.followerId);
    if (p === null) return null;
    return direct(p.account, rejectFollowActivity({ followerUri: p.remote.uri, followeeUri: p.account.uri }, event.followUri), event.followUri, p.remote);
  });

  bridge.on("block.created", async (event) => {
    const block = await blocks.findById(event.blockId);
    if (block === null) return null;
    const p = await parties(block.actorId, block.targetId);
    if (p === null) return null;
    return direct(p.account, blockActivity(p.account.uri, p.remote.uri), p.remote.uri, p.remote);
  });

  bridge.on("block.removed", async (event) => {
    const p = await parties(event.actorId, event.targetId);
    if (p === null) return null;
    return direct(p.account, undoBlockActivity(p.account.uri, p.remote.uri, event.blockUri), event.blockUri, p.remote);
  });

  bridge.on("account.updated", async (event) => {
    const account = await accounts.findById(event.accountId);
    if (account === null) return null;
    const loaded = await signingKeys.get(account);
    if (loaded === null) return null;
    const activity = updateActorActivity(account, urls, { rsaPublic: loaded.rsaPair.publicKey, ed25519Public: loaded.ed25519Pair.publicKey });
    return { account, activity, visibility: "public", objectUri: account.uri, audience: { followers: true, actorIds: [] } };
  });
}
