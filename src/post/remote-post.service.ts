import type { Insertable, Kysely } from "kysely";
import type { Account } from "../account/account.entity.ts";
import type { AccountRepository } from "../account/account.repository.ts";
import type { Actor } from "../actor/actor.entity.ts";
import type { ActorRepository } from "../actor/actor.repository.ts";
import type { ActorResolver } from "../actor/actor.resolver.ts";
import type { Urls } from "../app/urls.ts";
import type { Limits } from "../config/config.ts";
import { isObject, parseIri } from "../content/validate.ts";
import type { DB, MediaRow } from "../db/schema.ts";
import type { FetchBudget } from "../federation/fetch/fetch-budget.ts";
import { newId } from "../lib/id.ts";
import { logger } from "../lib/logger.ts";
import { err, ok, type Result } from "../lib/result.ts";
import type { Clock } from "../lib/time.ts";
import { visibilityOf } from "./addressing.ts";
import type { Post } from "./post.entity.ts";
import type { BlockPolicy, InteractionLedger, Notifier, ObjectFetcher } from "./post.ports.ts";
import type { MentionRef, PostRepository, PostWrite } from "./post.repository.ts";
import { namesAuthor, parseRemoteObject, type ParsedObject, type ParseLimits } from "./remote-object.ts";

const log = logger("post", "remote");

export type ResolvePostError = "invalid" | "not-found" | "gone" | "unreachable" | "not-a-post" | "forbidden";
export type StoreError = "invalid" | "not-a-post" | "wrong-author" | "unknown-author";

/**
 * Posts from other servers: stored from what an author's server delivered, fetched by id when
 * someone links, replies to, quotes or boosts a post Herold does not have, refreshed on request.
 *
 * The rule that keeps this safe (hostile-inputs cases 1 and 8): a post belongs to the actor who sent
 * it only when that actor is named in its `attributedTo` and the post's id is on the actor's origin;
 * a fetched post belongs to an actor on the post's own origin, and was served from that origin (the
 * document fetcher checks the id against the final URL). A post never changes owner.
 */
export class RemotePostService {
  readonly #db: Kysely<DB>;
  readonly #posts: PostRepository;
  readonly #actors: ActorRepository;
  readonly #accounts: AccountRepository;
  readonly #urls: Urls;
  readonly #resolver: ActorResolver;
  readonly #fetcher: ObjectFetcher;
  readonly #ledger: InteractionLedger;
  readonly #notifier: Notifier;
  readonly #blocks: BlockPolicy;
  readonly #limits: ParseLimits;
  readonly #clock: Clock;

  constructor(deps: {
    db: Kysely<DB>;
    posts: PostRepository;
    actors: ActorRepository;
    accounts: AccountRepository;
    urls: Urls;
    resolver: ActorResolver;
    fetcher: ObjectFetcher;
    ledger: InteractionLedger;
    notifier: Notifier;
    blocks: BlockPolicy;
    limits: Pick<Limits, "maxAttachments" | "maxTags" | "maxPollOptions" | "maxStringLength">;
    clock: Clock;
  }) {
    this.#db = deps.db;
    this.#posts = deps.posts;
    this.#actors = deps.actors;
    this.#accounts = deps.accounts;
    this.#urls = deps.urls;
    this.#resolver = deps.resolver;
    this.#fetcher = deps.fetcher;
    this.#ledger = deps.ledger;
    this.#notifier = deps.notifier;
    this.#blocks = deps.blocks;
    this.#limits = deps.limits;
    this.#clock = deps.clock;
  }

  get parseLimits(): ParseLimits {
    return this.#limits;
  }

  /**
   * A post by its id or its web address: a local post, a stored one, or (for remote URLs) one fetched
   * from its origin and stored. With `refresh`, a stored remote post is fetched again and updated.
   */
  async resolve(uri: string, options: { refresh?: boolean; budget?: FetchBudget } = {}): Promise<Result<Post, ResolvePostError>> {
    const url = parseIri(uri.trim());
    if (url === null) return err("invalid", `not an http(s) URL: ${JSON.stringify(uri)}`);
    if (this.#urls.isLocal(url.href)) {
      const local = this.#urls.parsePost(url.href);
      const post = local ? await this.#posts.findById(local.postId) : null;
      if (post === null || !post.isLocal || post.boostOfId !== null) return err("not-found", `no post here at ${url.href}`);
      return post.state === "deleted" ? err("gone", `${url.href} was deleted`) : ok(post);
    }
    const stored = await this.#posts.findByUriOrUrl(url.href);
    if (stored !== null && !options.refresh) {
      return stored.state === "deleted" ? err("gone", `${url.href} was deleted`) : ok(stored);
    }
    // By its id the document must be exactly what was asked for; by a web address (content
    // negotiation) it may have another id on the same origin.
    const fetched = await this.#fetcher.fetch(stored?.uri ?? url.href, {
      requireIdEquals: stored !== null ? "final-url" : "same-origin",
      ...(options.budget ? { budget: options.budget } : {}),
    });
    if (!fetched.ok) {
      if (fetched.error === "gone" && stored !== null && !stored.isLocal) await this.#markDeleted(stored);
      return err(mapFetchError(fetched.error), `could not fetch ${url.href}: ${fetched.message}`);
    }
    const parsed = parseRemoteObject(fetched.value.document, this.#limits);
    if (!parsed.ok) return err(parsed.error, parsed.message);
    const author = await this.#authorOfFetched(parsed.value, options.budget);
    if (!author.ok) return err(author.error === "forbidden" ? "forbidden" : "invalid", author.message);
    const existing = await this.#posts.findByUri(parsed.value.id);
    if (existing !== null) {
      if (existing.actorId !== author.value.id) return err("invalid", `${parsed.value.id} belongs to another actor`);
      if (options.refresh && existing.state === "published") await this.applyUpdate(parsed.value, existing, fetched.value.document);
      const current = await this.#posts.findById(existing.id);
      return current === null || current.state === "deleted" ? err("gone", `${url.href} was deleted`) : ok(current);
    }
    const stored2 = await this.store(parsed.value, author.value, fetched.value.document);
    if (!stored2.ok) return err(stored2.error === "not-a-post" ? "not-a-post" : "invalid", stored2.message);
    return ok(stored2.value.post);
  }

  /**
   * Parses an object delivered by `sender` and checks that the sender is its author (inbox path).
   * An object that names no author at all (Hubzilla, Zap) is the sender's when it is on the sender's
   * origin, as Mastodon has it; `checkAuthor` still refuses it on any other origin, and an author
   * that is named must be the sender (issue #10, item 11).
   */
  parseFromSender(json: unknown, sender: Actor): Result<ParsedObject, StoreError> {
    const parsed = parseRemoteObject(json, this.#limits);
    if (!parsed.ok) return parsed;
    const object = isObject(json) && !namesAuthor(json) ? { ...parsed.value, attributedTo: [sender.uri] } : parsed.value;
    const check = checkAuthor(object, sender);
    return check === null ? ok(object) : err("wrong-author", check);
  }

  /**
   * Stores a parsed object by `author` (checked by the caller: `parseFromSender`, or the fetch path).
   * Idempotent: a post already stored is returned as it is (`created: false`).
   *
   * One transaction holds the post, its media, the links of replies and quotes that arrived before
   * it, its ledger entries and notifications: a job that crashes before the commit leaves nothing and
   * is reprocessed whole; after it, the post is found and nothing is written twice. The reads (the
   * parent, the quoted post, blocks) happen before the transaction (on SQLite every query inside it
   * must use it). `known` hands in what the caller already read for this activity, so that it is not
   * read again: the local accounts the post addresses and which local actors block the author.
   */
  async store(
    parsed: ParsedObject,
    author: Actor,
    raw: unknown,
    options: { receivedAt?: string; known?: KnownForStore } = {},
  ): Promise<Result<{ post: Post; created: boolean }, StoreError>> {
    const check = checkAuthor(parsed, author);
    if (check !== null) return err("wrong-author", check);
    const existing = await this.#posts.findByUri(parsed.id);
    if (existing !== null) {
      if (existing.actorId !== author.id) return err("wrong-author", `${parsed.id} is already stored as another actor's post`);
      // Seen before (stored by an older version in separate writes, or fetched): finish the idempotent rest.
      await this.#afterStore(existing, author, options.known?.localMentions ?? (await this.localAccountsAddressed(parsed)));
      return ok({ post: existing, created: false });
    }
    const now = this.#clock.now().toISOString();
    const [parent, quoted, localMentions] = await Promise.all([
      parsed.inReplyTo ? this.#posts.findByUri(parsed.inReplyTo) : null,
      parsed.quote ? this.#posts.findByUri(parsed.quote) : null,
      options.known?.localMentions ?? this.localAccountsAddressed(parsed),
    ]);
    const write: PostWrite = {
      uri: parsed.id,
      actorId: author.id,
      isLocal: false,
      type: parsed.type,
      state: "published",
      visibility: visibilityOf(parsed.to, parsed.cc, author.followersUrl),
      ...contentOf(parsed, raw),
      url: parsed.url,
      inReplyToUri: parsed.inReplyTo,
      inReplyToId: parent?.id ?? null,
      quoteUri: parsed.quote,
      quoteId: quoted?.id ?? null,
      boostOfId: null,
      conversationUri: parsed.conversation ?? parent?.conversationUri ?? null,
      to: parsed.to,
      cc: parsed.cc,
      publishedAt: parsed.published ?? options.receivedAt ?? now,
      editedAt: parsed.updated !== null && parsed.updated !== parsed.published ? parsed.updated : null,
    };
    const id = newId(this.#clock.now().getTime());
    const plan = await this.planInteractions(
      { id, uri: write.uri, inReplyToId: write.inReplyToId, quoteId: write.quoteId, publishedAt: write.publishedAt },
      author,
      localMentions,
      { posts: [parent, quoted].filter((p) => p !== null), blocksAuthor: options.known?.blocksAuthor },
    );
    const inserted = await this.#db.transaction().execute(async (trx) => {
      const done = await this.#posts.insert(id, write, this.#relationsOf(parsed, localMentions), now, trx);
      if (!done) return false; // stored meanwhile by another job: the rest is that job's
      await this.#posts.addRemoteMedia(id, author.id, remoteMedia(parsed, now), trx);
      await this.#posts.linkEarlierArrivals({ id, uri: write.uri }, trx);
      await this.writeInteractions(plan, trx);
      return true;
    });
    const post = inserted ? await this.#posts.findById(id) : await this.#posts.findByUri(parsed.id);
    if (post === null) throw new Error(`post ${parsed.id} vanished while being stored`);
    if (!inserted) {
      if (post.actorId !== author.id) return err("wrong-author", `${parsed.id} is already stored as another actor's post`);
      await this.#afterStore(post, author, localMentions);
      return ok({ post, created: false });
    }
    log.debug("stored {type} {uri} by {author}", { type: post.type, uri: post.uri, author: author.uri });
    return ok({ post, created: true });
  }

  /**
   * The rest of a store for a post found already stored. All idempotent (the link updates touch only
   * unlinked rows, the ledger keys make repeats no-ops), so a repeat completes what is missing.
   */
  async #afterStore(post: Post, author: Actor, localMentions: readonly Account[]): Promise<void> {
    await this.#posts.linkEarlierArrivals(post);
    await this.recordInteractions(post, author, localMentions);
  }

  /**
   * Applies a newer version of a stored post (Update, refresh). The previous text is kept in post_edits
   * when text, content warning or title changed; new vote counts alone are not an edit.
   */
  async applyUpdate(parsed: ParsedObject, existing: Post, raw: unknown): Promise<Post> {
    const now = this.#clock.now().toISOString();
    const textChanged =
      parsed.contentHtml !== existing.contentHtml || parsed.summary !== existing.summary || parsed.name !== existing.name || parsed.sensitive !== existing.sensitive;
    if (!textChanged) {
      if (parsed.poll !== null && JSON.stringify(parsed.poll) !== JSON.stringify(existing.poll)) await this.#posts.updatePoll(existing.id, parsed.poll, now);
      return (await this.#posts.findById(existing.id)) ?? existing;
    }
    const localMentions = await this.localAccountsAddressed(parsed);
    await this.#db.transaction().execute(async (trx) => {
      await this.#posts.updateContent(
        existing,
        { ...contentOf(parsed, raw), editedAt: parsed.updated ?? now },
        this.#relationsOf(parsed, localMentions),
        { now, editId: newId(this.#clock.now().getTime()) },
        trx,
      );
      await this.#posts.replaceRemoteMedia(existing.id, existing.actorId, remoteMedia(parsed, now), trx);
    });
    const updated = (await this.#posts.findById(existing.id)) ?? existing;
    const author = await this.#actors.findById(existing.actorId);
    // Newly mentioned local accounts hear about it, as on Mastodon; the ledger keys make repeats no-ops.
    if (author !== null) await this.recordInteractions(updated, author, localMentions);
    return updated;
  }

  /** Deletes a stored remote post on its author's request; the ledger marks its reply and quote undone. */
  async deleteByOwner(uri: string, sender: Actor): Promise<Result<Post, "unknown" | "not-owner" | "already-deleted">> {
    const post = await this.#posts.findByUri(uri);
    if (post === null || post.boostOfId !== null) return err("unknown", `no stored post ${uri}`);
    if (post.actorId !== sender.id || post.isLocal) return err("not-owner", `${sender.uri} does not own ${uri}`);
    if (post.state === "deleted") return err("already-deleted", `${uri} is already deleted`);
    await this.#markDeleted(post);
    return ok(post);
  }

  /**
   * The ledger entries and notifications a new post causes: a reply to or quote of a Herold post,
   * and mentions of local accounts. Keys are derived from the post's id, so a post that arrives twice
   * (delivered, then fetched) is counted once. Nothing is recorded between actors who block each other.
   */
  async recordInteractions(post: Post, author: Actor, localMentions: readonly Account[]): Promise<void> {
    await this.writeInteractions(await this.planInteractions(post, author, localMentions));
  }

  /**
   * The reads of `recordInteractions` (targets, blocks), done before the write they belong to so
   * that `writeInteractions` can run inside its transaction (a local post's outbox transaction)
   * with nothing but the ledger's and notifications' own queries.
   */
  async planInteractions(post: InteractionSource, author: Actor, localMentions: readonly Account[], known: KnownForPlan = {}): Promise<PlannedInteractions> {
    const at = post.publishedAt ?? this.#clock.now().toISOString();
    const blocked = async (localActorId: string) => known.blocksAuthor?.get(localActorId) ?? (await this.#blocks.isBlocked(localActorId, author.id));
    const targets: PlannedInteractions["targets"][number][] = [];
    for (const [kind, targetId, key] of [
      ["reply", post.inReplyToId, post.uri],
      ["quote", post.quoteId, `${post.uri}#quote`],
    ] as const) {
      if (targetId === null) continue;
      const target = known.posts?.find((p) => p.id === targetId) ?? (await this.#posts.findById(targetId));
      if (target === null || !target.isLocal || target.actorId === author.id || target.state !== "published") continue;
      if (await blocked(target.actorId)) continue;
      targets.push({ kind, postId: target.id, authorActorId: target.actorId, activityUri: key });
    }
    const mentioned: string[] = [];
    for (const account of localMentions) {
      if (account.actorId === author.id) continue;
      if (await blocked(account.actorId)) continue;
      mentioned.push(account.actorId);
    }
    return { post: { id: post.id, uri: post.uri }, authorId: author.id, at, targets, mentioned };
  }

  /** The writes of `recordInteractions`, in `db` when given (the caller's transaction). */
  async writeInteractions(plan: PlannedInteractions, db?: Kysely<DB>): Promise<void> {
    const { post, authorId: author, at } = plan;
    const notified = new Set<string>([author]);
    for (const target of plan.targets) {
      await this.#ledger.record({ kind: target.kind, postId: target.postId, actorId: author, activityUri: target.activityUri, objectUri: post.uri, at }, db);
      notified.add(target.authorActorId);
    }
    for (const actorId of plan.mentioned) {
      const { interactionId, created } = await this.#ledger.record({
        kind: "mention",
        postId: post.id,
        actorId: author,
        activityUri: `${post.uri}#mention-${actorId}`,
        objectUri: post.uri,
        at,
      }, db);
      // A reply already told the parent's author; one notification per post, as Mastodon does. A
      // ledger row just created has no notification yet; only a repeat must look.
      if (!notified.has(actorId) && (created || !(await this.#notifier.existsForInteraction(interactionId, db)))) {
        // `mentioned` holds only local accounts that do not block the author (planInteractions).
        await this.#notifier.notify({ recipientActorId: actorId, kind: "mention", fromActorId: author, postId: post.id, interactionId, checked: true }, db);
        notified.add(actorId);
      }
    }
  }

  /**
   * Mentions and hashtags of a post, for its insert and for every edit alike: its Mention tags, and
   * the local accounts it addresses without one (some servers send DMs without tags), named by handle.
   */
  #relationsOf(parsed: ParsedObject, localMentions: readonly Account[]): { mentions: MentionRef[]; tags: readonly string[] } {
    const mentions: MentionRef[] = parsed.mentions.map((m) => ({ actorUri: m.uri, handle: m.handle }));
    const host = this.#urls.origin.replace(/^https?:\/\//, "");
    for (const account of localMentions) {
      if (!mentions.some((m) => m.actorUri === account.uri)) mentions.push({ actorUri: account.uri, handle: `${account.username}@${host}` });
    }
    return { mentions, tags: parsed.hashtags };
  }

  /** Local accounts a post names: Mention tags and direct addressing (some servers send DMs without tags). */
  async localAccountsAddressed(parsed: ParsedObject): Promise<Account[]> {
    const uris = new Set([...parsed.mentions.map((m) => m.uri), ...parsed.to, ...parsed.cc]);
    const out: Account[] = [];
    for (const uri of uris) {
      const username = this.#urls.parseActor(uri);
      if (username === null) continue;
      const account = await this.#accounts.findByUsername(username);
      if (account !== null && account.username === username && (uri === account.uri || uri === this.#urls.profile(username)) && !out.some((a) => a.id === account.id)) {
        out.push(account);
      }
    }
    return out;
  }

  /** The author of a fetched object: an actor on the object's own origin listed in `attributedTo`. */
  async #authorOfFetched(parsed: ParsedObject, budget: FetchBudget | undefined): Promise<Result<Actor, "invalid" | "forbidden">> {
    const origin = new URL(parsed.id).origin;
    const candidate = parsed.attributedTo.find((uri) => new URL(uri).origin === origin);
    if (candidate === undefined) return err("invalid", `${parsed.id} names no author on its own origin`);
    if (this.#urls.isLocal(candidate)) return err("invalid", `${parsed.id} claims a local author`);
    const resolved = await this.#resolver.resolveUri(candidate, budget ? { budget } : {});
    if (!resolved.ok) return err(resolved.error === "blocked" || resolved.error === "forbidden" ? "forbidden" : "invalid", `author ${candidate}: ${resolved.message}`);
    return ok(resolved.value);
  }

  async #markDeleted(post: Post): Promise<void> {
    const now = this.#clock.now().toISOString();
    // The post's end and the end of its replies/quotes in the ledger commit together: a job that
    // dies in between would find the post deleted on its retry and leave the ledger entries active.
    await this.#db.transaction().execute(async (trx) => {
      await this.#posts.markDeleted(post, now, trx);
      await this.#ledger.undo(post.uri, post.actorId, now, trx);
      await this.#ledger.undo(`${post.uri}#quote`, post.actorId, now, trx);
    });
  }
}

/**
 * Null when `actor` may publish `parsed`: named in `attributedTo` (arrays cannot smuggle another
 * author in: the post is bound to the verified actor) and the post's id is on the actor's origin.
 */
function checkAuthor(parsed: ParsedObject, actor: Actor): string | null {
  if (!parsed.attributedTo.includes(actor.uri)) return `${parsed.id} is not attributed to ${actor.uri}`;
  if (new URL(parsed.id).origin !== new URL(actor.uri).origin) return `${parsed.id} is not on the origin of ${actor.uri}`;
  return null;
}

function remoteMedia(parsed: ParsedObject, now: string): Insertable<MediaRow>[] {
  return parsed.attachments.map((a, position) => ({
    id: newId(),
    actor_id: "",
    post_id: null,
    position,
    kind: a.kind,
    mime_type: a.mediaType,
    remote_url: a.url,
    file_path: null,
    width: a.width,
    height: a.height,
    size_bytes: null,
    blurhash: a.blurhash,
    description: a.description,
    created_at: now,
  }));
}

/**
 * What a remote object says about its post's content, the same for the first store and every update
 * (one mapping, so an edit can never drop or rename a field the insert wrote).
 */
function contentOf(parsed: ParsedObject, raw: unknown) {
  return {
    sourceText: null,
    contentHtml: parsed.contentHtml,
    summary: parsed.summary,
    name: parsed.name,
    sensitive: parsed.sensitive,
    language: parsed.language,
    emojis: parsed.emojis,
    poll: parsed.poll,
    card: parsed.card,
    rawJson: truncateRaw(raw),
  } satisfies Partial<PostWrite>;
}

/** The stored original is for debugging and re-parsing; a bound keeps one post from filling the disk. */
function truncateRaw(raw: unknown): string | null {
  const text = JSON.stringify(raw);
  return text.length > 256 * 1024 ? null : text;
}

function mapFetchError(error: string): ResolvePostError {
  switch (error) {
    case "not-found":
      return "not-found";
    case "gone":
      return "gone";
    case "blocked":
    case "forbidden-url":
    case "forbidden-address":
      return "forbidden";
    case "bad-content-type":
    case "invalid-json":
    case "not-an-object":
    case "missing-id":
    case "id-mismatch":
      return "invalid";
    default:
      return "unreachable";
  }
}

/** What `planInteractions` needs of a post (a local one is planned before it is inserted). */
export type InteractionSource = Pick<Post, "id" | "uri" | "inReplyToId" | "quoteId" | "publishedAt">;

/** What a caller already read for the activity being stored (`store`), so it is not read again. */
export interface KnownForStore {
  readonly localMentions?: readonly Account[];
  /** Local actor id → whether it blocks the author; actors not in the map are looked up. */
  readonly blocksAuthor?: ReadonlyMap<string, boolean>;
}

/** What `planInteractions` may take instead of reading it: posts already loaded, known blocks of the author. */
export interface KnownForPlan {
  readonly posts?: readonly Post[];
  readonly blocksAuthor?: ReadonlyMap<string, boolean> | undefined;
}

/** The ledger entries and mention notifications a post causes, checked against blocks. */
export interface PlannedInteractions {
  readonly post: { readonly id: string; readonly uri: string };
  readonly authorId: string;
  readonly at: string;
  readonly targets: readonly { readonly kind: "reply" | "quote"; readonly postId: string; readonly authorActorId: string; readonly activityUri: string }[];
  readonly mentioned: readonly string[];
}
