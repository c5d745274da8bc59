import type { DocumentLoader, RemoteDocument } from "@fedify/vocab";
import { FetchError } from "@fedify/fedify/runtime";
import { KeyObject } from "node:crypto";
import type { Config } from "../../config/config.ts";
import { err, type Result } from "../../lib/result.ts";
import { logger } from "../../lib/logger.ts";
import type { Clock } from "../../lib/time.ts";
import { fetchActivityPubDocument, type FetchDocumentError, type FetchedDocument, type IdRequirement } from "../../net/fetch-document.ts";
import type { GuardedHttpClient } from "../../net/guarded-client.ts";
import { safeFetch, type SafeResponse, type SafeFetchError } from "../../net/safe-fetch.ts";
import type { DomainBlocks } from "../domain-blocks.ts";
import type { FetchBudget } from "./fetch-budget.ts";
import { signGetHook, type GetSigningKey } from "./get-signer.ts";

const log = logger("federation", "fetch");

export type DocumentFetchError = FetchDocumentError | "blocked" | "budget-exhausted";

export interface DocumentFetchOptions {
  /** See src/net/fetch-document.ts: every caller states how the document's id must relate to the URL. */
  readonly requireIdEquals: IdRequirement;
  /** Counts this fetch against the activity's allowance; refused without a request when used up. */
  readonly budget?: FetchBudget;
  /** Sign as this key instead of the instance actor (Fedify's authenticated loader for an account). */
  readonly signAs?: GetSigningKey;
  readonly signal?: AbortSignal;
}

/**
 * What the rest of the code fetches through. `DocumentFetcher` is the real one; tests that must not
 * touch the network (the fixture suite) serve documents from memory instead.
 */
export interface DocumentSource {
  fetch(url: string, options: DocumentFetchOptions): Promise<Result<FetchedDocument, DocumentFetchError>>;
  fetchJson(url: string, options: JsonFetchOptions): Promise<Result<SafeResponse, SafeFetchError | "blocked" | "budget-exhausted">>;
}

export interface JsonFetchOptions {
  readonly accept: string;
  readonly budget?: FetchBudget;
  readonly signal?: AbortSignal;
  /** A smaller body cap than the configured one (NodeInfo documents are small); never a larger one. */
  readonly maxBytes?: number;
  /** A shorter deadline than the configured one; never a longer one. */
  readonly timeoutMs?: number;
}

export interface DocumentFetcherDeps {
  readonly config: Config;
  readonly guardedClient: GuardedHttpClient;
  readonly clock: Clock;
  readonly domainBlocks: DomainBlocks;
  /** The instance actor's key, loaded lazily (it lives in the database). */
  readonly instanceKey: () => Promise<GetSigningKey>;
  readonly userAgent: string;
}

/**
 * Every ActivityPub document Herold fetches comes through here: the SSRF guard and the size, time
 * and JSON limits (src/net), an ActivityPub content type, the caller's id rule, the operator's
 * domain blocks (checked before any connection), the per-activity fetch budget, and a draft-cavage
 * signature by the instance actor, because authorized-fetch peers (GoToSocial, Mastodon in secure
 * mode) refuse unsigned GETs.
 *
 * URLs with a query are signed with the query in `(request-target)` first and, after a refusal,
 * once more without it (GoToSocial's "double knock"; verifiers disagree on the query).
 *
 * Fedify gets the same path through `fedifyDocumentLoader()` and `fedifyAuthenticatedDocumentLoader()`,
 * wired into the federation object, so Fedify never fetches outside the guard either.
 */
export class DocumentFetcher implements DocumentSource {
  readonly #deps: DocumentFetcherDeps;

  constructor(deps: DocumentFetcherDeps) {
    this.#deps = deps;
  }

  async fetch(url: string, options: DocumentFetchOptions): Promise<Result<FetchedDocument, DocumentFetchError>> {
    const blocked = await this.#deps.domainBlocks.firstBlocked([url]);
    if (blocked !== null) return err("blocked", `${blocked} is a blocked domain`);
    if (options.budget !== undefined && !options.budget.take()) {
      return err("budget-exhausted", `fetch budget of ${options.budget.limit} fetches for this activity is used up (not fetching ${url})`);
    }
    const first = await this.#fetchOnce(url, options, true);
    if (!first.ok && first.error === "http-status" && hasQuery(url)) {
      const second = await this.#fetchOnce(url, options, false);
      if (second.ok) return second;
    }
    if (!first.ok) log.debug("fetch of {url} failed: {error} {message}", { url, error: first.error, message: first.message });
    return first;
  }

  /**
   * A plain JSON GET (WebFinger, NodeInfo): same guard, limits and domain blocks, no signature, no
   * ActivityPub id rules. The caller checks status and content type.
   */
  async fetchJson(url: string, options: JsonFetchOptions): Promise<Result<SafeResponse, SafeFetchError | "blocked" | "budget-exhausted">> {
    const blocked = await this.#deps.domainBlocks.firstBlocked([url]);
    if (blocked !== null) return err("blocked", `${blocked} is a blocked domain`);
    if (options.budget !== undefined && !options.budget.take()) {
      return err("budget-exhausted", `fetch budget of ${options.budget.limit} fetches for this activity is used up (not fetching ${url})`);
    }
    const { config } = this.#deps;
    return await safeFetch(url, {
      guardedClient: this.#deps.guardedClient,
      allowHttp: config.allowPrivateAddress,
      headers: { accept: options.accept, "user-agent": this.#deps.userAgent },
      maxBytes: Math.min(config.limits.fetchResponseBytes, options.maxBytes ?? Infinity),
      timeoutMs: Math.min(config.limits.fetchTimeoutMs, options.timeoutMs ?? Infinity),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  }

  async #fetchOnce(url: string, options: DocumentFetchOptions, withQuery: boolean): Promise<Result<FetchedDocument, FetchDocumentError>> {
    const { config, clock } = this.#deps;
    const key = options.signAs;
    return await fetchActivityPubDocument(url, {
      guardedClient: this.#deps.guardedClient,
      allowHttp: config.allowPrivateAddress,
      requireIdEquals: options.requireIdEquals,
      maxBytes: config.limits.fetchResponseBytes,
      timeoutMs: config.limits.fetchTimeoutMs,
      jsonLimits: { maxDepth: config.limits.jsonDepth, maxStringLength: config.limits.maxStringLength },
      headers: { "user-agent": this.#deps.userAgent },
      sign: signGetHook(key ? () => key : this.#deps.instanceKey, { withQuery, now: () => clock.now() }),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  }
}

/** Fedify's document loader: through `source` (guarded, signed by the instance actor); the id only has to be same-origin. */
export function fedifyDocumentLoader(source: DocumentSource): DocumentLoader {
  return loaderFor(source, undefined);
}

/** Fedify's authenticated loader: the same, signed with the given identity (an account's key). */
export function fedifyAuthenticatedDocumentLoader(source: DocumentSource, identity: { keyId: URL; privateKey: CryptoKey }): DocumentLoader {
  let key: KeyObject | undefined;
  return loaderFor(source, () => {
    key ??= KeyObject.from(identity.privateKey);
    return { keyId: identity.keyId.href, privateKey: key };
  });
}

function loaderFor(source: DocumentSource, signAs: (() => GetSigningKey) | undefined): DocumentLoader {
  return async (url: string, loaderOptions?: { signal?: AbortSignal }): Promise<RemoteDocument> => {
    const result = await source.fetch(url, {
      // Fedify loads actors, objects and keys (key ids carry fragments, which are ignored); callers
      // that need the stricter rules use DocumentSource.fetch directly.
      requireIdEquals: "same-origin",
      ...(signAs ? { signAs: signAs() } : {}),
      ...(loaderOptions?.signal ? { signal: loaderOptions.signal } : {}),
    });
    if (!result.ok) throw new FetchError(url, `${result.error}: ${result.message}`);
    return { contextUrl: null, documentUrl: result.value.finalUrl, document: result.value.document };
  };
}

function hasQuery(url: string): boolean {
  try {
    return new URL(url).search !== "";
  } catch {
    return false;
  }
}
