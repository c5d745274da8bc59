import { hash, verify } from "node:crypto";
import type { KeyCache } from "@fedify/fedify";
import { verifyRequestDetailed } from "@fedify/fedify/sig";
import { FetchError } from "@fedify/fedify/runtime";
import type { DocumentLoader } from "@fedify/vocab";
import { Temporal } from "@js-temporal/polyfill";
import { parseIri } from "../../content/validate.ts";
import { sameAuthority } from "../../lib/authority.ts";
import { err, ok, type Result } from "../../lib/result.ts";
import type { Clock } from "../../lib/time.ts";
import { offlineContextLoader } from "../context-loader.ts";
import type { FetchBudget } from "../fetch/fetch-budget.ts";
import { keyDocument, type KeyEntry, type KeyLookupError, type RemoteKeyStore } from "./key-store.ts";

export type SignatureError =
  | "no-signature"
  | "malformed"
  | "digest"
  | "invalid"
  /** The key lives on a blocked domain. */
  | "key-blocked"
  /** The key's owner answered 410 Gone. */
  | "key-gone"
  /** The key could not be obtained, or its owner does not list it. */
  | "key-unavailable"
  /** The signature was made for another server's host (a captured delivery replayed here). */
  | "wrong-host";

export interface VerifiedSignature {
  readonly spec: "draft-cavage-http-signatures-12" | "rfc9421";
  readonly key: KeyEntry;
}

export interface SignedRequest {
  /** The URL as the signer saw it: this server's public origin plus path and query. */
  readonly url: string;
  readonly method: string;
  readonly headers: Headers;
  readonly body: Uint8Array;
}

/** Draft-cavage parameters; anything else in a Signature header makes it malformed. */
const DRAFT_PARAMS = new Set(["keyId", "algorithm", "headers", "signature", "created", "expires"]);
/** Mastodon's list: RSA-SHA256 under either name. */
const DRAFT_ALGORITHMS = new Set(["rsa-sha256", "hs2019"]);
/** What a POST signature must cover, so the body, the target and the time are bound to it. */
const DRAFT_REQUIRED_HEADERS = ["(request-target)", "host", "date", "digest"];
const RFC9421_REQUIRED_COMPONENTS = ["@method", "@target-uri", "content-digest"];
/** Pseudo-headers a draft-cavage `headers` list may name besides header fields. */
const DRAFT_PSEUDO_HEADERS = new Set(["(request-target)", "(created)", "(expires)"]);
/**
 * A header field name as signers write it: an RFC 9110 token in lower case (draft-cavage §2.1.6;
 * Mastodon lower-cases the list before it builds the signing string, Fedify does not, so only the
 * lower-case spelling means the same to both).
 */
const HEADER_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]+$/;

/**
 * Verifies the HTTP signature of an inbox POST with Fedify (`verifyRequestDetailed`: draft-cavage
 * and RFC 9421), around which Herold adds what Fedify leaves to the caller:
 *
 * - the body digest is required and checked here first, SHA-256 only (`Digest` for draft-cavage,
 *   `Content-Digest` for RFC 9421), with `crypto.hash` against the raw bytes; a digest in another
 *   algorithm only is refused (hostile-inputs case 11);
 * - the Signature header is parsed strictly before Fedify sees it: duplicate or unknown parameters,
 *   unknown algorithms, and signatures that do not cover `(request-target) host date digest` are
 *   refused, so no parser difference can decide what was signed (case 10);
 * - RFC 9421 signatures must cover `@method`, `@target-uri` and `content-digest`;
 * - the signed host is this server's configured one: the draft-cavage `host` (always covered) and a
 *   covered RFC 9421 `host` field come from the Host header and are compared with the origin, while
 *   `@authority` and `@target-uri` are computed from `request.url`, which must be on that origin;
 * - header names in `headers` are lower-case tokens or known pseudo-headers, and nothing the request
 *   carries makes `verify` throw;
 * - keys come from the key store (memory → `actors` → owner's document; never the key document's
 *   word), handed to Fedify through its key cache, so the hot path has no fetch and no JSON-LD.
 *   When a cached key fails, Fedify asks once more through the document loader: that is the key
 *   store's rate-limited refresh.
 * - draft-cavage signatures by a key already in memory are first checked with node:crypto
 *   (`verifyCachedDraft`, the same checks without WebCrypto's thread-pool round trips); only what
 *   does not verify that way goes through Fedify.
 * - the `Date`/`created` window is `windowSeconds` both ways.
 */
export class InboxSignatureVerifier {
  readonly #keys: RemoteKeyStore;
  readonly #clock: Clock;
  readonly #windowSeconds: number;
  readonly #origin: URL;

  /** `origin`: this server's configured public origin; signatures must be made for its host. */
  constructor(deps: { remoteKeys: RemoteKeyStore; clock: Clock; windowSeconds: number; origin: URL }) {
    this.#keys = deps.remoteKeys;
    this.#clock = deps.clock;
    this.#windowSeconds = deps.windowSeconds;
    this.#origin = deps.origin;
  }

  /** Never throws on what the request carries: every defect of the input is a `SignatureError`. */
  async verify(request: SignedRequest, budget: FetchBudget): Promise<Result<VerifiedSignature, SignatureError>> {
    try {
      return await this.#verify(request, budget);
    } catch (error) {
      return err("malformed", `signature could not be checked: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  async #verify(request: SignedRequest, budget: FetchBudget): Promise<Result<VerifiedSignature, SignatureError>> {
    const { headers, body } = request;
    // RFC 9421's derived components (@authority, @target-uri) come from this URL, so it must be ours.
    if (new URL(request.url).origin !== this.#origin.origin) {
      return err("wrong-host", `the request URL ${request.url} is not on this server's origin ${this.#origin.origin}`);
    }
    const signature = headers.get("signature");
    if (signature === null || signature.trim() === "") return err("no-signature", "the request has no Signature header");
    const signatureInput = headers.get("signature-input");
    const spec = signatureInput !== null ? "rfc9421" : "draft-cavage-http-signatures-12";

    const digestBase64 = hash("sha256", body, "base64");
    if (spec === "rfc9421") {
      const contentDigest = headers.get("content-digest");
      if (contentDigest === null) return err("digest", "RFC 9421 POST without Content-Digest");
      const check = checkBodyDigest(contentDigest, "Content-Digest", digestBase64);
      if (!check.ok) return check;
    } else {
      const parsed = parseDraftSignature(signature);
      if (!parsed.ok) return parsed;
      // `host` is always covered (parseDraftSignature); both verifiers sign the Host header's value.
      const host = this.#checkHost(headers.get("host") ?? new URL(request.url).host);
      if (!host.ok) return host;
      const digest = headers.get("digest");
      if (digest === null) return err("digest", "POST without a Digest header");
      const check = checkBodyDigest(digest, "Digest", digestBase64);
      if (!check.ok) return check;
      const cached = verifyCachedDraft(request, parsed.value, check.value.onlySha256, { keys: this.#keys, now: this.#clock.now().getTime(), windowSeconds: this.#windowSeconds });
      if (cached !== null) return ok({ spec, key: cached });
    }

    // What the key store reports during this verification, for the refusal reason and the signer.
    let failure: { error: KeyLookupError; message: string } | undefined;
    let used: KeyEntry | undefined;
    const keyCache: KeyCache = {
      get: async (keyId) => {
        const result = await this.#keys.get(keyId.href, budget);
        if (result.ok) {
          used = result.value;
          return result.value.key;
        }
        failure = { error: result.error, message: result.message };
        return null;
      },
      // Fedify caches what our loader returned, or null after a failed refresh: neither may replace
      // a genuine key here, so the store manages its own contents.
      set: async () => undefined,
    };
    const documentLoader: DocumentLoader = async (url) => {
      const result = await this.#keys.refresh(url, budget);
      if (!result.ok) {
        failure = { error: result.error, message: result.message };
        throw new FetchError(url, result.message);
      }
      used = result.value;
      return { contextUrl: null, documentUrl: url, document: keyDocument(result.value) };
    };

    let verified: Awaited<ReturnType<typeof verifyRequestDetailed>>;
    try {
      verified = await verifyRequestDetailed(new Request(request.url, { method: request.method, headers, body: body as Uint8Array<ArrayBuffer> }), {
        spec,
        keyCache,
        documentLoader,
        contextLoader: offlineContextLoader,
        timeWindow: { seconds: this.#windowSeconds },
        currentTime: Temporal.Instant.fromEpochMilliseconds(this.#clock.now().getTime()) as unknown as globalThis.Temporal.Instant,
      });
    } catch (error) {
      // Fedify throws on some malformed inputs (an unparseable Date, bad base64): still just a refusal.
      return err("malformed", `signature could not be checked: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (!verified.verified) {
      if (failure?.error === "blocked") return err("key-blocked", failure.message);
      if (failure?.error === "gone") return err("key-gone", failure.message);
      if (failure !== undefined && failure.error !== "refresh-limited") return err("key-unavailable", failure.message);
      const keyId = "keyId" in verified.reason ? verified.reason.keyId?.href : undefined;
      return err("invalid", `signature ${keyId !== undefined ? `by ${keyId} ` : ""}does not verify (${verified.reason.type})`);
    }
    const keyId = verified.key.id?.href;
    if (used === undefined || keyId === undefined || used.keyId !== keyId) {
      return err("invalid", "the verified key is not the one the key store provided");
    }
    if (spec === "rfc9421") {
      const components = signedComponents(signatureInput ?? "", verified.signatureLabel ?? "");
      if (components === null) return err("malformed", "Signature-Input cannot be read unambiguously");
      const missing = RFC9421_REQUIRED_COMPONENTS.filter((c) => !components.includes(c));
      if (missing.length > 0) return err("invalid", `the signature does not cover ${missing.join(", ")}`);
      // @authority and @target-uri were computed from our own URL; a covered Host field is the header's.
      if (components.includes("host")) {
        const host = this.#checkHost(headers.get("host") ?? "");
        if (!host.ok) return host;
      }
    }
    return ok({ spec, key: used });
  }

  /**
   * A signed host must be this server's: a delivery captured on the way to another server, replayed
   * here through a proxy that passes any Host on, would otherwise verify (issue #10 item 7).
   */
  #checkHost(signed: string): Result<true, "wrong-host"> {
    if (sameAuthority(signed, this.#origin)) return ok(true);
    return err("wrong-host", `the signature is for host ${JSON.stringify(signed.slice(0, 100))}, not for this server (${this.#origin.host})`);
  }
}

/**
 * The inbox's hot path for the common case (Mastodon and most peers): a draft-cavage RSA signature by
 * a key already in memory, checked exactly as Fedify's draft verifier checks it (Date within the
 * window, the signing string built the same way, RSASSA-PKCS1-v1_5 with SHA-256), but with
 * node:crypto and the cached KeyObject instead of WebCrypto: Fedify's `subtle.digest` and
 * `subtle.verify` each take a trip through the thread pool, which made verification most of an
 * accepted activity's cost (bench/inbound.ts). It only ever says yes: anything it does not handle
 * (`created`/`expires`, another digest besides SHA-256, a key not in memory, a signature that does not
 * verify with the cached key, so perhaps a rotated one) returns null and takes the full path.
 */
function verifyCachedDraft(request: SignedRequest, params: ReadonlyMap<string, string>, onlySha256: boolean, deps: { keys: RemoteKeyStore; now: number; windowSeconds: number }): KeyEntry | null {
  if (params.has("created") || params.has("expires")) return null;
  // Fedify checks every digest algorithm it knows; with SHA-256 alone, the caller's check is the same.
  if (!onlySha256) return null;
  const keyId = parseIri(params.get("keyId"));
  if (keyId === null) return null;
  const entry = deps.keys.cached(keyId.href);
  if (entry === undefined || entry.publicKey.asymmetricKeyType !== "rsa") return null;
  const date = Date.parse(request.headers.get("date") ?? "");
  if (Number.isNaN(date) || Math.abs(deps.now - date) > deps.windowSeconds * 1000) return null;
  const lines: string[] = [];
  for (const name of params.get("headers")!.split(" ")) {
    let value: string | null;
    if (name === "(request-target)") value = `${request.method.toLowerCase()} ${new URL(request.url).pathname}`;
    else if (name === "host") value = request.headers.get("host") ?? new URL(request.url).host;
    else if (name.startsWith("(")) return null;
    else value = request.headers.get(name);
    if (value === null) return null;
    lines.push(`${name}: ${value}`);
  }
  const signature = params.get("signature")!;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(signature)) return null;
  return verify("sha256", Buffer.from(lines.join("\n")), entry.publicKey, Buffer.from(signature, "base64")) ? entry : null;
}

/** A draft-cavage Signature header: `name="value"` or `name=123`, comma separated, each name once. */
export function parseDraftSignature(header: string): Result<Map<string, string>, "malformed" | "invalid"> {
  const params = new Map<string, string>();
  for (const part of header.split(",")) {
    const match = /^\s*([A-Za-z]+)=(?:"([^"]*)"|(\d+))\s*$/.exec(part);
    if (match === null) return err("malformed", `malformed Signature parameter ${JSON.stringify(part.trim().slice(0, 80))}`);
    const name = match[1]!;
    if (!DRAFT_PARAMS.has(name)) return err("malformed", `unknown Signature parameter ${JSON.stringify(name)}`);
    if (params.has(name)) return err("malformed", `Signature parameter ${name} appears twice`);
    params.set(name, match[2] ?? match[3]!);
  }
  for (const name of ["keyId", "headers", "signature"]) {
    if (!params.get(name)) return err("malformed", `Signature header lacks ${name}`);
  }
  const algorithm = params.get("algorithm");
  if (algorithm !== undefined && !DRAFT_ALGORITHMS.has(algorithm.toLowerCase())) {
    return err("invalid", `unsupported signature algorithm ${JSON.stringify(algorithm.slice(0, 40))}`);
  }
  // One space between names, each a lower-case token or a known pseudo-header, each once: both
  // verifiers split and look the names up differently, and a name that is no header field name
  // (`a:b`, `x(y`, the empty name of a leading space) made the lookup throw (issue #10 item 9).
  const covered = params.get("headers")!.split(" ");
  const seen = new Set<string>();
  for (const name of covered) {
    if (!HEADER_NAME.test(name) && !DRAFT_PSEUDO_HEADERS.has(name)) {
      return err("malformed", `Signature headers names ${JSON.stringify(name.slice(0, 40))}, which is not a lower-case header name`);
    }
    if (seen.has(name)) return err("malformed", `Signature headers names ${name} twice`);
    seen.add(name);
  }
  const missing = DRAFT_REQUIRED_HEADERS.filter((h) => !covered.includes(h));
  if (missing.length > 0) return err("invalid", `the signature does not cover ${missing.join(", ")}`);
  return ok(params);
}

/** The two body-digest headers: `Digest` (RFC 3230, draft-cavage) and `Content-Digest` (RFC 9530). */
export type DigestHeader = "Digest" | "Content-Digest";

/**
 * The one parser of both digest headers: `Digest: SHA-256=<base64>[, other=…]` and
 * `Content-Digest: sha-256=:<base64>:[, …]` (RFC 9530 wraps the value in colons). A SHA-256 entry is
 * required and every one must match; other algorithms are ignored. `onlySha256` says the header has
 * no other entry, so checking SHA-256 here is all Fedify's own digest check would do.
 */
export function checkBodyDigest(header: string, form: DigestHeader, expectedBase64: string): Result<{ onlySha256: boolean }, "digest"> {
  const entries = header.split(",");
  let found = false;
  for (const entry of entries) {
    const at = entry.indexOf("=");
    if (at < 0 || entry.slice(0, at).trim().toLowerCase() !== "sha-256") continue;
    found = true;
    const raw = entry.slice(at + 1).trim();
    const value = form === "Digest" ? raw : (/^:([A-Za-z0-9+/=]+):$/.exec(raw)?.[1] ?? null);
    if (value !== expectedBase64) return err("digest", `${form} does not match the body`);
  }
  // Each header's own spelling of the algorithm (RFC 3230 upper case, RFC 9530 lower case).
  if (!found) return err("digest", `${form} has no ${form === "Digest" ? "SHA-256" : "sha-256"} value (the only algorithm accepted)`);
  return ok({ onlySha256: entries.length === 1 });
}

/**
 * The covered components of the signature `label` in a Signature-Input dictionary, or null when the
 * header cannot be read unambiguously (the label missing or present twice, unbalanced quotes).
 */
export function signedComponents(header: string, label: string): string[] | null {
  const members: string[] = [];
  let current = "";
  let quoted = false;
  let depth = 0;
  for (let i = 0; i < header.length; i++) {
    const c = header[i]!;
    if (quoted) {
      current += c;
      if (c === "\\") current += header[++i] ?? "";
      else if (c === '"') quoted = false;
      continue;
    }
    if (c === '"') quoted = true;
    else if (c === "(") depth++;
    else if (c === ")") depth--;
    if (c === "," && depth === 0) {
      members.push(current);
      current = "";
    } else {
      current += c;
    }
  }
  if (quoted || depth !== 0) return null;
  members.push(current);
  const matching = members.map((m) => m.trim()).filter((m) => m.startsWith(`${label}=`));
  if (matching.length !== 1) return null;
  const value = matching[0]!.slice(label.length + 1);
  const list = /^\(([^)]*)\)/.exec(value);
  if (list === null) return null;
  return [...list[1]!.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!.toLowerCase());
}
