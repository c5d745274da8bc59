import type { Kysely } from "kysely";
import type { Account } from "../account/account.entity.ts";
import type { Urls } from "../app/urls.ts";
import { idOf, idsOf, isObject, typesOf } from "../content/validate.ts";
import type { DB } from "../db/schema.ts";
import type { InboundActivity, InboxHandler, InboxOutcome } from "../federation/inbox/inbox.types.ts";
import { newId } from "../lib/id.ts";
import { isPublicVisibility, visibilityOf } from "./addressing.ts";
import type { Post } from "./post.entity.ts";
import type { BlockPolicy, FollowerPolicy, InteractionLedger, ObjectFetcher } from "./post.ports.ts";
import { boostWrite, type PostRepository } from "./post.repository.ts";
import type { PollVoteInbox } from "./poll-vote.inbox.ts";
import type { RemotePostService } from "./remote-post.service.ts";
import type { ParsedObject } from "./remote-object.ts";

const processed: InboxOutcome = { kind: "processed" };
const ignored = (reason: string): InboxOutcome => ({ kind: "ignored", reason });
const rejected = (reason: string): InboxOutcome => ({ kind: "rejected", reason });

export interface PostInboxDeps {
  readonly db: Kysely<DB>;
  readonly urls: Urls;
  readonly posts: PostRepository;
  readonly remote: RemotePostService;
  readonly fetcher: ObjectFetcher;
  readonly ledger: InteractionLedger;
  readonly blocks: BlockPolicy;
  readonly followers: Pick<FollowerPolicy, "localFollowerIds">;
  /** Votes on local polls arrive as Creates of Notes (see PollVoteInbox). */
  readonly votes: Pick<PollVoteInbox, "pollVotedOn" | "receive">;
}

/**
 * Inbound posts and boosts. The federation module verified the sender (signature, key owner, activity
 * id on the sender's origin); here the content is checked: an object belongs to the sender only if
 * the sender is its `attributedTo` and the object lives on the sender's origin (hostile-inputs 1, 8),
 * only the owner may update or delete it, and nothing is stored that no local account asked for
 * (follows the sender, is addressed, or wrote the post replied to, quoted or boosted) or that every
 * such account has blocked — boosts included (case 18).
 */
export class PostInbox {
  readonly #deps: PostInboxDeps;

  constructor(deps: PostInboxDeps) {
    this.#deps = deps;
  }

  /** `Create` of a Note, Article, Page, Question, Event, Video … (unknown types become cards). */
  readonly create: InboxHandler = async (activity) => {
    const object = await this.#objectOf(activity);
    if ("reason" in object) return object.outcome;
    const poll = await this.#deps.votes.pollVotedOn(object.json);
    if (poll !== null) return await this.#deps.votes.receive(activity, object.json, poll);
    const parsed = this.#deps.remote.parseFromSender(object.json, activity.actor);
    if (!parsed.ok) return parsed.error === "not-a-post" ? ignored(parsed.message) : rejected(parsed.message);
    const audience = await this.#audience(activity, parsed.value);
    if (audience.all.length === 0) return ignored("no local account follows the author, is addressed, or wrote the post replied to or quoted");
    if (audience.unblocked.length === 0) return ignored(`every local recipient blocks ${activity.actor.uri}`);
    // What the audience check read is handed on, so the store reads none of it again.
    const known = { localMentions: audience.addressed, blocksAuthor: audience.blocksAuthor };
    const stored = await this.#deps.remote.store(parsed.value, activity.actor, object.json, { receivedAt: activity.receivedAt, known });
    if (!stored.ok) return rejected(stored.message);
    return stored.value.created ? processed : ignored(`${parsed.value.id} is already stored`);
  };

  /** `Update` of an object (installed with `federation.onObjectUpdate`): only the owner, edit history kept. */
  readonly update: InboxHandler = async (activity) => {
    const object = await this.#objectOf(activity);
    if ("reason" in object) return object.outcome;
    const parsed = this.#deps.remote.parseFromSender(object.json, activity.actor);
    if (!parsed.ok) return parsed.error === "not-a-post" ? ignored(parsed.message) : rejected(parsed.message);
    const existing = await this.#deps.posts.findByUri(parsed.value.id);
    if (existing === null) return ignored(`${parsed.value.id} is not stored here`);
    if (existing.actorId !== activity.actor.id || existing.isLocal) return rejected(`${activity.actor.uri} does not own ${parsed.value.id}`);
    if (existing.state !== "published") return ignored(`${parsed.value.id} was deleted`);
    await this.#deps.remote.applyUpdate(parsed.value, existing, object.json);
    return processed;
  };

  /** `Delete` of an object or Tombstone (installed with `federation.onObjectDelete`): only the owner. */
  readonly delete: InboxHandler = async (activity) => {
    const uri = idOf(activity.json["object"]);
    if (uri === null) return rejected("Delete without an object id");
    const result = await this.#deps.remote.deleteByOwner(uri, activity.actor);
    if (result.ok) return processed;
    switch (result.error) {
      case "unknown":
      case "already-deleted":
        return ignored(result.message);
      case "not-owner":
        return rejected(result.message);
    }
  };

  /** `Announce` of a post: a boost. The post is taken from storage or fetched from its origin, never from the Announce. */
  readonly announce: InboxHandler = async (activity) => {
    const objectId = idOf(activity.json["object"]);
    if (objectId === null) return rejected("Announce without an object id");
    const existingBoost = await this.#deps.posts.findByUri(activity.id);
    if (existingBoost !== null) return existingBoost.actorId === activity.actor.id ? ignored(`${activity.id} is already stored`) : rejected(`${activity.id} is another actor's`);
    const booster = activity.actor;
    const followers = await this.#deps.followers.localFollowerIds(booster.id);
    const localPost = this.#deps.urls.isLocal(objectId);
    if (followers.length === 0 && !localPost && activity.recipient === null) return ignored("no local account follows the booster, and the post is not a Herold post");

    const resolved = await this.#deps.remote.resolve(objectId, activity.budget ? { budget: activity.budget } : {});
    if (!resolved.ok) return ignored(`the boosted post is unavailable: ${resolved.message}`);
    const post = resolved.value;
    if (post.boostOfId !== null) return ignored("a boost of a boost");
    if (!isPublicVisibility(post.visibility)) return ignored("only public and unlisted posts can be boosted");

    const audience = new Set(followers);
    if (post.isLocal) audience.add(post.actorId);
    if (activity.recipient !== null) audience.add(activity.recipient.actorId);
    let unblocked = 0;
    for (const localId of audience) {
      if (!(await this.#blocked(localId, booster.id)) && !(await this.#blocked(localId, post.actorId))) unblocked++;
    }
    if (unblocked === 0) return ignored("every local recipient blocks the booster or the post's author");

    const at = dateOf(activity.json["published"]) ?? activity.receivedAt;
    const to = idsOf(activity.json["to"], 200);
    const cc = idsOf(activity.json["cc"], 200);
    const inserted = await this.#deps.posts.insert(
      newId(),
      boostWrite({
        uri: activity.id,
        actorId: booster.id,
        isLocal: false,
        boostOfId: post.id,
        visibility: visibilityOf(to, cc, booster.followersUrl),
        to,
        cc,
        publishedAt: at,
      }),
      { mentions: [], tags: [] },
      activity.receivedAt,
    );
    if (!inserted) return ignored(`${activity.id} is already stored`);
    if (post.isLocal && post.actorId !== booster.id && !(await this.#blocked(post.actorId, booster.id))) {
      await this.#deps.ledger.record({ kind: "boost", postId: post.id, actorId: booster.id, activityUri: activity.id, at });
    }
    return processed;
  };

  /** `Undo` of an `Announce`: the boost leaves timelines, the ledger records the undo. */
  readonly undoAnnounce: InboxHandler = async (activity) => {
    const announceId = idOf(activity.json["object"]);
    if (announceId === null) return rejected("Undo without an object id");
    const boost = await this.#deps.posts.findByUri(announceId);
    let done = false;
    if (boost !== null && boost.type === "Announce" && boost.boostOfId !== null) {
      if (boost.actorId !== activity.actor.id) return rejected(`${activity.actor.uri} did not make ${announceId}`);
      await this.#deps.posts.deleteAnnounce(boost.id);
      done = true;
    }
    if (await this.#deps.ledger.undo(announceId, activity.actor.id, activity.receivedAt)) done = true;
    return done ? processed : ignored(`no boost ${announceId} by ${activity.actor.uri}`);
  };

  /** `Add` to the sender's own featured collection (a pinned post). */
  readonly add: InboxHandler = (activity) => this.#featured(activity, "add");

  /** `Remove` from the sender's own featured collection. */
  readonly remove: InboxHandler = (activity) => this.#featured(activity, "remove");

  async #featured(activity: InboundActivity, op: "add" | "remove"): Promise<InboxOutcome> {
    const target = idOf(activity.json["target"]);
    const objectId = idOf(activity.json["object"]);
    if (target === null || objectId === null) return rejected(`${op === "add" ? "Add" : "Remove"} without object or target`);
    if (activity.actor.featuredUrl === null || target !== activity.actor.featuredUrl) return ignored(`${target} is not the featured collection of ${activity.actor.uri}`);
    if (new URL(objectId).origin !== new URL(activity.actor.uri).origin) return rejected(`${activity.actor.uri} cannot feature ${objectId} from another origin`);
    if (op === "add") {
      await this.#deps.posts.addFeatured(activity.actor.id, objectId, activity.receivedAt);
      return processed;
    }
    return (await this.#deps.posts.removeFeatured(activity.actor.id, objectId)) ? processed : ignored(`${objectId} was not featured`);
  }

  /** The activity's object: embedded, or fetched from the sender's origin when only its id is given. */
  async #objectOf(activity: InboundActivity): Promise<{ json: Record<string, unknown> } | { reason: string; outcome: InboxOutcome }> {
    const value = activity.json["object"];
    if (isObject(value)) {
      if (typesOf(value, 8).length === 0) return { reason: "untyped", outcome: rejected("the object has no type") };
      return { json: value };
    }
    const uri = idOf(value);
    if (uri === null) return { reason: "missing", outcome: rejected(`${activity.type} without an object`) };
    if (new URL(uri).origin !== new URL(activity.actor.uri).origin) {
      return { reason: "origin", outcome: rejected(`${uri} is not on the origin of ${activity.actor.uri}`) };
    }
    const fetched = await this.#deps.fetcher.fetch(uri, { requireIdEquals: "final-url", ...(activity.budget ? { budget: activity.budget } : {}) });
    if (!fetched.ok) return { reason: "fetch", outcome: ignored(`could not fetch ${uri}: ${fetched.message}`) };
    return { json: { ...fetched.value.document } };
  }

  /**
   * Local accounts this post is for, those of them that do not block its author, and what the store
   * needs again: the local accounts the post addresses, and which local actors block the author.
   */
  async #audience(
    activity: InboundActivity,
    parsed: ParsedObject,
  ): Promise<{ all: string[]; unblocked: string[]; addressed: Account[]; blocksAuthor: Map<string, boolean> }> {
    const ids = new Set<string>();
    if (activity.recipient !== null) ids.add(activity.recipient.actorId);
    for (const id of await this.#deps.followers.localFollowerIds(activity.actor.id)) ids.add(id);
    if (activity.via !== undefined) for (const id of await this.#deps.followers.localFollowerIds(activity.via.id)) ids.add(id);
    const addressed = await this.#deps.remote.localAccountsAddressed(parsed);
    for (const account of addressed) ids.add(account.actorId);
    for (const related of [parsed.inReplyTo, parsed.quote]) {
      const post = related === null ? null : await this.#localPost(related);
      if (post !== null) ids.add(post.actorId);
    }
    const all = [...ids].filter((id) => id !== activity.actor.id);
    const unblocked: string[] = [];
    const blocksAuthor = new Map<string, boolean>();
    for (const id of all) {
      const blocked = await this.#blocked(id, activity.actor.id);
      blocksAuthor.set(id, blocked);
      if (!blocked) unblocked.push(id);
    }
    return { all, unblocked, addressed, blocksAuthor };
  }

  async #localPost(uri: string): Promise<Post | null> {
    const parsed = this.#deps.urls.parsePost(uri);
    if (parsed === null) return null;
    const post = await this.#deps.posts.findById(parsed.postId);
    return post !== null && post.isLocal && post.uri === uri ? post : null;
  }

  #blocked(localActorId: string, otherId: string): Promise<boolean> {
    return this.#deps.blocks.isBlocked(localActorId, otherId);
  }
}

function dateOf(value: unknown): string | null {
  if (typeof value !== "string" || value.length > 64) return null;
  const time = Date.parse(value);
  return Number.isNaN(time) ? null : new Date(time).toISOString();
}

/** Registers the handlers on the federation module's dispatcher and object hooks. */
export function registerPostInbox(
  federation: { inbox: { register(key: string, handler: InboxHandler): void }; onObjectUpdate(handler: InboxHandler): void; onObjectDelete(handler: InboxHandler): void },
  inbox: PostInbox,
): void {
  federation.inbox.register("Create", inbox.create);
  federation.inbox.register("Announce", inbox.announce);
  federation.inbox.register("Undo/Announce", inbox.undoAnnounce);
  federation.inbox.register("Add", inbox.add);
  federation.inbox.register("Remove", inbox.remove);
  federation.onObjectUpdate(inbox.update);
  federation.onObjectDelete(inbox.delete);
}
