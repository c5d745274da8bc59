import { connect as netConnect, isIP, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import type { AddressPolicy } from "./address-policy.ts";
import { BadResponseError, ResponseParser, type ResponseHead } from "./http1-parser.ts";
import { defaultLookup, resolveAllowed, TRY_NEXT_ADDRESS, type LookupFn } from "./resolve-allowed.ts";

/**
 * Herold's HTTP/1.1 client: every delivery (thousands of signed POSTs per post) and every fetch
 * (safe-fetch.ts, through guarded-client.ts) goes through it.
 *
 * Why not undici: a delivery needs one request written in one syscall and a status line read
 * back; undici's general machinery (dispatcher chain, WASM parser, body streams, per-request abort
 * plumbing) cost about as much CPU per delivery as the RSA signature, most of the garbage of a
 * fan-out (`npm run bench -- fanout`), and about 20 MB of resident memory once loaded.
 *
 * - Every connection passes the address policy (resolve-allowed.ts): resolved once, every address
 *   checked, the socket connects to a checked address; TLS verifies the certificate for the name.
 * - Kept-alive connections pooled per origin, at most `connectionsPerOrigin` each (further requests
 *   wait), idle ones closed after `keepAliveTimeoutMs` (or the peer's shorter `Keep-Alive` hint)
 *   and beyond `maxIdleSockets` in total, so a fan-out to thousands of servers cannot pin thousands
 *   of file descriptors.
 * - Deadlines: connect (resolution included), response head after the request was written, total.
 * - A reused connection that the peer closed while idle fails before any byte of an answer: the
 *   request is sent once more on a new connection (activities are idempotent by id; receivers
 *   deduplicate).
 * - The response body is counted, never kept; beyond `maxBodyBytes` the connection is dropped. A
 *   peer that answered and then stalls, overflows or cuts the body off has still answered.
 */
export interface Http1ClientOptions {
  readonly addressPolicy: AddressPolicy;
  /** Defaults to node:dns `lookup` with `all: true`. */
  readonly lookup?: LookupFn;
  /** Bounds name resolution plus TCP/TLS connect. */
  readonly connectTimeoutMs: number;
  readonly connectionsPerOrigin: number;
  /** Idle keep-alive sockets are closed after this long (default 10 s). */
  readonly keepAliveTimeoutMs?: number;
  /** Idle sockets kept across all origins (default 256); the longest idle are closed first. */
  readonly maxIdleSockets?: number;
  /** Extra trusted CA certificates (PEM) instead of Node's bundled roots; for tests. */
  readonly ca?: string | readonly string[];
}

export interface Http1Request {
  readonly url: URL;
  /** Upper case (`POST`, `GET`, `HEAD` …). */
  readonly method: string;
  /** Lower-case names. `host`, `content-length` and `connection` are set by the client. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer | null;
  /** From the request written to the complete response head. */
  readonly headersTimeoutMs: number;
  /** The whole exchange, connecting included. */
  readonly totalTimeoutMs: number;
  readonly maxBodyBytes: number;
  /** Keep the response body (`bytes`); by default it is only counted. */
  readonly collectBody?: boolean;
  /** Aborts the exchange (the connection is dropped); rejects with code ABORT_ERR. */
  readonly signal?: AbortSignal;
}

export interface Http1Response extends ResponseHead {
  /** How the body ended: read whole, dropped beyond the cap, cut off by the peer, or out of time. */
  readonly body: "complete" | "too-large" | "cut-off" | "timeout";
  /** The body as received (not decoded), when `collectBody` was set and it is complete; else empty. */
  readonly bytes: Buffer;
}

/** Error codes besides the system's (ECONNREFUSED …), FORBIDDEN_ADDRESS_CODE and BAD_RESPONSE_CODE. */
export const CONNECT_TIMEOUT_CODE = "HEROLD_CONNECT_TIMEOUT";
export const HEADERS_TIMEOUT_CODE = "HEROLD_HEADERS_TIMEOUT";
export const TOTAL_TIMEOUT_CODE = "HEROLD_TOTAL_TIMEOUT";
export const CLIENT_CLOSED_CODE = "HEROLD_CLIENT_CLOSED";

const MAX_HEAD_BYTES = 16 * 1024;

function failure(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

/** One socket and the exchange currently using it. */
interface Connection {
  readonly socket: Socket;
  readonly origin: Origin;
  /** Requests answered on this socket so far. */
  served: number;
  exchange: Exchange | null;
  idleTimer: NodeJS.Timeout | null;
  keepAliveMs: number;
  closed: boolean;
  /** The socket's last error, reported when it closes. */
  error: Error | undefined;
}

interface Exchange {
  onData(chunk: Buffer): void;
  onClose(error: Error | undefined): void;
}

interface Origin {
  readonly key: string;
  readonly url: URL;
  readonly idle: Connection[];
  open: number;
  readonly waiters: Array<() => void>;
}

export class Http1Client {
  readonly #options: Http1ClientOptions;
  readonly #lookup: LookupFn;
  readonly #origins = new Map<string, Origin>();
  /** Idle connections of every origin, longest idle first. */
  readonly #idle = new Set<Connection>();
  /** Every open connection, for `destroy`. */
  readonly #connections = new Set<Connection>();
  #closed = false;

  constructor(options: Http1ClientOptions) {
    this.#options = options;
    this.#lookup = options.lookup ?? defaultLookup;
  }

  /** Sends one request. Rejects (with a `code`) when no response head arrived. */
  async request(request: Http1Request): Promise<Http1Response> {
    const deadline = Date.now() + request.totalTimeoutMs;
    const head = this.#serialise(request);
    const origin = this.#origin(request.url);
    const connection = await this.#acquire(origin, deadline, false);
    try {
      return await this.#exchange(connection, head, request, deadline);
    } catch (error) {
      // A kept-alive socket the peer closed meanwhile: send once more, on a new connection (the
      // other idle ones to this peer are probably closed too).
      if ((error as { stale?: boolean }).stale !== true || Date.now() >= deadline) throw error;
      return await this.#exchange(await this.#acquire(this.#origin(request.url), deadline, true), head, request, deadline);
    }
  }

  /** Closes idle connections, fails waiting requests, and lets busy ones finish. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const connection of [...this.#idle]) this.#destroy(connection);
    for (const origin of this.#origins.values()) for (const wake of origin.waiters.splice(0)) wake();
  }

  /** Like `close`, and drops busy connections too (their requests fail). */
  async destroy(): Promise<void> {
    await this.close();
    for (const connection of [...this.#connections]) this.#destroy(connection);
  }

  #serialise(request: Http1Request): Buffer {
    const { url } = request;
    let head = `${request.method} ${url.pathname}${url.search} HTTP/1.1\r\nhost: ${url.host}\r\n`;
    for (const [name, value] of Object.entries(request.headers)) {
      if (name === "host" || name === "content-length" || name === "connection") continue;
      // Names are tokens; values are sent as Latin-1 (RFC 9110 field values), so nothing else may pass.
      if (!/^[!#$%&'*+\-.^_`|~0-9a-z]+$/.test(name) || /[^\t\x20-\x7e\x80-\xff]/.test(value)) {
        throw new TypeError(`header ${JSON.stringify(name)} is not a valid field`);
      }
      head += `${name}: ${value}\r\n`;
    }
    if (request.body !== null || request.method === "POST" || request.method === "PUT") head += `content-length: ${request.body?.length ?? 0}\r\n`;
    head += "connection: keep-alive\r\n\r\n";
    const bytes = Buffer.from(head, "latin1");
    return request.body === null ? bytes : Buffer.concat([bytes, request.body]);
  }

  #origin(url: URL): Origin {
    const key = `${url.protocol}//${url.host}`;
    let origin = this.#origins.get(key);
    if (origin === undefined) {
      origin = { key, url: new URL(key), idle: [], open: 0, waiters: [] };
      this.#origins.set(key, origin);
    }
    return origin;
  }

  async #acquire(origin: Origin, deadline: number, fresh: boolean): Promise<Connection> {
    if (fresh) for (const idle of origin.idle.splice(0)) this.#destroy(idle);
    for (;;) {
      if (this.#closed) throw failure(CLIENT_CLOSED_CODE, "the HTTP client is closed");
      const idle = origin.idle.pop();
      if (idle !== undefined) {
        this.#idle.delete(idle);
        if (idle.idleTimer !== null) clearTimeout(idle.idleTimer);
        idle.idleTimer = null;
        if (!idle.closed) return idle;
        continue;
      }
      if (origin.open < this.#options.connectionsPerOrigin) {
        origin.open++;
        try {
          return await this.#connect(origin, deadline);
        } catch (error) {
          this.#released(origin);
          throw error;
        }
      }
      await this.#wait(origin, deadline);
    }
  }

  #wait(origin: Origin, deadline: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const index = origin.waiters.indexOf(wake);
        if (index >= 0) origin.waiters.splice(index, 1);
        reject(failure(TOTAL_TIMEOUT_CODE, `no free connection to ${origin.key} before the deadline`));
      }, Math.max(0, deadline - Date.now()));
      const wake = (): void => {
        clearTimeout(timer);
        resolve();
      };
      origin.waiters.push(wake);
    });
  }

  /** A connection of `origin` went away: one more may be opened. An origin with nothing left is forgotten. */
  #released(origin: Origin): void {
    origin.open--;
    const waiter = origin.waiters.shift();
    if (waiter !== undefined) waiter();
    else if (origin.open === 0 && origin.idle.length === 0 && this.#origins.get(origin.key) === origin) this.#origins.delete(origin.key);
  }

  async #connect(origin: Origin, deadline: number): Promise<Connection> {
    const { url } = origin;
    const tls = url.protocol === "https:";
    const port = url.port !== "" ? Number(url.port) : tls ? 443 : 80;
    const hostname = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
    const budget = Math.max(1, Math.min(this.#options.connectTimeoutMs, deadline - Date.now()));
    const started = Date.now();
    const addresses = await resolveAllowed(hostname, port, this.#options.addressPolicy, this.#lookup, budget, (message) =>
      failure(CONNECT_TIMEOUT_CODE, message),
    );
    let lastError: unknown;
    for (const address of addresses) {
      const left = budget - (Date.now() - started);
      if (left <= 0) break;
      try {
        const socket = await this.#open(address, port, tls ? hostname : null, left);
        return this.#adopt(origin, socket);
      } catch (error) {
        lastError = error;
        const code = (error as NodeJS.ErrnoException).code;
        if (code === undefined || !TRY_NEXT_ADDRESS.has(code)) throw error;
      }
    }
    throw lastError ?? failure(CONNECT_TIMEOUT_CODE, `connecting to ${url.host} took longer than ${budget} ms`);
  }

  #open(address: string, port: number, tlsName: string | null, timeoutMs: number): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const ca = this.#options.ca;
      const socket =
        tlsName === null
          ? netConnect({ host: address, port })
          : tlsConnect({
              host: address,
              port,
              // The certificate is verified for the name; SNI only for names, never for literal IPs.
              ...(isIP(tlsName) === 0 ? { servername: tlsName } : {}),
              ALPNProtocols: ["http/1.1"],
              ...(ca !== undefined ? { ca: typeof ca === "string" ? ca : [...ca] } : {}),
            });
      const timer = setTimeout(() => socket.destroy(failure(CONNECT_TIMEOUT_CODE, `connecting to ${address}:${port} took longer than ${timeoutMs} ms`)), timeoutMs);
      const onError = (error: Error): void => {
        clearTimeout(timer);
        socket.destroy();
        reject(error);
      };
      socket.once("error", onError);
      socket.once(tlsName === null ? "connect" : "secureConnect", () => {
        clearTimeout(timer);
        socket.off("error", onError);
        resolve(socket);
      });
    });
  }

  #adopt(origin: Origin, socket: Socket): Connection {
    socket.setNoDelay(true);
    const connection: Connection = {
      socket,
      origin,
      served: 0,
      exchange: null,
      idleTimer: null,
      keepAliveMs: this.#options.keepAliveTimeoutMs ?? 10_000,
      closed: false,
      error: undefined,
    };
    socket.on("data", (chunk: Buffer) => {
      if (connection.exchange !== null) connection.exchange.onData(chunk);
      else this.#destroy(connection); // bytes nobody asked for: never reuse this socket
    });
    // 'close' follows every error and reports the outcome to the exchange.
    socket.on("error", (error: Error) => {
      connection.error = error;
    });
    this.#connections.add(connection);
    socket.on("close", (hadError: boolean) => {
      connection.closed = true;
      this.#connections.delete(connection);
      if (connection.idleTimer !== null) clearTimeout(connection.idleTimer);
      const index = origin.idle.indexOf(connection);
      if (index >= 0) origin.idle.splice(index, 1);
      this.#idle.delete(connection);
      connection.exchange?.onClose(hadError ? connection.error : undefined);
      this.#released(origin);
    });
    return connection;
  }

  #destroy(connection: Connection): void {
    connection.socket.destroy();
  }

  #exchange(connection: Connection, head: Buffer, request: Http1Request, deadline: number): Promise<Http1Response> {
    return new Promise((resolve, reject) => {
      const parser = new ResponseParser({
        maxHeadBytes: MAX_HEAD_BYTES,
        maxBodyBytes: request.maxBodyBytes,
        headRequest: request.method === "HEAD",
        collect: request.collectBody === true,
      });
      const reused = connection.served > 0;
      let settled = false;
      const finish = (outcome: { response: Http1Response } | { error: Error }, keep: boolean): void => {
        if (settled) return;
        settled = true;
        clearTimeout(headersTimer);
        clearTimeout(totalTimer);
        request.signal?.removeEventListener("abort", onAbort);
        connection.exchange = null;
        if (keep) this.#keep(connection, parser.keepAliveHintMs);
        else if (!connection.closed) this.#destroy(connection);
        if ("response" in outcome) resolve(outcome.response);
        else reject(outcome.error);
      };
      const answered = (body: Http1Response["body"]): Http1Response => ({ ...parser.head!, body, bytes: body === "complete" ? parser.body : Buffer.alloc(0) });
      const onAbort = (): void => finish({ error: failure("ABORT_ERR", "the request was aborted") }, false);
      const headersTimer = setTimeout(() => {
        if (parser.head === null) finish({ error: failure(HEADERS_TIMEOUT_CODE, `no response head within ${request.headersTimeoutMs} ms`) }, false);
      }, request.headersTimeoutMs);
      const totalTimer = setTimeout(
        () =>
          finish(
            parser.head === null ? { error: failure(TOTAL_TIMEOUT_CODE, "no response within the total deadline") } : { response: answered("timeout") },
            false,
          ),
        Math.max(0, deadline - Date.now()),
      );
      connection.exchange = {
        onData: (chunk) => {
          try {
            parser.feed(chunk);
          } catch (error) {
            finish({ error: error as BadResponseError }, false);
            return;
          }
          if (parser.tooLarge) finish({ response: answered("too-large") }, false);
          else if (parser.complete) {
            connection.served++;
            finish({ response: answered("complete") }, parser.reusable && !this.#closed);
          }
        },
        onClose: (error) => {
          if (parser.end()) return finish({ response: answered("complete") }, false);
          if (parser.head !== null) return finish({ response: answered("cut-off") }, false);
          const cause = error ?? failure("ECONNRESET", "the peer closed the connection before answering");
          // Nothing arrived on a socket that served before: the peer had closed it while idle.
          if (reused && !parser.received) Object.assign(cause, { stale: true });
          finish({ error: cause }, false);
        },
      };
      if (request.signal?.aborted) return onAbort();
      request.signal?.addEventListener("abort", onAbort, { once: true });
      connection.socket.write(head);
    });
  }

  /** Parks a connection after a complete, reusable exchange. */
  #keep(connection: Connection, hintMs: number | null): void {
    const { origin } = connection;
    // The origin may have been forgotten while this exchange ran (its other connections closed).
    const current = this.#origins.get(origin.key);
    if (current === undefined) this.#origins.set(origin.key, origin);
    else if (current !== origin) return this.#destroy(connection);
    if (hintMs !== null) connection.keepAliveMs = Math.min(connection.keepAliveMs, Math.max(0, hintMs - 1000));
    if (connection.keepAliveMs <= 0 || connection.closed) return this.#destroy(connection);
    const waiter = origin.waiters.shift();
    origin.idle.push(connection);
    this.#idle.add(connection);
    connection.idleTimer = setTimeout(() => this.#destroy(connection), connection.keepAliveMs);
    connection.idleTimer.unref();
    const max = this.#options.maxIdleSockets ?? 256;
    for (const oldest of this.#idle) {
      if (this.#idle.size <= max) break;
      this.#destroy(oldest);
      this.#idle.delete(oldest);
    }
    waiter?.();
  }
}
