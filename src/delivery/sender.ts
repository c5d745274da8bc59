import type { Dispatcher } from "undici";
import { FORBIDDEN_ADDRESS_CODE } from "../net/guarded-agent.ts";
import { isSignatureRefusal, type SendFailure } from "./delivery.policy.ts";
import type { HostLimiter } from "./host-limiter.ts";
import { otherSpec, signRequest, type SignableBody, type SignatureSpec, type SigningKey } from "./http-signature.ts";

/**
 * Sends one signed POST to one inbox: undici's `request` through the SSRF-guarded agent (kept-alive
 * connection pools per origin), under the per-host concurrency limit, with connect (agent), response
 * (headers) and total deadlines; the response body is read up to a cap and thrown away.
 *
 * Double-knocking: when the peer answers 400 or 401 to one signature spec, the same request is sent
 * again at once, signed with the other spec, inside the same host slot. The caller learns which spec
 * produced the final answer and remembers it per host.
 */
export interface SenderOptions {
  /** The guarded agent (src/net); every delivery goes through it. */
  readonly dispatcher: Dispatcher;
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
      ...signRequest(spec, { method: "POST", url, body, key: input.key, now: input.now() }),
      "content-type": "application/activity+json",
      "user-agent": this.#options.userAgent,
    };
    const deadline = AbortSignal.timeout(this.#options.totalTimeoutMs);
    let response: Dispatcher.ResponseData;
    try {
      response = await this.#options.dispatcher.request({
        origin: url.origin,
        path: url.pathname + url.search,
        method: "POST",
        headers,
        body: body.bytes,
        signal: deadline,
        headersTimeout: this.#options.responseTimeoutMs,
        bodyTimeout: this.#options.responseTimeoutMs,
      });
    } catch (error) {
      const { failure, message } = classify(error, deadline);
      return { kind: "failure", failure, message, spec, knocks };
    }
    // The peer has answered; a body that is too large, stalls or is cut off does not change that.
    try {
      await response.body.dump({ limit: this.#options.maxResponseBytes, signal: deadline });
    } catch {
      // the connection is dropped by undici; nothing else to do
    }
    const retryAfter = response.headers["retry-after"];
    return {
      kind: "response",
      status: response.statusCode,
      retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter,
      spec,
      knocks,
    };
  }
}

function classify(error: unknown, deadline: AbortSignal): { failure: SendFailure; message: string } {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  if (code === FORBIDDEN_ADDRESS_CODE) return { failure: "forbidden-address", message };
  if (deadline.aborted) return { failure: "timeout", message: "no complete response within the total deadline" };
  if (code === "UND_ERR_CONNECT_TIMEOUT" || code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_BODY_TIMEOUT") {
    return { failure: "timeout", message: `${code}: ${message}` };
  }
  return { failure: "network", message: typeof code === "string" ? `${code}: ${message}` : message };
}
