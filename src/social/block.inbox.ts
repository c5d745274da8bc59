import type { InboundActivity, InboxOutcome } from "../federation/inbox/inbox.types.ts";
import { idOf, isObject } from "../content/validate.ts";
import { ignored, localAccountOf, processed, rejected, type HandlerTable, type SocialHandlerDeps } from "./social.inbox.ts";

/**
 * A remote actor blocks (or unblocks) a local account. The block is recorded and the follows end in
 * both directions; the local account's follow is undone towards the blocker, as Mastodon does.
 */
export function blockHandlers(deps: SocialHandlerDeps): HandlerTable {
  return {
    Block: (activity) => receiveBlock(deps, activity),
    "Undo/Block": (activity) => receiveUndoBlock(deps, activity),
  };
}

async function receiveBlock(deps: SocialHandlerDeps, activity: InboundActivity): Promise<InboxOutcome> {
  const objectUri = idOf(activity.json["object"]);
  if (objectUri === null) return rejected("Block without an object id");
  const account = await localAccountOf(deps, objectUri);
  if (account === null) return ignored(`Block of ${objectUri}, which is not a local account`);
  // Lemmy sends Block with a `target` community or site for bans; that is moderation there, not a block of the person.
  if (activity.json["target"] !== undefined) return ignored("Block with a target is a community or site ban, not a block between accounts");
  const blocker = activity.actor;
  const now = deps.clock.now().toISOString();
  const { block, created } = await deps.blocks.create({ actorId: blocker.id, targetId: account.actorId, uri: activity.id }, now);
  if (!created && block.uri !== activity.id) await deps.blocks.setUri(block.id, activity.id);
  const ours = await deps.follows.findPair(account.actorId, blocker.id);
  if (ours !== null) await deps.followService.endFollow(ours, "block", { announce: true });
  const theirs = await deps.follows.findPair(blocker.id, account.actorId);
  if (theirs !== null) await deps.followService.endFollow(theirs, "block", { announce: false });
  return processed;
}

async function receiveUndoBlock(deps: SocialHandlerDeps, activity: InboundActivity): Promise<InboxOutcome> {
  const inner = activity.json["object"];
  if (isObject(inner) && inner["actor"] !== undefined && idOf(inner["actor"]) !== activity.actor.uri) {
    return rejected("Undo of a Block made by another actor");
  }
  const blockUri = idOf(inner);
  let block = blockUri === null ? null : await deps.blocks.findByUri(blockUri);
  if (block !== null && block.actorId !== activity.actor.id) return rejected("Undo of a Block made by another actor");
  if (block === null && isObject(inner)) {
    const account = await localAccountOf(deps, idOf(inner["object"]));
    if (account !== null) block = await deps.blocks.findPair(activity.actor.id, account.actorId);
  }
  if (block === null) return ignored("no block of a local account to undo");
  await deps.blocks.remove(block.id);
  return processed;
}
