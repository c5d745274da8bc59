import { CONNECT_TIMEOUT_CODE, HEADERS_TIMEOUT_CODE, TOTAL_TIMEOUT_CODE, type Http1Client } from "../net/http1-client.ts";
import { FORBIDDEN_ADDRESS_CODE } from "../net/resolve-allowed.ts";
import { isSignatureRefusal, type SendFailure } from "./delivery.policy.ts";
import type { HostLimiter } from "./host-limiter.ts";
import { otherSpec, signRequest, type SignableBody, type SignatureSpec, type SigningKey } from "./http-signature.ts";

/**
 * Sends one signed POST to one inbox: Herold's HTTP/1.1 client (src/net/http1-client.ts: SSRF guard,
 * kept-alive connection pools per origin), under the per-host concurrency limit, with connect,
 * response (headers) and total deadlines; the response body is counted up to a cap and thrown away.
 *
 * Double-knocking: when the peer answers 400 or 401 to one signature spec, the same request is sent
 * again at once, signed with the other spec, inside the same host slot. The caller learns which spec
 * produced the final answer and remembers it per host.
 */
export interface SenderOptions {
  /** The guarded HTTP/1.1 client (src/net); every delivery goes through it. */
  readonly client: Http1Client;
  readonly limiter: HostLimiter;
  readonly responseTimeoutMs: number;
  readonly totalTimeoutMs: number;
  readonly userAgent: string;
  /** Bytes of a response body read before the connection is dropped instead. */
  readonly maxResponseBytes: number;
}

export interface SendInput {
  /** Checked by the URL policy already. */
  readonly url: URL;
  readonly body: SignableBody;
  readonly key: SigningKey;
  /** The spec to knock with first. */
  readonly spec: SignatureSpec;
  /** Signature time source (the app Clock). */
  readonly now: () => Date;
}

export type SendResult =
  /** Too many deliveries already wait for this host; nothing was sent. */
  | { readonly kind: "busy" }
  | { readonly kind: "response"; readonly status: number; readonly retryAfter: string | undefined; readonly spec: SignatureSpec; readonly knocks: 1 | 2 }
  | { readonly kind: "failure"; readonly failure: SendFailure; readonly message: string; readonly spec: SignatureSpec; readonly knocks: 1 | 2 };

export class InboxSender {
  readonly #options: SenderOptions;

  constructor(options: SenderOptions) {
    this.#options = options;
  }

  async send(input: SendInput): Promise<SendResult> {
    const slot = this.#options.limiter.acquire(input.url.host);
    if (slot === undefined) return { kind: "busy" };
    const release = await slot;
    try {
      const first = await this.#knock(input, input.spec, 1);
      if (first.kind !== "response" || !isSignatureRefusal(first.status)) return first;
      return await this.#knock(input, otherSpec(input.spec), 2);
    } finally {
      release();
    }
  }

  async #knock(input: SendInput, spec: SignatureSpec, knocks: 1 | 2): Promise<SendResult> {
    const { url, body } = input;
    const headers: Record<string, string> = {
      ...(await signRequest(spec, { method: "POST", url, body, key: input.key, now: input.now() })),
      "content-type": "application/activity+json",
      "user-agent": this.#options.userAgent,
    };
    try {
      const response = await this.#options.client.request({
        url,
        method: "POST",
        headers,
        body: body.bytes,
        headersTimeoutMs: this.#options.responseTimeoutMs,
        totalTimeoutMs: this.#options.totalTimeoutMs,
        maxBodyBytes: this.#options.maxResponseBytes,
      });
      // The peer has answered; a body that is too large, stalls or is cut off does not change that.
      return { kind: "response", status: response.status, retryAfter: response.headers.get("retry-after"), spec, knocks };
    } catch (error) {
      const { failure, message } = classify(error);
      return { kind: "failure", failure, message, spec, knocks };
    }
  }
}

const TIMEOUTS: ReadonlySet<unknown> = new Set([CONNECT_TIMEOUT_CODE, HEADERS_TIMEOUT_CODE, TOTAL_TIMEOUT_CODE]);

function classify(error: unknown): { failure: SendFailure; message: string } {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  if (code === FORBIDDEN_ADDRESS_CODE) return { failure: "forbidden-address", message };
  if (TIMEOUTS.has(code)) return { failure: "timeout", message: `${String(code)}: ${message}` };
  return { failure: "network", message: typeof code === "string" ? `${code}: ${message}` : message };
}
