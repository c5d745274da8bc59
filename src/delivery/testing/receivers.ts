/**
 * Loopback inboxes for the delivery tests (test support only). Each receiver is an HTTP server on
 * 127.0.0.1 (through the one loopback core, src/testing/test-server.ts) that records what it received by activity id, can verify signatures, can insist on one
 * signature spec (to exercise double-knocking), answer a chosen status, answer slowly, or be "down"
 * (every connection is dropped at once, like a host that is unreachable).
 */
import { createServer, type IncomingMessage } from "node:http";
import { listenOnLoopback } from "../../testing/test-server.ts";
import type { SignatureSpec } from "../http-signature.ts";
import type { SignedRequestParts, VerifyResult } from "./verify.ts";

export interface ReceivedDelivery {
  readonly path: string;
  readonly activityId: string | null;
  readonly spec: SignatureSpec | null;
  readonly keyId: string | null;
}

export interface ReceiverOptions {
  /** Verifies each request; refusals are answered 401 and not recorded as deliveries. */
  readonly verify?: (parts: SignedRequestParts) => VerifyResult | Promise<VerifyResult>;
  /** Answer 401 to requests signed with the other spec (requires `verify`). */
  readonly acceptOnly?: SignatureSpec;
  /** Status for accepted requests (default 202). */
  readonly status?: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** Delay before answering, in real milliseconds. */
  readonly delayMs?: number;
  /** Response body for accepted requests (default empty). */
  readonly responseBody?: Buffer;
}

export interface Receiver {
  readonly port: number;
  /** `127.0.0.1:<port>`: the host key Herold uses for this server. */
  readonly host: string;
  readonly origin: string;
  url(path: string): string;
  /** Accepted deliveries, in arrival order. */
  readonly deliveries: ReceivedDelivery[];
  /** Requests refused (signature failures), with the reason. */
  readonly refusals: string[];
  /** Every request that arrived, accepted or not. */
  requests(): number;
  /** Most requests that were being handled at the same time. */
  maxConcurrent(): number;
  connections(): number;
  count(activityId: string): number;
  /** Changes the behaviour for later requests. */
  set(options: ReceiverOptions): void;
  /** Drops every connection at once (true) or serves again (false). */
  down(isDown: boolean): void;
  close(): Promise<void>;
}

export async function startReceiver(initial: ReceiverOptions = {}): Promise<Receiver> {
  let options = initial;
  let isDown = false;
  let requests = 0;
  const deliveries: ReceivedDelivery[] = [];
  const refusals: string[] = [];
  const counts = new Map<string, number>();

  let inFlight = 0;
  let maxConcurrent = 0;
  const server = createServer((request, response) => {
    inFlight++;
    maxConcurrent = Math.max(maxConcurrent, inFlight);
    response.once("close", () => inFlight--);
    void (async () => {
      const body = await readBody(request);
      requests++;
      const current = options;
      let verdict: VerifyResult | undefined;
      if (current.verify !== undefined) {
        verdict = await current.verify({
          method: request.method ?? "GET",
          path: request.url ?? "/",
          origin: `http://${request.headers.host ?? ""}`,
          headers: request.headers,
          body,
        });
        if (!verdict.ok || (current.acceptOnly !== undefined && verdict.spec !== current.acceptOnly)) {
          refusals.push(verdict.ok ? `spec ${verdict.spec} not accepted` : verdict.reason);
          response.writeHead(401, { "content-type": "text/plain" }).end("signature refused");
          return;
        }
      }
      let activityId: string | null = null;
      try {
        const id = (JSON.parse(body.toString("utf8")) as { id?: unknown }).id;
        if (typeof id === "string") activityId = id;
      } catch {
        // not JSON: recorded without an id
      }
      if (current.delayMs !== undefined) await new Promise((r) => setTimeout(r, current.delayMs));
      const status = current.status ?? 202;
      if (status >= 200 && status < 300) {
        deliveries.push({ path: request.url ?? "/", activityId, spec: verdict?.ok ? verdict.spec : null, keyId: verdict?.ok ? verdict.keyId : null });
        if (activityId !== null) counts.set(activityId, (counts.get(activityId) ?? 0) + 1);
      }
      const ok = status >= 200 && status < 300;
      response.writeHead(status, { "content-type": "text/plain", ...current.headers }).end(ok ? (current.responseBody ?? "") : `status ${status}`);
    })().catch(() => response.destroy());
  });
  server.keepAliveTimeout = 30_000;
  // A receiver that is down accepts the connection and drops it at once, like an unreachable host.
  const listener = await listenOnLoopback(server, () => !isDown);
  const port = listener.port;
  const origin = `http://127.0.0.1:${port}`;
  return {
    port,
    host: `127.0.0.1:${port}`,
    origin,
    url: (path) => origin + path,
    deliveries,
    refusals,
    requests: () => requests,
    maxConcurrent: () => maxConcurrent,
    connections: listener.connections,
    count: (activityId) => counts.get(activityId) ?? 0,
    set(next) {
      options = next;
    },
    down(next) {
      isDown = next;
      if (next) listener.dropConnections();
    },
    close: listener.close,
  };
}

export async function startReceivers(count: number, options: ReceiverOptions = {}): Promise<Receiver[]> {
  const receivers: Receiver[] = [];
  try {
    for (let i = 0; i < count; i++) receivers.push(await startReceiver(options));
  } catch (error) {
    await Promise.all(receivers.map((r) => r.close()));
    throw error;
  }
  return receivers;
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks)));
    request.on("error", reject);
  });
}
