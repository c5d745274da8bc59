import { looksLikeActor } from "../../actor/actor.parser.ts";
import type { ActorRepository } from "../../actor/actor.repository.ts";
import type { ActorService } from "../../actor/actor.service.ts";
import { idOf, isObject } from "../../content/validate.ts";
import type { InboundActivity, InboxDispatcher, InboxHandler, InboxOutcome } from "./inbox.types.ts";

/**
 * Where `Update` and `Delete` of objects (posts, not actors) go. The posts module installs them
 * once (`fed.onObjectUpdate`, `fed.onObjectDelete`); until then such activities are ignored politely.
 */
export class ObjectHooks {
  #update: InboxHandler | undefined;
  #delete: InboxHandler | undefined;

  onObjectUpdate(handler: InboxHandler): void {
    if (this.#update !== undefined) throw new Error("an object-update handler is installed already");
    this.#update = handler;
  }

  onObjectDelete(handler: InboxHandler): void {
    if (this.#delete !== undefined) throw new Error("an object-delete handler is installed already");
    this.#delete = handler;
  }

  get update(): InboxHandler | undefined {
    return this.#update;
  }

  get delete(): InboxHandler | undefined {
    return this.#delete;
  }
}

export interface ActorHandlerDeps {
  readonly actorService: ActorService;
  readonly actors: ActorRepository;
  readonly hooks: ObjectHooks;
}

/**
 * `Update` and `Delete`, registered by the federation module.
 *
 * Update of an actor: when the activity's actor updates itself and embeds its document, that
 * document is stored (it arrived signed by that actor, or was re-fetched from its origin when it
 * came through a group's Announce). Any other actor document is never taken from the activity: a
 * known actor is re-fetched from its own origin; an unknown one is ignored.
 *
 * Delete of an actor: only the actor itself may delete itself; it is marked gone and its follows in
 * both directions are removed (`ActorService.markGone`, the one path for gone actors). Deleting another actor is
 * refused. Everything else is an object and goes to the posts module's hooks.
 */
export function registerActorHandlers(dispatcher: InboxDispatcher, deps: ActorHandlerDeps): void {
  dispatcher.register("Update", (activity) => handleUpdate(activity, deps));
  dispatcher.register("Delete", (activity) => handleDelete(activity, deps));
}

async function handleUpdate(activity: InboundActivity, deps: ActorHandlerDeps): Promise<InboxOutcome> {
  const object = activity.json["object"];
  const objectId = idOf(object);
  if (objectId === null) return { kind: "rejected", reason: "Update without an object id" };
  const budget = activity.budget;

  if (same(objectId, activity.actor.uri)) {
    if (isObject(object) && looksLikeActor(object)) {
      const stored = await deps.actorService.storeDocument(object, activity.actor.uri);
      if (stored.ok) return { kind: "processed" };
      // An embedded document we cannot use: the origin's current one is the authority.
      const refetched = await deps.actorService.resolveUri(activity.actor.uri, { refresh: true, ...(budget ? { budget } : {}) });
      return refetched.ok ? { kind: "processed" } : { kind: "rejected", reason: `embedded profile refused (${stored.message}); refetch failed: ${refetched.message}` };
    }
    const refetched = await deps.actorService.resolveUri(activity.actor.uri, { refresh: true, ...(budget ? { budget } : {}) });
    return refetched.ok ? { kind: "processed" } : { kind: "rejected", reason: `profile refetch failed: ${refetched.message}` };
  }

  const known = await deps.actors.findByUri(canonical(objectId));
  if (known !== null || looksLikeActor(object)) {
    if (known === null) return { kind: "ignored", reason: `Update of actor ${objectId}, which is not known here` };
    if (known.isLocal) return { kind: "rejected", reason: `${activity.actor.uri} cannot update the local actor ${objectId}` };
    // Someone else's word about an actor (a moderator updating a group) is only a hint to look again.
    const refetched = await deps.actorService.resolveUri(known.uri, { refresh: true, ...(budget ? { budget } : {}) });
    return refetched.ok ? { kind: "processed" } : { kind: "rejected", reason: `refetch of ${known.uri} failed: ${refetched.message}` };
  }

  const hook = deps.hooks.update;
  return hook !== undefined ? await hook(activity) : { kind: "ignored", reason: "no handler for object updates is installed" };
}

async function handleDelete(activity: InboundActivity, deps: ActorHandlerDeps): Promise<InboxOutcome> {
  const objectId = idOf(activity.json["object"]);
  if (objectId === null) return { kind: "rejected", reason: "Delete without an object id" };
  if (same(objectId, activity.actor.uri)) {
    await deps.actorService.markGone(activity.actor, "it deleted itself");
    return { kind: "processed" };
  }
  const known = await deps.actors.findByUri(canonical(objectId));
  if (known !== null) return { kind: "rejected", reason: `${activity.actor.uri} cannot delete the actor ${objectId}: only an actor deletes itself` };
  const hook = deps.hooks.delete;
  return hook !== undefined ? await hook(activity) : { kind: "ignored", reason: "no handler for object deletes is installed" };
}

function canonical(uri: string): string {
  try {
    return new URL(uri).href;
  } catch {
    return uri;
  }
}

function same(a: string, b: string): boolean {
  return canonical(a) === canonical(b);
}
