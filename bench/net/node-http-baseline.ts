import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type ClientRequestArgs, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { isIP, type LookupFunction, type Socket } from "node:net";
import type { Duplex } from "node:stream";
import { isAddressAllowed } from "../../src/net/address-policy.ts";
import {
  CLIENT_CLOSED_CODE,
  CONNECT_TIMEOUT_CODE,
  HEADERS_TIMEOUT_CODE,
  TOTAL_TIMEOUT_CODE,
  type Http1ClientOptions,
  type Http1Request,
  type Http1Response,
} from "../../src/net/http1-client.ts";
import { BAD_RESPONSE_CODE } from "../../src/net/http1-parser.ts";
import { defaultLookup, ForbiddenAddressError, resolveAllowed, type LookupFn } from "../../src/net/resolve-allowed.ts";

/**
 * BENCHMARK BASELINE, not used by Herold: the guarded client of src/net/http1-client.ts rebuilt on
 * node:http/node:https (Node's llhttp parser), kept so the measurement of docs/adr/0006 can be
 * repeated (`npm run bench -- fanout --clients own,node`, `npm run bench -- fetch`).
 *
 * One keep-alive Agent per scheme whose `createConnection` pins every socket to the addresses the
 * address policy checked: a name is resolved once (resolve-allowed.ts) inside the socket's `lookup`,
 * every address must be allowed, and the socket connects only to those (no second resolution); a
 * literal IP is checked before the socket exists. TLS verifies the certificate for the name (SNI =
 * name). Per-origin limit = the Agent's `maxSockets`; idle sockets closed after `keepAliveTimeoutMs`
 * (or the peer's shorter Keep-Alive hint, Node's own rule) and beyond `maxIdleSockets` in total;
 * connect/headers/total deadlines, abort, body counted or collected under the cap with an announced
 * oversize refused at once, one resend on a reused socket the peer had closed. Same options, request
 * and response shapes and error codes as Http1Client; node-http-baseline.test.ts runs
 * src/net/http1-client.test.ts against it.
 */
export class NodeHttpClient {
  readonly #options: Http1ClientOptions;
  readonly #lookup: LookupFn;
  readonly #http: HttpAgent;
  readonly #https: HttpsAgent;
  /** Idle kept-alive sockets of every origin, longest idle first (a Set keeps insertion order). */
  readonly #idle = new Set<Duplex>();
  readonly #watched = new WeakSet<Duplex>();
  /** Requests still waiting for a socket (the per-origin limit), failed by `close`. */
  readonly #waiting = new Map<ClientRequest, (error: Error) => void>();
  #closed = false;

  constructor(options: Http1ClientOptions) {
    this.#options = options;
    this.#lookup = options.lookup ?? defaultLookup;
    const pool = {
      keepAlive: true,
      maxSockets: options.connectionsPerOrigin,
      maxFreeSockets: options.connectionsPerOrigin,
      timeout: options.keepAliveTimeoutMs ?? 10_000,
      scheduling: "lifo" as const,
    };
    const client = this;
    const ca = options.ca;
    // One guard for both agents (https.Agent extends http.Agent): every connection checked and pinned,
    // idle sockets counted against the global cap.
    const guarded = <A extends new (...args: any[]) => HttpAgent>(Base: A) =>
      class extends Base {
        override createConnection(connect: ClientRequestArgs, created?: (error: Error | null, socket: Duplex) => void): Duplex | null | undefined {
          const pinned = client.#guard(connect, created);
          return pinned === null ? undefined : super.createConnection(pinned, created);
        }
        override keepSocketAlive(socket: Duplex): void {
          return client.#park(socket, super.keepSocketAlive(socket) as unknown as boolean) as unknown as void;
        }
        override reuseSocket(socket: Duplex, request: ClientRequest): void {
          client.#idle.delete(socket);
          super.reuseSocket(socket, request);
        }
      };
    const GuardedHttpAgent = guarded(HttpAgent);
    const GuardedHttpsAgent = guarded(HttpsAgent);
    this.#http = new GuardedHttpAgent(pool);
    this.#https = new GuardedHttpsAgent({ ...pool, ALPNProtocols: ["http/1.1"], ...(ca !== undefined ? { ca: typeof ca === "string" ? ca : [...ca] } : {}) });
  }

  /** Sends one request. Rejects (with a `code`) when no response head arrived. */
  async request(request: Http1Request): Promise<Http1Response> {
    const deadline = Date.now() + request.totalTimeoutMs;
    try {
      return await this.#exchange(request, deadline);
    } catch (error) {
      // A kept-alive socket the peer closed meanwhile: send once more (on another or a new connection).
      if ((error as { stale?: boolean }).stale !== true || Date.now() >= deadline) throw error;
      return await this.#exchange(request, deadline);
    }
  }

  /** Closes idle connections, fails waiting requests, and lets busy ones finish. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const socket of [...this.#idle]) socket.destroy();
    this.#idle.clear();
    for (const fail of [...this.#waiting.values()]) fail(failure(CLIENT_CLOSED_CODE, "the HTTP client is closed"));
  }

  /** Like `close`, and drops busy connections too (their requests fail). */
  async destroy(): Promise<void> {
    await this.close();
    this.#http.destroy();
    this.#https.destroy();
  }

  /**
   * The address policy at connect time: a literal IP is checked here (no lookup happens for it), a
   * name gets a `lookup` that resolves it once and hands the socket only checked addresses.
   * Returns null after reporting a refused address through `created`.
   */
  #guard(connect: ClientRequestArgs, created: ((error: Error | null, socket: Duplex) => void) | undefined): ClientRequestArgs | null {
    const host = connect.host ?? connect.hostname ?? "";
    const port = Number(connect.port);
    if (isIP(host) !== 0) {
      if (isAddressAllowed(this.#options.addressPolicy, host, port)) return connect;
      created?.(new ForbiddenAddressError(host, host), undefined as unknown as Duplex);
      return null;
    }
    const lookup: LookupFunction = (hostname, lookupOptions, callback) => {
      resolveAllowed(hostname, port, this.#options.addressPolicy, this.#lookup, this.#options.connectTimeoutMs, (message) => failure(CONNECT_TIMEOUT_CODE, message)).then(
        (addresses) => {
          const answers = addresses.map((address) => ({ address, family: isIP(address) }));
          if ((lookupOptions as { all?: boolean }).all === true) (callback as (e: null, a: typeof answers) => void)(null, answers);
          else callback(null, answers[0]!.address, answers[0]!.family);
        },
        (error: NodeJS.ErrnoException) => callback(error, "", 0),
      );
    };
    return { ...connect, lookup };
  }

  /** After a complete response: keep the socket (under the global idle cap) or let the agent close it. */
  #park(socket: Duplex, keep: boolean): boolean {
    if (!keep || this.#closed) return false;
    if (!this.#watched.has(socket)) {
      this.#watched.add(socket);
      socket.once("close", () => this.#idle.delete(socket));
    }
    this.#idle.add(socket);
    const max = this.#options.maxIdleSockets ?? 256;
    for (const oldest of this.#idle) {
      if (this.#idle.size <= max) break;
      this.#idle.delete(oldest);
      oldest.destroy();
    }
    return true;
  }

  #exchange(request: Http1Request, deadline: number): Promise<Http1Response> {
    return new Promise((resolve, reject) => {
      if (this.#closed) return reject(failure(CLIENT_CLOSED_CODE, "the HTTP client is closed"));
      const { url } = request;
      const tls = url.protocol === "https:";
      const headers: Record<string, string> = { host: url.host };
      for (const [name, value] of Object.entries(request.headers)) {
        if (name !== "host" && name !== "content-length" && name !== "connection") headers[name] = value;
      }
      if (request.body !== null || request.method === "POST" || request.method === "PUT") headers["content-length"] = String(request.body?.length ?? 0);

      let settled = false;
      let response: IncomingMessage | null = null;
      let head: Pick<Http1Response, "status" | "headers"> | null = null;
      let received = 0;
      const chunks: Buffer[] | null = request.collectBody === true ? [] : null;
      let connectTimer: NodeJS.Timeout | undefined;
      let headersTimer: NodeJS.Timeout | undefined;
      let req: ClientRequest;
      const finish = (outcome: { response: Http1Response } | { error: Error }, drop: boolean): void => {
        if (settled) return;
        settled = true;
        clearTimeout(connectTimer);
        clearTimeout(headersTimer);
        clearTimeout(totalTimer);
        request.signal?.removeEventListener("abort", onAbort);
        this.#waiting.delete(req);
        if (drop) req.destroy();
        if ("response" in outcome) resolve(outcome.response);
        else reject(outcome.error);
      };
      const answered = (body: Http1Response["body"]): Http1Response => ({
        ...head!,
        body,
        bytes: body === "complete" && chunks !== null ? Buffer.concat(chunks) : Buffer.alloc(0),
      });
      const onAbort = (): void => finish({ error: failure("ABORT_ERR", "the request was aborted") }, true);
      const totalTimer = setTimeout(
        () => finish(head === null ? { error: failure(TOTAL_TIMEOUT_CODE, "no response within the total deadline") } : { response: answered("timeout") }, true),
        Math.max(0, deadline - Date.now()),
      );
      const startHeadersTimer = (): void => {
        headersTimer = setTimeout(() => {
          if (head === null) finish({ error: failure(HEADERS_TIMEOUT_CODE, `no response head within ${request.headersTimeoutMs} ms`) }, true);
        }, request.headersTimeoutMs);
      };

      try {
        req = (tls ? httpsRequest : httpRequest)({
          agent: tls ? this.#https : this.#http,
          protocol: url.protocol,
          hostname: url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname,
          port: url.port === "" ? (tls ? 443 : 80) : Number(url.port),
          path: `${url.pathname}${url.search}`,
          method: request.method,
          headers,
          maxHeaderSize: 16 * 1024,
        });
      } catch (error) {
        // Invalid header names or values (ERR_INVALID_HTTP_TOKEN, ERR_INVALID_CHAR): nothing was sent.
        clearTimeout(totalTimer);
        return reject(error);
      }
      this.#waiting.set(req, (error) => finish({ error }, true));

      req.on("socket", (socket: Socket) => {
        this.#waiting.delete(req);
        if (settled) return;
        if (req.reusedSocket) return startHeadersTimer();
        connectTimer = setTimeout(
          () => finish({ error: failure(CONNECT_TIMEOUT_CODE, `connecting to ${url.host} took longer than ${this.#options.connectTimeoutMs} ms`) }, true),
          this.#options.connectTimeoutMs,
        );
        socket.once(tls ? "secureConnect" : "connect", () => {
          clearTimeout(connectTimer);
          if (!settled) startHeadersTimer();
        });
      });
      req.on("error", (error: NodeJS.ErrnoException) => {
        if (response !== null) return; // the response's own events decide
        const code = error.code;
        if (typeof code === "string" && code.startsWith("HPE_")) return finish({ error: failure(BAD_RESPONSE_CODE, `bad response from ${url.host}: ${code} ${error.message}`) }, true);
        // Nothing came back on a socket that served before: the peer had closed it while idle.
        if (req.reusedSocket && (code === "ECONNRESET" || code === "EPIPE")) Object.assign(error, { stale: true });
        finish({ error }, true);
      });
      req.on("response", (res: IncomingMessage) => {
        response = res;
        clearTimeout(headersTimer);
        head = { status: res.statusCode!, headers: fieldMap(res.rawHeaders) };
        res.on("error", () => undefined); // 'close' reports a cut-off body
        const declared = head.headers.get("content-length");
        // Announced beyond the cap: not worth reading at all.
        if (declared !== undefined && Number(declared) > request.maxBodyBytes) return finish({ response: answered("too-large") }, true);
        res.on("data", (chunk: Buffer) => {
          received += chunk.length;
          if (received > request.maxBodyBytes) finish({ response: answered("too-large") }, true);
          else chunks?.push(chunk);
        });
        res.on("end", () => finish({ response: answered("complete") }, false));
        res.on("close", () => finish({ response: answered(res.complete ? "complete" : "cut-off") }, !res.complete));
      });
      if (request.signal?.aborted) return onAbort();
      request.signal?.addEventListener("abort", onAbort, { once: true });
      req.end(request.body ?? undefined);
    });
  }
}

function failure(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

/** Lower-case names; repeated fields joined with ", " (as http1-parser.ts does). */
function fieldMap(raw: readonly string[]): Map<string, string> {
  const fields = new Map<string, string>();
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const previous = fields.get(name);
    fields.set(name, previous === undefined ? raw[i + 1]! : `${previous}, ${raw[i + 1]!}`);
  }
  return fields;
}
