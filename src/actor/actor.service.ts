import type { Urls } from "../app/urls.ts";
import type { Config } from "../config/config.ts";
import { isObject, parseIri, typesOf } from "../content/validate.ts";
import type { DomainBlocks } from "../federation/domain-blocks.ts";
import type { DocumentSource } from "../federation/fetch/document-fetcher.ts";
import { FetchBudget } from "../federation/fetch/fetch-budget.ts";
import { err, ok, type Result } from "../lib/result.ts";
import { logger } from "../lib/logger.ts";
import type { Clock } from "../lib/time.ts";
import { isJsonObject, parseJsonLimited } from "../net/json-limits.ts";
import type { Actor } from "./actor.entity.ts";
import { parseRemoteActor, type ParsedActor, type ParsedKey } from "./actor.parser.ts";
import type { ActorGoneAnnouncer } from "./actor-gone.ts";
import type { ActorRepository } from "./actor.repository.ts";
import type { ActorResolver, ResolveActorError, ResolveOptions } from "./actor.resolver.ts";

const log = logger("actor");

/** Cached remote actors are refetched after this long (profiles change; keys are refreshed on demand). */
export const DEFAULT_ACTOR_TTL_MS = 24 * 3600_000;

/** Fetch failures after which a stale cached copy still answers (unless a refresh was demanded). */
const STALE_COPY_SERVES: ReadonlySet<ResolveActorError> = new Set(["not-found", "invalid", "unreachable"]);

/** Called after a remote actor document was stored, with the keys it lists (the inbox key cache listens). */
export type ActorStoredListener = (actor: Actor, keys: readonly ParsedKey[]) => void;

export interface ActorServiceDeps {
  readonly config: Config;
  readonly urls: Urls;
  readonly clock: Clock;
  readonly actors: ActorRepository;
  readonly fetcher: DocumentSource;
  readonly domainBlocks: DomainBlocks;
  /** Where "this actor is gone" is announced; the modules owning relations with actors subscribe to it. */
  readonly gone: ActorGoneAnnouncer;
  readonly ttlMs?: number;
}

/**
 * Remote actors: found by id or handle, fetched (signed, guarded) when not cached or stale, parsed
 * from plain JSON with the content helpers (actor.parser.ts), stored in `actors`.
 *
 * - A document is accepted only if its `id` is the id asked for (actor.parser.ts and the
 *   `requested-url` rule of the fetcher): a URL cannot answer for another actor.
 * - Local ids are never fetched; a remote document never overwrites a local actor.
 * - Blocked domains are refused before any request.
 * - 410 Gone (or a Tombstone) marks a known actor gone through the `ActorGoneAnnouncer`, whose
 *   subscribers end what they keep with it (social: follows).
 * - Fetch failures of a stale copy answer with the stale copy unless a refresh was asked for.
 * - Concurrent resolutions of one id share one fetch.
 */
export class ActorService implements ActorResolver {
  readonly #deps: ActorServiceDeps;
  readonly #ttlMs: number;
  readonly #inflight = new Map<string, Promise<Result<Actor, ResolveActorError>>>();
  readonly #inflightUnstored = new Map<string, Promise<Result<ParsedActor, ResolveActorError>>>();
  readonly #storedListeners: ActorStoredListener[] = [];

  constructor(deps: ActorServiceDeps) {
    this.#deps = deps;
    this.#ttlMs = deps.ttlMs ?? DEFAULT_ACTOR_TTL_MS;
    // However an actor is found gone (here, or by the delivery engine), stored listeners hear of it
    // with no keys, so the inbox key cache forgets its keys.
    deps.gone.observe((actor) => {
      for (const listener of this.#storedListeners) listener(actor, []);
    });
  }

  onStored(listener: ActorStoredListener): void {
    this.#storedListeners.push(listener);
  }

  async resolveUri(uri: string, options: ResolveOptions = {}): Promise<Result<Actor, ResolveActorError>> {
    const url = parseIri(uri);
    if (url === null) return err("invalid", `not an http(s) actor id: ${JSON.stringify(uri.slice(0, 200))}`);
    if (url.protocol === "http:" && !this.#deps.config.allowPrivateAddress) return err("invalid", `actor ids must use https: ${url.href}`);
    const id = url.href;
    if (this.#deps.urls.isLocal(id)) {
      const local = await this.#deps.actors.findByUri(id);
      return local !== null ? ok(local) : err("not-found", `no local actor ${id}`);
    }
    if (await this.#deps.domainBlocks.isBlocked(url)) return err("blocked", `${url.host} is a blocked domain`);
    const cached = await this.#deps.actors.findByUri(id);
    if (cached?.goneAt != null) return err("gone", `${id} is gone (since ${cached.goneAt})`);
    if (cached !== null && options.refresh !== true && this.#fresh(cached)) return ok(cached);

    const key = `${options.refresh === true ? "refresh" : "resolve"} ${id}`;
    const running = this.#inflight.get(key);
    if (running !== undefined) return await running;
    const task = this.#fetchAndStore(id, cached, options).finally(() => this.#inflight.delete(key));
    this.#inflight.set(key, task);
    return await task;
  }

  async resolveHandle(handle: string, options: Pick<ResolveOptions, "budget"> = {}): Promise<Result<Actor, ResolveActorError>> {
    const budget = options.budget ?? new FetchBudget(this.#deps.config.limits.fetchesPerActivity);
    const text = handle.trim();
    if (/^https?:\/\//i.test(text)) return await this.#resolveUrl(text, budget);
    const match = /^@?(?:acct:)?([^@\s/?#]+)@([^@\s/?#]+)$/i.exec(text);
    if (match === null) return err("invalid", `not a handle (user@host) or URL: ${JSON.stringify(text.slice(0, 200))}`);
    const username = match[1]!;
    let host: string;
    try {
      host = new URL(`https://${match[2]!}`).host;
    } catch {
      return err("invalid", `invalid host in handle ${JSON.stringify(text.slice(0, 200))}`);
    }
    if (host === this.#deps.config.domain.toLowerCase()) {
      const local = await this.#deps.actors.findByUri(this.#deps.urls.actor(username.toLowerCase()));
      return local !== null ? ok(local) : err("not-found", `no local account ${username}`);
    }
    if (await this.#deps.domainBlocks.isBlocked(host)) return err("blocked", `${host} is a blocked domain`);
    const cached = await this.#deps.actors.findByHandle(username, host);
    if (cached !== null && cached.goneAt === null && this.#fresh(cached)) return ok(cached);

    const href = await this.#webFinger(username, host, budget);
    if (!href.ok) return href;
    return await this.resolveUri(href.value, { budget });
  }

  /**
   * Stores an actor document that was fetched from `requestedId` or that arrived embedded in an
   * activity signed by that very actor (its own `Update`). Parsed and sanitised like a fetched one.
   */
  async storeDocument(document: unknown, requestedId: string): Promise<Result<{ actor: Actor; keys: readonly ParsedKey[] }, "invalid" | "forbidden">> {
    const parsed = this.validateDocument(document, requestedId);
    if (!parsed.ok) return parsed;
    const stored = await this.storeValidated(parsed.value);
    return stored.ok ? ok({ actor: stored.value, keys: parsed.value.keys }) : stored;
  }

  /** Parses and sanitises an actor document as `storeDocument` does, without storing anything. */
  validateDocument(document: unknown, requestedId: string): Result<ParsedActor, "invalid" | "forbidden"> {
    const { config, urls } = this.#deps;
    const parsed = parseRemoteActor(document, requestedId, { maxStringLength: config.limits.maxStringLength, maxTags: config.limits.maxTags });
    if (!parsed.ok) return parsed;
    if (urls.isLocal(parsed.value.data.uri)) return err("forbidden", `a remote document cannot describe the local actor ${parsed.value.data.uri}`);
    return parsed;
  }

  /** Stores what `validateDocument` or `fetchUnstored` returned (the inbox, once the signer's signature verified). */
  async storeValidated(parsed: ParsedActor): Promise<Result<Actor, "forbidden">> {
    const { actors, clock } = this.#deps;
    const existing = await actors.findByUri(parsed.data.uri);
    if (existing !== null && existing.isLocal) return err("forbidden", `${parsed.data.uri} is a local actor`);
    const actor = await actors.upsertRemote(parsed.data, clock.now().toISOString());
    for (const listener of this.#storedListeners) listener(actor, parsed.keys);
    return ok(actor);
  }

  /**
   * Fetches and validates a remote actor's current document without storing it, for a caller that
   * may store it only once something else has checked out: the inbox fetches a signer's document to
   * verify a request, and stores it only if the request verifies (issue #10 item 8), so no forged
   * request can make this server keep a document. A 410 or Tombstone still marks a known actor gone:
   * that is the actor's own server speaking, not the request. Concurrent calls for one id share a fetch.
   */
  async fetchUnstored(uri: string, options: Pick<ResolveOptions, "budget"> = {}): Promise<Result<ParsedActor, ResolveActorError>> {
    const url = parseIri(uri);
    if (url === null) return err("invalid", `not an http(s) actor id: ${JSON.stringify(uri.slice(0, 200))}`);
    if (url.protocol === "http:" && !this.#deps.config.allowPrivateAddress) return err("invalid", `actor ids must use https: ${url.href}`);
    const id = url.href;
    if (this.#deps.urls.isLocal(id)) return err("forbidden", `${id} is local; local actors are never fetched`);
    if (await this.#deps.domainBlocks.isBlocked(url)) return err("blocked", `${url.host} is a blocked domain`);
    const cached = await this.#deps.actors.findByUri(id);
    if (cached?.goneAt != null) return err("gone", `${id} is gone (since ${cached.goneAt})`);
    const key = `unstored ${id}`;
    const running = this.#inflightUnstored.get(key);
    if (running !== undefined) return await running;
    const task = this.#fetchValidated(id, cached, options.budget).finally(() => this.#inflightUnstored.delete(key));
    this.#inflightUnstored.set(key, task);
    return await task;
  }

  /** Marks a remote actor gone; the announcer's subscribers end its relations in the same transaction. */
  async markGone(actor: Actor, reason: string): Promise<void> {
    if (actor.isLocal) return;
    const removed = await this.#deps.gone.announce([actor.id], "actor", this.#deps.clock.now().toISOString());
    log.info("actor {uri} is gone ({reason}); removed {removed} follows", { uri: actor.uri, reason, removed });
  }

  #fresh(actor: Actor): boolean {
    if (actor.isLocal) return true;
    if (actor.fetchedAt === null) return false;
    return this.#deps.clock.now().getTime() - Date.parse(actor.fetchedAt) < this.#ttlMs;
  }

  async #fetchAndStore(id: string, cached: Actor | null, options: ResolveOptions): Promise<Result<Actor, ResolveActorError>> {
    const fetched = await this.#fetchValidated(id, cached, options.budget);
    if (fetched.ok) {
      const stored = await this.storeValidated(fetched.value);
      if (stored.ok) return stored;
      log.info("refused the actor document of {id}: {message}", { id, message: stored.message });
      return stored;
    }
    // A stale copy is better than nothing while the origin misbehaves, unless fresh data was demanded.
    if (cached !== null && options.refresh !== true && STALE_COPY_SERVES.has(fetched.error)) {
      log.debug("using the stale copy of {id}: {message}", { id, message: fetched.message });
      return ok(cached);
    }
    return fetched;
  }

  /** Fetches `id` and validates its document; 410 or a Tombstone marks `cached` gone. Stores nothing else. */
  async #fetchValidated(id: string, cached: Actor | null, budget: FetchBudget | undefined): Promise<Result<ParsedActor, ResolveActorError>> {
    const fetched = await this.#deps.fetcher.fetch(id, { requireIdEquals: "requested-url", ...(budget ? { budget } : {}) });
    if (!fetched.ok) {
      switch (fetched.error) {
        case "gone":
          if (cached !== null) await this.markGone(cached, "its server answered 410 Gone");
          return err("gone", fetched.message);
        case "blocked":
          return err("blocked", fetched.message);
        case "not-found":
          return err("not-found", fetched.message);
        case "forbidden-url":
        case "forbidden-address":
          return err("forbidden", fetched.message);
        case "id-mismatch":
        case "bad-content-type":
        case "invalid-json":
        case "too-deep":
        case "string-too-long":
        case "not-an-object":
        case "missing-id":
          return err("invalid", fetched.message);
        case "budget-exhausted":
        case "timeout":
        case "aborted":
        case "too-large":
        case "too-many-redirects":
        case "bad-response":
        case "network":
        case "http-status":
          return err("unreachable", fetched.message);
        default:
          fetched.error satisfies never;
          return err("unreachable", fetched.message);
      }
    }
    if (typesOf(fetched.value.document, 4).includes("Tombstone")) {
      if (cached !== null) await this.markGone(cached, "its document is a Tombstone");
      return err("gone", `${id} is a Tombstone`);
    }
    const parsed = this.validateDocument(fetched.value.document, id);
    if (!parsed.ok) {
      log.info("refused the actor document of {id}: {message}", { id, message: parsed.message });
      return err(parsed.error, parsed.message);
    }
    return parsed;
  }

  /** A profile or actor URL: fetched (same origin as the URL), then resolved by the id it names. */
  async #resolveUrl(text: string, budget: FetchBudget): Promise<Result<Actor, ResolveActorError>> {
    const url = parseIri(text);
    if (url === null) return err("invalid", `not an http(s) URL: ${JSON.stringify(text.slice(0, 200))}`);
    if (this.#deps.urls.isLocal(url.href)) {
      const username = this.#deps.urls.parseActor(url.href);
      const local = username !== null ? await this.#deps.actors.findByUri(this.#deps.urls.actor(username)) : null;
      return local !== null ? ok(local) : err("not-found", `no local actor at ${url.href}`);
    }
    const known = await this.#deps.actors.findByUri(url.href);
    if (known !== null) return await this.resolveUri(url.href, { budget });
    const fetched = await this.#deps.fetcher.fetch(url.href, { requireIdEquals: "same-origin", budget });
    if (!fetched.ok) {
      if (fetched.error === "blocked") return err("blocked", fetched.message);
      if (fetched.error === "gone") return err("gone", fetched.message);
      if (fetched.error === "not-found") return err("not-found", fetched.message);
      return err("unreachable", fetched.message);
    }
    // The page's document names the canonical id; that id is then fetched by itself (id = URL rule).
    if (fetched.value.id === new URL(url.href).href.replace(/#.*$/, "")) {
      const stored = await this.storeDocument(fetched.value.document, url.href);
      if (!stored.ok) return err(stored.error === "forbidden" ? "forbidden" : "invalid", stored.message);
      return ok(stored.value.actor);
    }
    return await this.resolveUri(fetched.value.id, { budget });
  }

  /** WebFinger: https normally; plain http as a fallback only in dev/test (allowPrivateAddress). */
  async #webFinger(username: string, host: string, budget: FetchBudget): Promise<Result<string, ResolveActorError>> {
    const { config } = this.#deps;
    const resource = `acct:${username}@${host}`;
    const schemes = config.allowPrivateAddress ? ["https", "http"] : ["https"];
    let lastError = "";
    for (const scheme of schemes) {
      const url = `${scheme}://${host}/.well-known/webfinger?${new URLSearchParams({ resource })}`;
      const response = await this.#deps.fetcher.fetchJson(url, { accept: "application/jrd+json, application/json", budget });
      if (!response.ok) {
        if (response.error === "blocked") return err("blocked", response.message);
        if (response.error === "forbidden-url" || response.error === "forbidden-address") return err("forbidden", response.message);
        lastError = response.message;
        if (response.error === "network" || response.error === "bad-response" || response.error === "timeout") continue;
        return err("unreachable", `WebFinger for ${resource} failed: ${response.message}`);
      }
      const { status, body, headers } = response.value;
      if (status === 404 || status === 410) return err("not-found", `${host} knows no ${resource} (${status})`);
      if (status < 200 || status > 299) return err("unreachable", `WebFinger for ${resource} answered ${status}`);
      const mediaType = (headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
      if (mediaType !== "application/jrd+json" && mediaType !== "application/json") {
        return err("invalid", `WebFinger for ${resource} answered ${JSON.stringify(headers["content-type"] ?? "no content type")}`);
      }
      const parsed = parseJsonLimited(body.toString("utf8"), { maxDepth: config.limits.jsonDepth, maxStringLength: config.limits.maxStringLength });
      if (!parsed.ok || !isJsonObject(parsed.value)) return err("invalid", `WebFinger for ${resource} is not a JSON object`);
      const links = Array.isArray(parsed.value["links"]) ? parsed.value["links"].slice(0, 64) : [];
      for (const link of links) {
        if (!isObject(link) || link["rel"] !== "self" || typeof link["type"] !== "string") continue;
        const type = link["type"].split(";")[0]!.trim();
        if (type !== "application/activity+json" && type !== "application/ld+json") continue;
        const href = parseIri(link["href"]);
        if (href !== null) return ok(href.href);
      }
      return err("not-found", `WebFinger for ${resource} names no ActivityPub actor`);
    }
    return err("unreachable", `WebFinger for ${resource} failed: ${lastError}`);
  }
}
