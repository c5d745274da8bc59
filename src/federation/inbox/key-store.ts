import { createPublicKey, type KeyObject } from "node:crypto";
import { CryptographicKey } from "@fedify/vocab";
import type { Actor } from "../../actor/actor.entity.ts";
import { looksLikeActor, parseRemoteActor, type ParsedActor, type ParsedKey } from "../../actor/actor.parser.ts";
import type { ActorRepository } from "../../actor/actor.repository.ts";
import type { ActorService } from "../../actor/actor.service.ts";
import type { Urls } from "../../app/urls.ts";
import type { Config } from "../../config/config.ts";
import { idOf, parseIri } from "../../content/validate.ts";
import { err, ok, type Result } from "../../lib/result.ts";
import { logger } from "../../lib/logger.ts";
import type { Clock } from "../../lib/time.ts";
import type { DomainBlocks } from "../domain-blocks.ts";
import type { DocumentSource } from "../fetch/document-fetcher.ts";
import type { FetchBudget } from "../fetch/fetch-budget.ts";

const log = logger("federation", "keys");

/** A verified key: listed by its owner's actor document, imported once. */
export interface KeyEntry {
  readonly keyId: string;
  readonly ownerUri: string;
  /**
   * `actors.id` of the owner; null while the owner's document was fetched for a request not yet
   * verified (held back, unstored; `storeOwner` stores it once a request verifies with this key).
   */
  readonly ownerId: string | null;
  readonly pem: string;
  /** What Fedify's verifier takes (with the WebCrypto key already imported). */
  readonly key: CryptographicKey;
  /** The same key for node:crypto (the verifier's fast path for cached keys). */
  readonly publicKey: KeyObject;
}

export type KeyLookupError = "invalid" | "blocked" | "gone" | "not-listed" | "unavailable" | "refresh-limited";
export type StoreOwnerError = "invalid" | "unavailable";

export interface RemoteKeyStoreDeps {
  readonly config: Config;
  readonly urls: Urls;
  readonly clock: Clock;
  readonly actors: ActorRepository;
  readonly actorService: ActorService;
  readonly fetcher: DocumentSource;
  readonly domainBlocks: DomainBlocks;
  /** Least time between two refreshes of one owner's document triggered by signatures (default 60 s). */
  readonly refreshIntervalMs?: number;
  /** Imported keys kept in memory (default 10,000). */
  readonly maxEntries?: number;
  /** Owner documents fetched for requests not yet verified, held back in memory (default 1,000 owners, 32 MiB of JSON). */
  readonly maxUnverifiedOwners?: number;
  readonly maxUnverifiedBytes?: number;
}

/** An owner document fetched while verifying a request, not stored until a request verifies with one of its keys. */
interface Unverified {
  readonly actor: ParsedActor;
  readonly entries: ReadonlyMap<string, KeyEntry>;
  readonly bytes: number;
}

/**
 * The inbox's public-key cache: memory (imported keys) → `actors` table → the network.
 *
 * A key is only ever taken from its owner's actor document, and only if that document lists it
 * (`publicKey` id equal to the key id): the key document's own claim of an owner is never trusted
 * (Fedify CVE-2026-96625). For key ids that are not the actor's URL plus a fragment (GoToSocial's
 * `/main-key`), the key document is fetched only to learn the owner, which must be on the key's
 * origin, and the owner is then fetched by its own id.
 *
 * Refreshes triggered by failed signatures are rate-limited per owner, so a flood of forged
 * requests naming a genuine key costs its server at most one fetch per interval, and a failure
 * never evicts or poisons a genuine key. Keys of blocked domains are refused before any request.
 *
 * Nothing is stored on behalf of a request that has not verified (issue #10 item 8): an owner
 * document fetched during verification (a new signer, a refresh after a failed signature) is held
 * in a bounded in-memory cache with its keys (`ownerId` null), and stored only by `storeOwner`, which
 * the receiver calls once the request verified and is being accepted. A forged request therefore
 * leaves no actor row (nor a suggestion, nor a changed profile), only a cache entry that ages out.
 */
export class RemoteKeyStore {
  readonly #deps: RemoteKeyStoreDeps;
  readonly #refreshIntervalMs: number;
  readonly #maxEntries: number;
  readonly #memory = new Map<string, KeyEntry>();
  readonly #byOwner = new Map<string, Set<string>>();
  readonly #lastRefresh = new Map<string, number>();
  readonly #inflight = new Map<string, Promise<Result<KeyEntry, KeyLookupError>>>();
  /** Owner URI → its held-back document; `#unverifiedKeys` indexes it by key id. Insertion order is age. */
  readonly #unverified = new Map<string, Unverified>();
  readonly #unverifiedKeys = new Map<string, string>();
  #unverifiedBytes = 0;
  readonly #maxUnverifiedOwners: number;
  readonly #maxUnverifiedBytes: number;

  constructor(deps: RemoteKeyStoreDeps) {
    this.#deps = deps;
    this.#refreshIntervalMs = deps.refreshIntervalMs ?? 60_000;
    this.#maxEntries = deps.maxEntries ?? 10_000;
    this.#maxUnverifiedOwners = deps.maxUnverifiedOwners ?? 1_000;
    this.#maxUnverifiedBytes = deps.maxUnverifiedBytes ?? 32 * 1024 * 1024;
    // Whoever stores an actor (a fetch, its own Update, a Delete) keeps this cache in step.
    deps.actorService.onStored((actor, keys) => this.#replaceOwnerKeys(actor, keys));
  }

  /** The key `keyId`, from memory, the database, or by resolving its owner (counted against `budget`). */
  async get(keyId: string, budget: FetchBudget): Promise<Result<KeyEntry, KeyLookupError>> {
    const cached = this.cached(keyId);
    if (cached !== undefined) return ok(cached);
    const checked = await this.#check(keyId);
    if (!checked.ok) return checked;
    const stored = await this.#fromDatabase(keyId);
    if (stored !== null) return stored;
    return await this.#once(`get ${keyId}`, () => this.#resolve(keyId, budget));
  }

  /**
   * Called when a signature failed with the cached key: the owner may have rotated it. Reads the
   * database first (another process may have stored the new key), then refetches the owner at most
   * once per interval.
   */
  async refresh(keyId: string, budget: FetchBudget): Promise<Result<KeyEntry, KeyLookupError>> {
    const checked = await this.#check(keyId);
    if (!checked.ok) return checked;
    const known = this.#memory.get(keyId);
    // A refresh for an earlier request may have fetched the owner's new key, held back unverified.
    const held = this.#unverifiedEntry(keyId);
    if (held !== undefined && held.pem !== known?.pem) return ok(held);
    const row = await this.#deps.actors.findByPublicKeyId(keyId);
    if (row !== null && row.goneAt === null && row.publicKeyPem !== null && row.publicKeyPem !== known?.pem) {
      const entry = this.#entryFromActor(row, keyId, row.publicKeyPem);
      if (entry !== null) return ok(entry);
    }
    const owner = known?.ownerUri ?? row?.uri ?? held?.ownerUri;
    if (owner === undefined) return await this.get(keyId, budget);
    return await this.#once(`refresh ${keyId}`, async () => {
      if (!this.#mayRefresh(owner)) {
        return err("refresh-limited", `the key ${keyId} was refreshed less than ${this.#refreshIntervalMs / 1000} s ago`);
      }
      const fetched = await this.#fetchOwner(owner, budget);
      if (!fetched.ok) return fetched;
      const entry = fetched.value.get(keyId);
      return entry !== undefined ? ok(entry) : err("not-listed", `${owner} no longer lists the key ${keyId}`);
    });
  }

  /** The key `keyId` if it is in memory (stored or held back): no database, no network (the verifier's fast path). */
  cached(keyId: string): KeyEntry | undefined {
    return this.#memory.get(keyId) ?? this.#unverifiedEntry(keyId);
  }

  /**
   * The owner of a key a request verified with, as a stored actor: a held-back owner document is
   * stored now (upsert), which also moves its keys into the stored cache. Call it only for requests
   * that verified and are being accepted.
   */
  async storeOwner(entry: KeyEntry): Promise<Result<{ uri: string; id: string }, StoreOwnerError>> {
    if (entry.ownerId !== null) return ok({ uri: entry.ownerUri, id: entry.ownerId });
    const held = this.#unverified.get(entry.ownerUri);
    if (held === undefined || held.entries.get(entry.keyId)?.pem !== entry.pem) {
      // Stored meanwhile (a concurrent request of the same signer), or evicted: the sender may retry.
      const stored = this.#memory.get(entry.keyId) ?? (await this.#storedKey(entry.ownerUri, entry.keyId));
      if (stored?.ownerId != null && stored.pem === entry.pem) return ok({ uri: stored.ownerUri, id: stored.ownerId });
      return err("unavailable", `the document of ${entry.ownerUri} is no longer held; try again`);
    }
    const stored = await this.#deps.actorService.storeValidated(held.actor);
    if (!stored.ok) return err("invalid", stored.message);
    return ok({ uri: stored.value.uri, id: stored.value.id });
  }

  /** Drops every cached key (tests; an operator command could use it after a mass key rotation). */
  clear(): void {
    this.#memory.clear();
    this.#byOwner.clear();
    this.#lastRefresh.clear();
    this.#unverified.clear();
    this.#unverifiedKeys.clear();
    this.#unverifiedBytes = 0;
  }

  async #check(keyId: string): Promise<Result<URL, KeyLookupError>> {
    const url = parseIri(keyId);
    if (url === null) return err("invalid", `key id ${JSON.stringify(keyId.slice(0, 200))} is not an http(s) URL`);
    if (url.protocol === "http:" && !this.#deps.config.allowPrivateAddress) return err("invalid", `key id ${keyId} is not https`);
    // Local accounts reach each other without HTTP; a "local" key in an inbound request is forged.
    if (this.#deps.urls.isLocal(url.href)) return err("invalid", `key id ${keyId} claims to be on this server`);
    if (await this.#deps.domainBlocks.isBlocked(url)) return err("blocked", `${url.host} is a blocked domain`);
    return ok(url);
  }

  async #fromDatabase(keyId: string): Promise<Result<KeyEntry, KeyLookupError> | null> {
    const actor = await this.#deps.actors.findByPublicKeyId(keyId);
    if (actor === null) return null;
    if (actor.goneAt !== null) return err("gone", `the owner of ${keyId} (${actor.uri}) is gone`);
    if (actor.publicKeyPem === null) return null;
    const entry = this.#entryFromActor(actor, keyId, actor.publicKeyPem);
    return entry === null ? null : ok(entry);
  }

  async #resolve(keyId: string, budget: FetchBudget): Promise<Result<KeyEntry, KeyLookupError>> {
    const keyUrl = new URL(keyId);
    const base = new URL(keyId);
    base.hash = "";
    const known = await this.#deps.actors.findByUri(base.href);
    let owner: string;
    if (known !== null) {
      if (known.goneAt !== null) return err("gone", `the owner of ${keyId} (${known.uri}) is gone`);
      const listed = await this.#keyFromStored(known, keyId);
      if (listed !== undefined) return ok(listed);
      owner = known.uri;
    } else {
      // Fetch what the key id points at: usually the owner itself (`actor#main-key`), sometimes a key
      // document or a stub naming the owner (GoToSocial). Only the owner's own document counts.
      const fetched = await this.#deps.fetcher.fetch(base.href, { requireIdEquals: "same-origin", budget });
      if (!fetched.ok) {
        if (fetched.error === "gone") return err("gone", fetched.message);
        if (fetched.error === "blocked") return err("blocked", fetched.message);
        return err("unavailable", `cannot fetch key ${keyId}: ${fetched.message}`);
      }
      const document = fetched.value.document;
      if (fetched.value.id === base.href && looksLikeActor(document)) {
        this.#lastRefresh.set(base.href, this.#now());
        const parsed = this.#deps.actorService.validateDocument(document, base.href);
        if (!parsed.ok) return err("invalid", `the actor document at ${base.href} was refused: ${parsed.message}`);
        const entry = this.#holdBack(parsed.value).get(keyId);
        return entry !== undefined ? ok(entry) : err("not-listed", `${base.href} does not list the key ${keyId}`);
      }
      const claimed = idOf(document["owner"]) ?? (looksLikeActor(document) ? fetched.value.id : null);
      const ownerUrl = parseIri(claimed);
      if (ownerUrl === null) return err("invalid", `the document at ${base.href} names no owner for the key ${keyId}`);
      if (ownerUrl.origin !== keyUrl.origin) return err("invalid", `the key ${keyId} claims an owner on another origin (${ownerUrl.origin})`);
      owner = ownerUrl.href;
    }
    const refresh = this.#mayRefresh(owner);
    const stored = known ?? (await this.#deps.actors.findByUri(owner));
    if (!refresh && stored !== null) {
      // Rate-limited: the stored copy is all there is to go on.
      if (stored.goneAt !== null) return err("gone", `the owner of ${keyId} (${stored.uri}) is gone`);
      const entry = await this.#keyFromStored(stored, keyId);
      return entry !== undefined ? ok(entry) : err("not-listed", `${owner} does not list the key ${keyId} (refresh rate-limited)`);
    }
    const fetched = await this.#fetchOwner(owner, budget);
    if (!fetched.ok) return fetched;
    const entry = fetched.value.get(keyId);
    return entry !== undefined ? ok(entry) : err("not-listed", `${owner} does not list the key ${keyId}`);
  }

  /** Fetches the owner's current document and holds it back (unstored) with its keys. */
  async #fetchOwner(owner: string, budget: FetchBudget): Promise<Result<ReadonlyMap<string, KeyEntry>, KeyLookupError>> {
    const fetched = await this.#deps.actorService.fetchUnstored(owner, { budget });
    if (!fetched.ok) return this.#ownerError(fetched.error, fetched.message);
    return ok(this.#holdBack(fetched.value));
  }

  /**
   * Keeps an owner document fetched for an unverified request, with its imported keys, in the
   * bounded cache (oldest owners go first, by count and by bytes of JSON); replaces an older copy.
   */
  #holdBack(actor: ParsedActor): ReadonlyMap<string, KeyEntry> {
    const uri = actor.data.uri;
    this.#dropUnverified(uri);
    const entries = new Map<string, KeyEntry>();
    for (const key of actor.keys) {
      const entry = this.#importKey(uri, null, key.id, key.pem);
      if (entry !== null) entries.set(key.id, entry);
    }
    const held: Unverified = { actor, entries, bytes: actor.data.rawJson.length };
    this.#unverified.set(uri, held);
    for (const keyId of entries.keys()) this.#unverifiedKeys.set(keyId, uri);
    this.#unverifiedBytes += held.bytes;
    while (this.#unverified.size > this.#maxUnverifiedOwners || (this.#unverifiedBytes > this.#maxUnverifiedBytes && this.#unverified.size > 1)) {
      this.#dropUnverified(this.#unverified.keys().next().value!);
    }
    return entries;
  }

  #dropUnverified(ownerUri: string): void {
    const held = this.#unverified.get(ownerUri);
    if (held === undefined) return;
    this.#unverified.delete(ownerUri);
    this.#unverifiedBytes -= held.bytes;
    for (const keyId of held.entries.keys()) if (this.#unverifiedKeys.get(keyId) === ownerUri) this.#unverifiedKeys.delete(keyId);
  }

  #unverifiedEntry(keyId: string): KeyEntry | undefined {
    const owner = this.#unverifiedKeys.get(keyId);
    return owner === undefined ? undefined : this.#unverified.get(owner)?.entries.get(keyId);
  }

  async #storedKey(ownerUri: string, keyId: string): Promise<KeyEntry | undefined> {
    const actor = await this.#deps.actors.findByUri(ownerUri);
    return actor === null || actor.goneAt !== null ? undefined : await this.#keyFromStored(actor, keyId);
  }

  /** A stored actor's other keys are not in their own columns; its stored document lists them all. */
  async #keyFromStored(actor: Actor, keyId: string): Promise<KeyEntry | undefined> {
    if (actor.publicKeyId === keyId && actor.publicKeyPem !== null) return this.#entryFromActor(actor, keyId, actor.publicKeyPem) ?? undefined;
    const raw = await this.#deps.actors.findRawJson(actor.id);
    if (raw === null) return undefined;
    let document: unknown;
    try {
      document = JSON.parse(raw);
    } catch {
      return undefined;
    }
    const parsed = parseRemoteActor(document, actor.uri, { maxStringLength: this.#deps.config.limits.maxStringLength, maxTags: 0 });
    if (!parsed.ok) return undefined;
    this.#replaceOwnerKeys(actor, parsed.value.keys);
    return this.#memory.get(keyId);
  }

  #ownerError(error: string, message: string): Result<never, KeyLookupError> {
    if (error === "blocked") return err("blocked", message);
    if (error === "gone") return err("gone", message);
    if (error === "invalid" || error === "forbidden") return err("invalid", message);
    return err("unavailable", message);
  }

  #mayRefresh(owner: string): boolean {
    const last = this.#lastRefresh.get(owner);
    const now = this.#now();
    if (last !== undefined && now - last < this.#refreshIntervalMs) return false;
    this.#lastRefresh.set(owner, now);
    if (this.#lastRefresh.size > this.#maxEntries) {
      for (const [key, at] of this.#lastRefresh) if (now - at >= this.#refreshIntervalMs) this.#lastRefresh.delete(key);
    }
    return true;
  }

  #replaceOwnerKeys(actor: Actor, keys: readonly ParsedKey[]): void {
    // What was just stored (or marked gone) supersedes a held-back copy.
    this.#dropUnverified(actor.uri);
    for (const keyId of this.#byOwner.get(actor.uri) ?? []) this.#memory.delete(keyId);
    this.#byOwner.delete(actor.uri);
    if (actor.goneAt !== null || actor.isLocal) return;
    for (const key of keys) this.#entryFromActor(actor, key.id, key.pem);
  }

  /** Imports a stored actor's key and keeps it in the stored-key cache. */
  #entryFromActor(actor: Actor, keyId: string, pem: string): KeyEntry | null {
    const entry = this.#importKey(actor.uri, actor.id, keyId, pem);
    if (entry === null) return null;
    if (this.#memory.size >= this.#maxEntries) {
      const oldest = this.#memory.keys().next().value;
      if (oldest !== undefined) this.#memory.delete(oldest);
    }
    this.#memory.set(keyId, entry);
    let owned = this.#byOwner.get(actor.uri);
    if (owned === undefined) this.#byOwner.set(actor.uri, (owned = new Set()));
    owned.add(keyId);
    return entry;
  }

  #importKey(ownerUri: string, ownerId: string | null, keyId: string, pem: string): KeyEntry | null {
    let publicKey: CryptoKey;
    let object: KeyObject;
    try {
      object = createPublicKey(pem);
      const algorithm = object.asymmetricKeyType === "ed25519" ? "Ed25519" : { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
      publicKey = object.toCryptoKey(algorithm, true, ["verify"]) as CryptoKey;
    } catch (error) {
      log.warn("key {keyId} of {owner} cannot be imported: {error}", { keyId, owner: ownerUri, error });
      return null;
    }
    return { keyId, ownerUri, ownerId, pem, publicKey: object, key: new CryptographicKey({ id: new URL(keyId), owner: new URL(ownerUri), publicKey }) };
  }

  async #once(key: string, task: () => Promise<Result<KeyEntry, KeyLookupError>>): Promise<Result<KeyEntry, KeyLookupError>> {
    const running = this.#inflight.get(key);
    if (running !== undefined) return await running;
    const promise = task().finally(() => this.#inflight.delete(key));
    this.#inflight.set(key, promise);
    return await promise;
  }

  #now(): number {
    return this.#deps.clock.now().getTime();
  }
}

/**
 * What Fedify's verifier parses on its refresh path: a minimal actor document listing the key (a
 * bare key document would be read as a generic object). Built from the key store's entry, never
 * from what a peer sent; the contexts are preloaded, so no fetch happens.
 */
export function keyDocument(entry: KeyEntry): Record<string, unknown> {
  return {
    "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
    id: entry.ownerUri,
    type: "Person",
    publicKey: { id: entry.keyId, owner: entry.ownerUri, publicKeyPem: entry.pem },
  };
}
