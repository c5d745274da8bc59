import type { Kysely } from "kysely";
import type { ActorResolver } from "../../actor/actor.resolver.ts";
import { asArray, idOf, idsOf, isObject, parseIri, typesOf } from "../../content/validate.ts";
import type { DB } from "../../db/schema.ts";
import type { DomainBlocks } from "../domain-blocks.ts";
import type { DocumentSource, DocumentFetchError } from "../fetch/document-fetcher.ts";
import type { InboxProcessor } from "./inbox.processor.ts";
import { activityDigest } from "./seen.ts";
import type { InboundActivity, InboxDispatcher, InboxOutcome } from "./inbox.types.ts";

/** Inner activity types unwrapped from an Announce (what Lemmy, Mbin, PieFed and WordPress groups re-share). */
export const UNWRAPPED_TYPES: readonly string[] = [
  "Create", "Update", "Delete", "Like", "Dislike", "Undo", "EmojiReact", "Add", "Remove", "Block", "Lock", "Flag",
];

export interface AnnounceDeps {
  readonly db: Kysely<DB>;
  readonly fetcher: DocumentSource;
  readonly resolver: ActorResolver;
  readonly domainBlocks: DomainBlocks;
  readonly processor: () => InboxProcessor;
}

/** A failure worth retrying later (the origin is down), as opposed to a refusal. */
export class TransientFetchError extends Error {
  override name = "TransientFetchError";
}

const TRANSIENT: ReadonlySet<DocumentFetchError> = new Set(["timeout", "network", "aborted", "http-status", "bad-response", "too-many-redirects"]);

/**
 * Group announces (`Announce/Create`, `Announce/Like`, …): a Group re-shares activities of its
 * members. The Announce is verified as the Group's; the inner activity is not the Group's to vouch
 * for unless it comes from the Group's own origin. From any other origin it is checked there
 * (hostile-inputs case 9: never trust an embedded copy its origin has not confirmed):
 *
 * - Create/Update: the object is re-fetched by its id from its origin (the id must be what was asked
 *   for) and must be attributed to the inner actor on that origin; the fetched copy replaces the
 *   embedded one (an actor updating itself: its current document).
 * - Delete: the object must be gone at its origin (404/410); an object that still exists is not deleted.
 * - anything else: the inner activity itself is re-fetched by its id and must match type and actor.
 *
 * Then the inner activity is dispatched under its own key as from its own actor (resolved and
 * stored like any sender), once: its id goes into `inbox_seen` like a directly delivered one.
 * Blocked domains are refused whether they appear as the inner actor or the object (case 18).
 */
export function registerAnnounceUnwrapping(dispatcher: InboxDispatcher, deps: AnnounceDeps): void {
  for (const type of UNWRAPPED_TYPES) dispatcher.register(`Announce/${type}`, (activity) => unwrap(activity, deps));
}

async function unwrap(activity: InboundActivity, deps: AnnounceDeps): Promise<InboxOutcome> {
  const inner = activity.json["object"];
  if (!isObject(inner)) return { kind: "rejected", reason: "the announced activity is not embedded" };
  const innerId = parseIri(inner["id"]);
  const innerType = typesOf(inner, 4)[0];
  const actors = asArray(inner["actor"], 2);
  const innerActor = actors.length === 1 ? parseIri(idOf(actors[0])) : null;
  if (innerId === null || innerType === undefined || innerActor === null) {
    return { kind: "rejected", reason: "the announced activity lacks an id, a type or exactly one actor" };
  }
  if (innerId.origin !== innerActor.origin) {
    return { kind: "rejected", reason: `announced activity ${innerId.href} is not on the origin of its actor ${innerActor.href}` };
  }
  const objectId = idOf(inner["object"]);
  const blocked = await deps.domainBlocks.firstBlocked([innerActor, innerId, ...(objectId !== null ? [objectId] : [])]);
  if (blocked !== null) return { kind: "rejected", reason: `the announced activity involves the blocked domain ${blocked}` };

  const budget = activity.budget;
  const fetchOptions = { requireIdEquals: "requested-url" as const, ...(budget ? { budget } : {}) };
  let verified: Record<string, unknown>;
  // Whether the inner activity's id itself is confirmed (not only its object): only then may it be
  // recorded as received, or a relay could reserve ids its actor has not used yet (hostile-inputs
  // case 4; src/hostile-inputs/signatures.test.ts).
  let idConfirmed = false;
  if (innerActor.origin === new URL(activity.actor.uri).origin) {
    verified = inner; // the Group's server speaks for its own origin
    idConfirmed = true;
  } else if (innerType === "Create" || innerType === "Update") {
    if (objectId === null) return { kind: "rejected", reason: `announced ${innerType} has no object id` };
    const fetched = await deps.fetcher.fetch(objectId, fetchOptions);
    if (!fetched.ok) return failure(fetched.error, `cannot confirm the object ${objectId} at its origin: ${fetched.message}`);
    const object = fetched.value.document;
    const objectUrl = new URL(fetched.value.id);
    const selfUpdate = canonical(objectId) === innerActor.href;
    const authors = idsOf(object["attributedTo"], 8).map(canonical);
    if (!selfUpdate && (objectUrl.origin !== innerActor.origin || !authors.includes(innerActor.href))) {
      return { kind: "rejected", reason: `the object ${objectId} at its origin is not attributed to ${innerActor.href}` };
    }
    verified = { ...inner, object };
  } else if (innerType === "Delete") {
    if (objectId === null) return { kind: "rejected", reason: "announced Delete has no object id" };
    const fetched = await deps.fetcher.fetch(objectId, fetchOptions);
    if (fetched.ok) return { kind: "rejected", reason: `announced Delete of ${objectId}, which still exists at its origin` };
    if (fetched.error !== "gone" && fetched.error !== "not-found") {
      return failure(fetched.error, `cannot confirm the deletion of ${objectId} at its origin: ${fetched.message}`);
    }
    verified = inner;
  } else {
    const fetched = await deps.fetcher.fetch(innerId.href, fetchOptions);
    if (!fetched.ok) return failure(fetched.error, `cannot confirm the announced ${innerType} ${innerId.href} at its origin: ${fetched.message}`);
    const document = fetched.value.document;
    const fetchedActors = asArray(document["actor"], 2);
    const fetchedActor = fetchedActors.length === 1 ? idOf(fetchedActors[0]) : null;
    if (!typesOf(document, 4).includes(innerType) || fetchedActor === null || canonical(fetchedActor) !== innerActor.href) {
      return { kind: "rejected", reason: `the announced ${innerType} ${innerId.href} differs at its origin` };
    }
    verified = document;
    idConfirmed = true;
  }

  // By id alone, whatever the digest: the copy a group relays differs in form from the one its actor
  // delivered directly (no @context, other members embedded), so its content digest cannot tell.
  const seen = await deps.db.selectFrom("inbox_seen").select("uri").where("uri", "=", inner["id"] as string).executeTakeFirst();
  if (seen !== undefined) return { kind: "ignored", reason: `announced activity ${innerId.href} was already received` };

  const actor = await deps.resolver.resolveUri(innerActor.href, budget ? { budget } : {});
  if (!actor.ok) {
    if (actor.error === "unreachable") throw new TransientFetchError(`actor ${innerActor.href} of the announced activity: ${actor.message}`);
    return { kind: "rejected", reason: `the actor of the announced activity cannot be used: ${actor.message}` };
  }
  const unwrapped: InboundActivity = {
    id: inner["id"] as string,
    type: innerType,
    actor: actor.value,
    json: verified,
    recipient: activity.recipient,
    receivedAt: activity.receivedAt,
    ...(budget ? { budget } : {}),
    via: activity.actor,
  };
  const { outcome } = await deps.processor().dispatch(unwrapped, { nested: true });
  if (!idConfirmed) return outcome;
  await deps.db
    .insertInto("inbox_seen")
    .values({ uri: unwrapped.id, digest: activityDigest(verified), received_at: activity.receivedAt })
    .onConflict((oc) => oc.columns(["uri", "digest"]).doNothing())
    .execute();
  return outcome;
}

/** Refusals are final; an origin that is down is retried later (the job throws). */
function failure(error: DocumentFetchError, message: string): InboxOutcome {
  if (TRANSIENT.has(error)) throw new TransientFetchError(message);
  return { kind: "rejected", reason: message };
}

function canonical(uri: string): string {
  try {
    return new URL(uri).href;
  } catch {
    return uri;
  }
}
