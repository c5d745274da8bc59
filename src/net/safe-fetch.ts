/**
 * `safeFetch`: one HTTP exchange with a remote server, with every defence the federation layer needs.
 *
 * Threats:
 * - SSRF via redirects (docs/research/hostile-inputs.md case 12): redirects are followed here, by hand, so every hop's
 *   URL passes `checkUrl` and every hop's connection passes the guarded connector. A public first hop
 *   cannot bounce us to 169.254.169.254 or to a name that resolves inward.
 * - Payload size (case 17): the body cap applies to the bytes actually received (reading stops one byte
 *   past the cap, or at once when Content-Length announces more) and, for gzip/deflate/br, again to the DECODED size, so a
 *   20 KB gzip bomb of 20 MB zeros is refused after `maxBytes` of output. We decode ourselves instead of
 *   letting a library inflate without a limit.
 * - Slow-loris responses (case 17): a total deadline covers connect, all redirects, headers and body; a
 *   server trickling one byte per second cannot hold us past `timeoutMs` (per-chunk idle timeouts alone
 *   never fire on such a peer).
 * - Signatures on redirected requests: the `sign` hook runs for each hop with that hop's method, URL and
 *   headers, so a signed GET is re-signed for the redirect target instead of replaying a signature made
 *   for another URL. Credentials (Authorization, Cookie) are not carried to another origin.
 *
 * Expected failures are typed results; only programming errors (or a throwing `sign` hook) throw.
 */
import { promisify } from "node:util";
import { brotliDecompress, gunzip, inflate, inflateRaw, type InputType, type ZlibOptions } from "node:zlib";
import { err, ok, type Result } from "../lib/result.ts";
import { FORBIDDEN_ADDRESS_CODE, type GuardedHttpClient } from "./guarded-client.ts";
import { CONNECT_TIMEOUT_CODE, HEADERS_TIMEOUT_CODE, TOTAL_TIMEOUT_CODE } from "./http1-client.ts";
import { BAD_RESPONSE_CODE } from "./http1-parser.ts";
import { checkUrl, sameOrigin } from "./url-policy.ts";

export type SafeFetchError =
  | "forbidden-url"
  | "forbidden-address"
  | "timeout"
  | "aborted"
  | "too-large"
  | "too-many-redirects"
  /** Malformed redirect, unsupported or corrupt Content-Encoding. */
  | "bad-response"
  /** DNS failure, refused or reset connection, TLS failure, protocol error. */
  | "network";

export interface SignRequest {
  readonly method: string;
  readonly url: URL;
  /** The headers about to be sent (lower-case names, `host` included); a copy the hook may read freely. */
  readonly headers: Record<string, string>;
  readonly body?: Uint8Array;
}

/** Returns headers to add to this hop's request (e.g. `date`, `digest`, `signature`). Called once per hop. */
export type SignHook = (request: SignRequest) => Promise<Record<string, string>> | Record<string, string>;

export interface SafeFetchOptions {
  readonly guardedClient: GuardedHttpClient;
  /** Allow plain http: URLs (dev/test). Default false: production federation is https-only. */
  readonly allowHttp?: boolean;
  readonly method?: string;
  /** Request headers. `host`, `content-length` and hop-by-hop headers are ignored: they are set per hop. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Uint8Array | string;
  /** Cap on the response body, raw and decoded. Default 1 MiB (Mastodon's). */
  readonly maxBytes?: number;
  /** Deadline for the whole exchange including redirects and body. Default 30 s. */
  readonly timeoutMs?: number;
  /** Redirects followed before giving up. Default 5. */
  readonly maxRedirects?: number;
  readonly signal?: AbortSignal;
  readonly sign?: SignHook;
  /**
   * "discard" reads at most `maxBytes` of the final body and throws it away without error, for callers
   * that only need the status (deliveries): a chatty 2xx must not turn a delivered activity into a failure.
   */
  readonly responseBody?: "read" | "discard";
}

export interface SafeResponse {
  readonly status: number;
  /** Lower-case names; repeated headers joined with ", ". */
  readonly headers: Readonly<Record<string, string>>;
  /** Decoded body (empty with `responseBody: "discard"`). */
  readonly body: Buffer;
  /** URL of the response after redirects, normalised. */
  readonly finalUrl: string;
  readonly redirects: number;
}

const DEFAULT_MAX_BYTES = 1_048_576;
const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_REDIRECTS = 5;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
/** Hop-specific or computed by the client; a caller-supplied value would be stale or conflicting. */
const CALLER_HEADERS_IGNORED = new Set(["host", "content-length", "connection", "transfer-encoding", "keep-alive", "upgrade", "te"]);
/** Not sent to another origin after a redirect. */
const CREDENTIAL_HEADERS = ["authorization", "cookie", "proxy-authorization"];
/** Describe a request body; dropped when a redirect turns the request into a GET. */
const BODY_HEADERS = ["content-type", "content-encoding", "content-language", "content-location", "digest", "content-digest"];

/** Fetches `input` under the guarded client's address policy; see the file comment for what is enforced. */
export async function safeFetch(input: string | URL, options: SafeFetchOptions): Promise<Result<SafeResponse, SafeFetchError>> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const maxRedirects = options.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const urlPolicy = { allowHttp: options.allowHttp ?? false, addressPolicy: options.guardedClient.addressPolicy };

  let method = (options.method ?? "GET").toUpperCase();
  let body: Buffer | undefined = options.body === undefined ? undefined : Buffer.from(options.body);
  let headers = callerHeaders(options.headers);

  const first = checkUrl(input, urlPolicy);
  if (!first.ok) return first;
  let url = first.value;

  // One controller for both stop causes. Deliveries run thousands of these a second: the timer is
  // cleared and the caller's listener removed as soon as the exchange ends, instead of lingering
  // (AbortSignal.timeout / AbortSignal.any would keep both alive until the deadline).
  const controller = new AbortController();
  const signal = controller.signal;
  let stopped: "timeout" | "aborted" | undefined;
  const stop = (why: "timeout" | "aborted"): void => {
    stopped ??= why;
    controller.abort(new Error(why === "timeout" ? `no complete response within ${timeoutMs} ms` : "aborted by the caller"));
  };
  const timer = setTimeout(() => stop("timeout"), timeoutMs);
  const onCallerAbort = (): void => stop("aborted");
  if (options.signal?.aborted) stop("aborted");
  else options.signal?.addEventListener("abort", onCallerAbort, { once: true });
  // A throwing sign hook is a bug in our signing code, not a network condition: rethrown, not classified.
  let signFailure: { readonly error: unknown } | undefined;

  const deadline = Date.now() + timeoutMs;
  try {
    for (let redirects = 0; ; redirects++) {
      if (stopped !== undefined) return stopResult(stopped, timeoutMs);
      const hopHeaders: Record<string, string> = { ...headers, host: url.host };
      if (options.sign) {
        let signed: Record<string, string>;
        try {
          signed = await options.sign({
            method,
            url: new URL(url.href),
            headers: { ...hopHeaders },
            ...(body !== undefined ? { body } : {}),
          });
        } catch (error) {
          signFailure = { error };
          throw error;
        }
        for (const [name, value] of Object.entries(signed)) hopHeaders[name.toLowerCase()] = value;
      }

      const discardBody = options.responseBody === "discard";
      const response = await options.guardedClient.client.request({
        url,
        method,
        headers: hopHeaders,
        body: body ?? null,
        headersTimeoutMs: options.guardedClient.headersTimeoutMs,
        totalTimeoutMs: Math.max(1, deadline - Date.now()),
        // A redirect's body is read under the same cap and dropped.
        maxBodyBytes: maxBytes,
        collectBody: !discardBody,
        signal,
      });
      const responseHeaders = Object.fromEntries(response.headers);
      const location = responseHeaders["location"];

      if (REDIRECT_STATUSES.has(response.status) && location !== undefined) {
        if (redirects >= maxRedirects) return err("too-many-redirects", `more than ${maxRedirects} redirects, last to ${location}`);
        let target: URL;
        try {
          target = new URL(location, url);
        } catch {
          return err("bad-response", `redirect to an invalid Location: ${JSON.stringify(location.slice(0, 200))}`);
        }
        const checked = checkUrl(target, urlPolicy);
        if (!checked.ok) return err(checked.error, `redirect from ${url.href} refused: ${checked.message}`);
        // Fetch-standard method rewriting: 303 always becomes GET; 301/302 turn a POST into a GET.
        const status = response.status;
        if ((status === 303 && method !== "HEAD") || ((status === 301 || status === 302) && method === "POST")) {
          method = "GET";
          body = undefined;
          headers = withoutHeaders(headers, BODY_HEADERS);
        }
        if (!sameOrigin(url, checked.value)) headers = withoutHeaders(headers, CREDENTIAL_HEADERS);
        url = checked.value;
        continue;
      }

      if (response.body === "timeout") return stopResult("timeout", timeoutMs);
      if (discardBody) return ok({ status: response.status, headers: responseHeaders, body: Buffer.alloc(0), finalUrl: url.href, redirects });
      if (response.body === "too-large") {
        const declared = Number(responseHeaders["content-length"] ?? "");
        return err("too-large", Number.isFinite(declared) && declared > maxBytes ? `response declares ${declared} bytes, more than ${maxBytes}` : `response body larger than ${maxBytes} bytes`);
      }
      if (response.body === "cut-off") return err("network", `the response body from ${url.host} was cut off`);
      const decoded = await decodeBody(response.bytes, responseHeaders["content-encoding"], maxBytes);
      if (!decoded.ok) return decoded;
      return ok({ status: response.status, headers: responseHeaders, body: decoded.value, finalUrl: url.href, redirects });
    }
  } catch (error) {
    if (signFailure !== undefined) throw signFailure.error;
    if (stopped !== undefined) return stopResult(stopped, timeoutMs);
    return classifyError(error);
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onCallerAbort);
  }
}

function stopResult(why: "timeout" | "aborted", timeoutMs: number): Result<never, SafeFetchError> {
  return why === "timeout"
    ? err("timeout", `no complete response within ${timeoutMs} ms`)
    : err("aborted", "request aborted by the caller");
}

function classifyError(error: unknown): Result<never, SafeFetchError> {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  switch (code) {
    case FORBIDDEN_ADDRESS_CODE:
      return err("forbidden-address", message);
    case CONNECT_TIMEOUT_CODE:
    case HEADERS_TIMEOUT_CODE:
    case TOTAL_TIMEOUT_CODE:
      return err("timeout", message);
    case BAD_RESPONSE_CODE:
      return err("bad-response", message);
    default:
      return err("network", typeof code === "string" ? `${code}: ${message}` : message);
  }
}

type Decoder = (input: InputType, options: ZlibOptions) => Promise<Buffer>;
const gunzipAsync = promisify(gunzip) as Decoder;
const inflateAsync = promisify(inflate) as Decoder;
const inflateRawAsync = promisify(inflateRaw) as Decoder;
const brotliAsync = promisify(brotliDecompress) as Decoder;

/**
 * Undoes Content-Encoding with the output capped at `maxBytes`: zlib stops and fails with
 * ERR_BUFFER_TOO_LARGE once `maxOutputLength` is passed, so a bomb never inflates in memory.
 */
async function decodeBody(raw: Buffer, contentEncoding: string | undefined, maxBytes: number): Promise<Result<Buffer, "too-large" | "bad-response">> {
  if (contentEncoding === undefined || raw.length === 0) return ok(raw);
  const codings = contentEncoding
    .split(",")
    .map((coding) => coding.trim().toLowerCase())
    .filter((coding) => coding !== "" && coding !== "identity");
  if (codings.length > 2) return err("bad-response", `too many content codings: ${contentEncoding}`);
  let body = raw;
  for (const coding of codings.reverse()) {
    let decoder: Decoder;
    if (coding === "gzip" || coding === "x-gzip") decoder = gunzipAsync;
    else if (coding === "br") decoder = brotliAsync;
    // "deflate" means zlib-wrapped, but enough servers send raw deflate that browsers accept both.
    else if (coding === "deflate") decoder = looksLikeZlib(body) ? inflateAsync : inflateRawAsync;
    else return err("bad-response", `unsupported content coding ${JSON.stringify(coding)}`);
    try {
      body = await decoder(body, { maxOutputLength: maxBytes });
    } catch (error) {
      if ((error as { code?: unknown }).code === "ERR_BUFFER_TOO_LARGE") {
        return err("too-large", `decoded response body larger than ${maxBytes} bytes`);
      }
      return err("bad-response", `cannot decode ${coding} body: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return ok(body);
}

function looksLikeZlib(body: Buffer): boolean {
  const cmf = body[0];
  const flg = body[1];
  return cmf !== undefined && flg !== undefined && (cmf & 0x0f) === 8 && ((cmf << 8) | flg) % 31 === 0;
}

function callerHeaders(headers: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const result: Record<string, string> = { "accept-encoding": "gzip, deflate, br", "user-agent": "Herold" };
  for (const [name, value] of Object.entries(headers ?? {})) {
    const lower = name.toLowerCase();
    if (!CALLER_HEADERS_IGNORED.has(lower)) result[lower] = value;
  }
  return result;
}

function withoutHeaders(headers: Record<string, string>, names: readonly string[]): Record<string, string> {
  const result = { ...headers };
  for (const name of names) delete result[name];
  return result;
}
