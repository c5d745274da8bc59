import type { Account } from "../account/account.entity.ts";
import type { AwaitedCheck, InboundActivity, InboxOutcome } from "../federation/inbox/inbox.types.ts";
import { idOf, isObject, typesOf } from "../content/validate.ts";
import type { Follow } from "./follow.entity.ts";
import { ignored, localAccountOf, processed, rejected, type HandlerTable, type SocialHandlerDeps } from "./social.inbox.ts";

/**
 * Follow, Undo(Follow), and Accept/Reject of the Follows Herold sent. Every handler is idempotent:
 * a repeated Follow re-sends the Accept, a repeated Accept changes nothing.
 */
export function followHandlers(deps: SocialHandlerDeps): HandlerTable {
  return {
    Follow: (activity) => receiveFollow(deps, activity),
    "Undo/Follow": (activity) => receiveUndoFollow(deps, activity),
    Accept: (activity) => receiveAnswer(deps, activity, "Accept"),
    Reject: (activity) => receiveAnswer(deps, activity, "Reject"),
  };
}

/**
 * Accepts and Rejects the inbox must process even as repeats: those answering a Follow a local
 * account sent to the signer that is still pending. Some servers reuse answer ids (Hollo: one Accept
 * id per follower), and an answer whose first delivery was lost must still count when it comes again.
 */
export function awaitedAnswers(deps: SocialHandlerDeps): Readonly<Record<"Accept" | "Reject", AwaitedCheck>> {
  const check: AwaitedCheck = async (activity, signerId) => {
    const inner = activity.json["object"];
    const innerTypes = typesOf(inner, 8);
    if (innerTypes.length > 0 && !innerTypes.includes("Follow")) return false;
    const followUri = idOf(inner);
    if (followUri === null) return false;
    const follow = (await deps.follows.findByUri(followUri)) ?? (await pendingWithoutUri(deps, inner, followUri, signerId));
    if (follow === null || follow.state !== "pending" || follow.followeeId !== signerId) return false;
    return (await deps.actors.findById(follow.followerId))?.isLocal === true;
  };
  return { Accept: check, Reject: check };
}

async function receiveFollow(deps: SocialHandlerDeps, activity: InboundActivity): Promise<InboxOutcome> {
  const objectUri = idOf(activity.json["object"]);
  if (objectUri === null) return rejected("Follow without an object id");
  const account = await localAccountOf(deps, objectUri);
  if (account === null) return ignored(`Follow of ${objectUri}, which is not a local account`);
  const follower = activity.actor;
  if (follower.isLocal || follower.id === account.actorId) return rejected("a Follow from a local actor cannot arrive through the inbox");
  if (await deps.blocks.isBlocked(account.actorId, follower.id)) {
    await deps.bridge.publish({ type: "follow.rejected", followerId: follower.id, followeeId: account.actorId, followUri: activity.id });
    return rejected(`Follow from ${follower.handle} refused: one of the two blocks the other`);
  }
  const now = deps.clock.now().toISOString();
  const state = account.manuallyApprovesFollowers ? "pending" : "accepted";
  // The follow, its notification and the intent to answer it commit together (neither the answer
  // nor the notification is lost to a crash).
  await deps.bridge.transaction(async (trx, emit) => {
    const made = await deps.follows.create({ followerId: follower.id, followeeId: account.actorId, state, uri: activity.id }, now, trx);
    // Not created: the follower's server lost our answer or re-sent its Follow: answer the newest Follow id.
    if (!made.created && made.follow.uri !== activity.id) await deps.follows.setUri(made.follow.id, activity.id, now, trx);
    if (made.follow.state === "accepted") await emit({ type: "follow.accepted", followId: made.follow.id });
    if (made.created) {
      await deps.notifications.notify({ recipientActorId: account.actorId, kind: state === "accepted" ? "follow" : "follow_request", fromActorId: follower.id }, trx);
    }
  });
  return processed;
}

async function receiveUndoFollow(deps: SocialHandlerDeps, activity: InboundActivity): Promise<InboxOutcome> {
  const inner = activity.json["object"];
  if (isObject(inner) && inner["actor"] !== undefined && idOf(inner["actor"]) !== activity.actor.uri) {
    return rejected("Undo of a Follow made by another actor");
  }
  const followUri = idOf(inner);
  let follow: Follow | null = followUri === null ? null : await deps.follows.findByUri(followUri);
  if (follow !== null && follow.followerId !== activity.actor.id) return rejected("Undo of a Follow made by another actor");
  if (follow === null && isObject(inner)) {
    // Some servers' Undo names a Follow id we never saw (or a newer one); the embedded pair still says which follow.
    const account = await localAccountOf(deps, idOf(inner["object"]));
    if (account !== null) follow = await deps.follows.findPair(activity.actor.id, account.actorId);
  }
  if (follow === null) return ignored("no follow of a local account to undo");
  await deps.followService.endFollow(follow, "unfollow", { announce: false });
  return processed;
}

/**
 * Accept or Reject of a Follow a local account sent. The answer must come from the followee; the
 * Follow is found by its id, or — when the Accept raced ahead of storing the id — by the pair.
 */
async function receiveAnswer(deps: SocialHandlerDeps, activity: InboundActivity, type: "Accept" | "Reject"): Promise<InboxOutcome> {
  const inner = activity.json["object"];
  const innerTypes = typesOf(inner, 8);
  if (innerTypes.length > 0 && !innerTypes.includes("Follow")) return ignored(`${type} of ${innerTypes[0]} is not about a follow`);
  const followUri = idOf(inner);
  if (followUri === null) return rejected(`${type} without an object id`);
  let follow = await deps.follows.findByUri(followUri);
  if (follow === null) follow = await pendingWithoutUri(deps, inner, followUri, activity.actor.id);
  if (follow === null) return ignored(`${type} of ${followUri}, which is not a Follow this server sent`);
  const follower = await deps.actors.findById(follow.followerId);
  if (follower === null || !follower.isLocal) return ignored(`${type} of ${followUri}, which is not a Follow this server sent`);
  if (follow.followeeId !== activity.actor.id) return rejected(`${type} of a Follow by ${activity.actor.handle}, who is not the followee`);
  if (type === "Accept") {
    if (follow.state === "accepted") return ignored("the follow was already accepted");
    await deps.followService.markAccepted(follow);
    return processed;
  }
  await deps.followService.endFollow(follow, "reject", { announce: false });
  return processed;
}

/** A local follower's pending follow of `followeeId` whose Follow id is not stored yet, if the answer names it. */
async function pendingWithoutUri(deps: SocialHandlerDeps, inner: unknown, followUri: string, followeeId: string): Promise<Follow | null> {
  const followerUri = isObject(inner) ? idOf(inner["actor"]) : null;
  const account = followerUri !== null ? await localAccountOf(deps, followerUri) : await accountOfActivityUri(deps, followUri);
  if (account === null) return null;
  const follow = await deps.follows.findPair(account.actorId, followeeId);
  return follow !== null && follow.uri === null && follow.state === "pending" ? follow : null;
}

/** The local account that minted an activity id (`/users/name/activities/id`). */
async function accountOfActivityUri(deps: SocialHandlerDeps, uri: string): Promise<Account | null> {
  const prefix = `${deps.urls.origin}/users/`;
  if (!uri.startsWith(prefix)) return null;
  const match = /^([^/]+)\/activities\/([0-9a-z]{26})$/.exec(uri.slice(prefix.length));
  if (match === null || deps.urls.activity(match[1]!, match[2]!) !== uri) return null;
  return await deps.accounts.findByUsername(match[1]!);
}
