import type { Actor } from "../actor/actor.entity.ts";
import type { InboundActivity, InboxOutcome } from "../federation/inbox/inbox.types.ts";
import { idOf } from "../content/validate.ts";
import { logger } from "../lib/logger.ts";
import { ignored, localAccountOf, processed, rejected, type HandlerTable, type SocialHandlerDeps } from "./social.inbox.ts";

const log = logger("social", "move");

/**
 * Move of an account local accounts follow (or block). Checked the way Mastodon checks it: the Move
 * comes from the moving actor itself, the target is fetched fresh and must list the old actor in
 * `alsoKnownAs` and must not have moved on itself. Then every local follow of the old account is
 * undone and a follow of the target sent in its place, and local blocks are carried over.
 */
export function moveHandlers(deps: SocialHandlerDeps): HandlerTable {
  return { Move: (activity) => receiveMove(deps, activity) };
}

async function receiveMove(deps: SocialHandlerDeps, activity: InboundActivity): Promise<InboxOutcome> {
  const old = activity.actor;
  const objectUri = idOf(activity.json["object"]);
  if (objectUri !== old.uri) return rejected("Move of an actor other than its sender");
  const targetUri = idOf(activity.json["target"]);
  if (targetUri === null) return rejected("Move without a target");
  if (targetUri === old.uri) return rejected("Move to the same actor");

  const target = await fetchTarget(deps, targetUri, activity);
  if ("reason" in target) return rejected(target.reason);
  if (!target.actor.alsoKnownAs.includes(old.uri)) return rejected(`the Move target ${targetUri} does not list ${old.uri} in alsoKnownAs`);
  if (target.actor.movedToUri !== null) return rejected(`the Move target ${targetUri} has moved on itself`);

  const now = deps.clock.now().toISOString();
  await deps.actorMoves.recordMove(old.id, target.actor.uri, now);
  const follows = await deps.follows.localFollowsOf(old.id);
  const blocks = await deps.blocks.localBlocksOf(old.id);
  if (follows.length === 0 && blocks.length === 0) return ignored("no local account follows or blocks the moving actor");

  for (const follow of follows) {
    const account = await deps.accounts.findByActorId(follow.followerId);
    if (account === null) continue;
    // Ending the old follow, following the target and the notification commit together: a job
    // that dies midway is retried with the old follow still in place.
    const result = await deps.followService.moveFollow(follow, account, target.actor);
    if (!result.ok && result.error !== "already-following" && result.error !== "already-requested") {
      log.info("{username} not re-followed to {target} after a Move: {reason}", { username: account.username, target: targetUri, reason: result.message });
    }
  }
  for (const block of blocks) {
    const account = await deps.accounts.findByActorId(block.actorId);
    if (account !== null) await deps.blockService.blockActor(account, target.actor);
  }
  return processed;
}

/** The target, fetched fresh (a cached copy could predate or fake the alias); local targets are read directly. */
async function fetchTarget(deps: SocialHandlerDeps, uri: string, activity: InboundActivity): Promise<{ actor: Actor } | { reason: string }> {
  const account = await localAccountOf(deps, uri);
  if (account !== null) {
    const actor = await deps.actors.findById(account.actorId);
    return actor === null ? { reason: `the Move target ${uri} does not exist` } : { actor };
  }
  if (deps.urls.isLocal(uri)) return { reason: `the Move target ${uri} is not an account of this server` };
  const result = await deps.resolver.resolveUri(uri, { refresh: true, ...(activity.budget ? { budget: activity.budget } : {}) });
  if (!result.ok) return { reason: `the Move target ${uri} could not be fetched (${result.error}: ${result.message})` };
  if (result.value.uri !== uri) return { reason: `the Move target ${uri} answered as ${result.value.uri}` };
  return { actor: result.value };
}
