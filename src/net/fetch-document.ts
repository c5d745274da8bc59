/**
 * Fetching one ActivityPub document (actor, object, collection page, key) from its origin.
 *
 * Threats:
 * - Origin confusion (docs/research/hostile-inputs.md case 1; Mastodon CVE-2024-23832): a server that lets users upload
 *   files, or that serves arbitrary JSON, could host a document claiming to be someone else. Only
 *   responses whose Content-Type is `application/activity+json` or `application/ld+json` (any parameters)
 *   are accepted, and the document's `id` must always be same-origin with the URL it was finally served
 *   from, after redirects: a server can only speak for its own origin.
 * - Actor substitution through redirects (case 6; Fedify GHSA-8863-8468-7hq7): for actors and keys the
 *   caller asks for `requireIdEquals: "requested-url"`, so the document must be exactly what was asked
 *   for, not whatever a redirect led to. Together with the same-origin baseline this also refuses any
 *   cross-origin redirect for such fetches.
 * - Resource exhaustion (cases 16, 17): body cap, total deadline and redirect limit come from safeFetch;
 *   JSON is parsed with depth and string-length limits before any value is built.
 *
 * `requireIdEquals` is a required option so that every caller decides, visibly:
 * - "final-url": id equals the URL after redirects. The default choice for objects fetched by id.
 * - "requested-url": id equals the URL we asked for. For actors and keys (Fedify's rule).
 * - "same-origin": only the baseline. For lookups by a non-canonical URL (a profile page URL that
 *   content-negotiates to the actor), where the id legitimately differs from what was requested.
 * Fragments are ignored in every comparison: they are never sent, so the server cannot answer
 * differently per fragment, and key ids (`…/users/alice#main-key`) would otherwise never match.
 */
import { err, ok, type Result } from "../lib/result.ts";
import { isJsonObject, parseJsonLimited, type JsonLimitError, type JsonLimits, type JsonObject } from "./json-limits.ts";
import { safeFetch, type SafeFetchError, type SafeFetchOptions } from "./safe-fetch.ts";
import { normalizeUrl, sameOrigin } from "./url-policy.ts";

export const ACTIVITYPUB_ACCEPT = 'application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"';

const ACCEPTED_MEDIA_TYPES = new Set(["application/activity+json", "application/ld+json"]);

export type IdRequirement = "final-url" | "requested-url" | "same-origin";

export type FetchDocumentError =
  | SafeFetchError
  | "not-found"
  | "gone"
  | "http-status"
  | "bad-content-type"
  | JsonLimitError
  | "not-an-object"
  | "missing-id"
  | "id-mismatch";

export interface FetchDocumentOptions extends Omit<SafeFetchOptions, "method" | "body" | "responseBody"> {
  readonly requireIdEquals: IdRequirement;
  /** Defaults: depth 32, strings 100,000 characters (config `limits.jsonDepth`, `limits.maxStringLength`). */
  readonly jsonLimits?: JsonLimits;
}

export interface FetchedDocument {
  readonly document: JsonObject;
  /** The document's `id`, normalised. */
  readonly id: string;
  /** Where the document was served from, after redirects. */
  readonly finalUrl: string;
}

const DEFAULT_JSON_LIMITS: JsonLimits = { maxDepth: 32, maxStringLength: 100_000 };

/** Fetches `url` as an ActivityPub document and checks type, shape, limits and id; see the file comment. */
export async function fetchActivityPubDocument(
  url: string | URL,
  options: FetchDocumentOptions,
): Promise<Result<FetchedDocument, FetchDocumentError>> {
  const { requireIdEquals, jsonLimits = DEFAULT_JSON_LIMITS, ...fetchOptions } = options;
  const response = await safeFetch(url, {
    ...fetchOptions,
    method: "GET",
    headers: { ...options.headers, accept: ACTIVITYPUB_ACCEPT },
  });
  if (!response.ok) return response;
  const { status, headers, body, finalUrl } = response.value;

  if (status === 404) return err("not-found", `${finalUrl} answered 404`);
  if (status === 410) return err("gone", `${finalUrl} answered 410`);
  if (status < 200 || status > 299) return err("http-status", `${finalUrl} answered ${status}`);

  const mediaType = (headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
  if (!ACCEPTED_MEDIA_TYPES.has(mediaType)) {
    return err("bad-content-type", `${finalUrl} served ${JSON.stringify(headers["content-type"] ?? "no content type")}, not ActivityPub`);
  }

  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(body);
  } catch {
    return err("invalid-json", `${finalUrl} served invalid UTF-8`);
  }
  const parsed = parseJsonLimited(text, jsonLimits);
  if (!parsed.ok) return parsed;
  if (!isJsonObject(parsed.value)) return err("not-an-object", `${finalUrl} served JSON that is not an object`);
  const document = parsed.value;

  const idValue = document["id"];
  const id = typeof idValue === "string" ? normalizeUrl(idValue) : undefined;
  if (id === undefined) return err("missing-id", `${finalUrl} served a document without a valid id`);
  const served = normalizeUrl(finalUrl)!;
  if (!sameOrigin(id, served)) {
    return err("id-mismatch", `document id ${id.href} is not on the origin it was served from (${served.origin})`);
  }
  if (requireIdEquals === "final-url" && id.href !== served.href) {
    return err("id-mismatch", `document id ${id.href} differs from the URL it was served from (${served.href})`);
  }
  if (requireIdEquals === "requested-url") {
    const requested = normalizeUrl(url);
    if (requested === undefined || id.href !== requested.href) {
      return err("id-mismatch", `document id ${id.href} differs from the requested URL (${requested?.href ?? String(url)})`);
    }
  }
  return ok({ document, id: id.href, finalUrl: served.href });
}
