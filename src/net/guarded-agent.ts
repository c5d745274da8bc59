/**
 * The one undici dispatcher every outgoing fetch uses (deliveries have their own client with the same
 * guard, http1-client.ts).
 *
 * Threats:
 * - SSRF through names (hostile-inputs.md case 12): a remote name can resolve to 127.0.0.1, 10.x or the
 *   metadata service. The connector resolves the name itself and refuses the connection if ANY resolved
 *   address is forbidden (a mixed answer is a probe, not a misconfiguration).
 * - DNS rebinding: checking a name and then letting the socket resolve it again lets a short-TTL record
 *   answer "public" to the check and "private" to the connect. Here the socket connects to the exact
 *   address that was checked; there is no second resolution. TLS still verifies the certificate for
 *   the name (SNI = name) and the Host header stays the name.
 * - Slow peers holding our sockets: connect, header and body-idle timeouts bound each stage; the
 *   caller's total deadline (safe-fetch.ts) bounds the whole exchange.
 *
 * Connections are kept alive and pooled per origin (limits.md: a new TLS handshake per delivery costs
 * about 4x), with at most `connectionsPerOrigin` sockets to one peer. HTTP/1.1 only: it is what the
 * delivery rates in limits.md were measured with, and one more protocol stack is one more parser
 * facing hostile peers.
 *
 * undici is loaded on the first fetch, not at start-up: it adds about 20 MB to a process's resident
 * memory, and a worker that only delivers never fetches.
 */
import { isIP } from "node:net";
import type { Agent, buildConnector, Dispatcher } from "undici";
import type { AddressEndpoint, AddressPolicy } from "./address-policy.ts";
import { defaultLookup, resolveAllowed, TRY_NEXT_ADDRESS, type LookupFn } from "./resolve-allowed.ts";

export { FORBIDDEN_ADDRESS_CODE, ForbiddenAddressError, type LookupAddress, type LookupFn } from "./resolve-allowed.ts";

export interface GuardedAgentOptions {
  /** Dev/test only: allow loopback and private addresses (config `allowPrivateAddress`). */
  readonly allowPrivateAddress: boolean;
  /** Defaults to node:dns `lookup` with `all: true`. */
  readonly lookup?: LookupFn;
  /** Bounds name resolution plus TCP/TLS connect. */
  readonly connectTimeoutMs: number;
  readonly connectionsPerOrigin: number;
  /** Idle keep-alive sockets are closed after this long (default 10 s; a peer's Keep-Alive hint can shorten it). */
  readonly keepAliveTimeoutMs?: number;
  /** Time from sending the request to the complete response headers (default 10 s). */
  readonly headersTimeoutMs?: number;
  /** Longest gap between two body chunks (default 10 s). The total deadline is the caller's. */
  readonly bodyTimeoutMs?: number;
  /**
   * Exact address:port pairs reachable although their address is forbidden. For tests that must reach
   * one loopback listener while everything else stays refused; never set from production configuration.
   */
  readonly allowedEndpoints?: readonly AddressEndpoint[];
  /** Extra trusted CA certificates (PEM) instead of Node's bundled roots; for tests and private test networks. */
  readonly ca?: string | readonly string[];
}

type Undici = typeof import("undici");
let undiciLoaded: Promise<Undici> | undefined;
/** undici, imported once on first use. */
export const loadUndici = (): Promise<Undici> => (undiciLoaded ??= import("undici"));

/** The guarded undici Agent, created on first use. Create it with `createGuardedAgent`. */
export class GuardedAgent {
  /** The policy the connector enforces; `safeFetch` applies the same one to literal-IP URLs up front. */
  readonly addressPolicy: AddressPolicy;
  readonly #options: GuardedAgentOptions;
  #agent: Promise<Agent> | undefined;

  constructor(options: GuardedAgentOptions) {
    this.#options = options;
    this.addressPolicy = { allowPrivateAddress: options.allowPrivateAddress, allowedEndpoints: options.allowedEndpoints ?? [] };
  }

  /** The undici dispatcher (loads undici on the first call). */
  dispatcher(): Promise<Dispatcher> {
    return (this.#agent ??= loadUndici().then((undici) => this.#build(undici)));
  }

  /** Lets in-flight requests finish, then closes the pooled connections. */
  async close(): Promise<void> {
    if (this.#agent !== undefined) await (await this.#agent).close();
  }

  /** Closes every connection at once. */
  async destroy(): Promise<void> {
    if (this.#agent !== undefined) await (await this.#agent).destroy();
  }

  #build(undici: Undici): Agent {
    const options = this.#options;
    const inner = undici.buildConnector({
      timeout: options.connectTimeoutMs,
      allowH2: false,
      ...(options.ca !== undefined ? { ca: typeof options.ca === "string" ? options.ca : [...options.ca] } : {}),
    });
    // undici's own error type, so callers classify a slow resolution like a slow connect.
    const connectTimeout = (message: string): Error => new undici.errors.ConnectTimeoutError(message);
    return new undici.Agent({
      connect: guardedConnector(inner, this.addressPolicy, options.lookup ?? defaultLookup, options.connectTimeoutMs, connectTimeout),
      connections: options.connectionsPerOrigin,
      keepAliveTimeout: options.keepAliveTimeoutMs ?? 10_000,
      // A peer's Keep-Alive hint may shorten idle time but not stretch it: during a fan-out to thousands
      // of servers, idle sockets held for minutes would exhaust file descriptors.
      keepAliveMaxTimeout: options.keepAliveTimeoutMs ?? 10_000,
      headersTimeout: options.headersTimeoutMs ?? 10_000,
      bodyTimeout: options.bodyTimeoutMs ?? 10_000,
      allowH2: false,
    });
  }
}

export function createGuardedAgent(options: GuardedAgentOptions): GuardedAgent {
  return new GuardedAgent(options);
}


function guardedConnector(
  inner: buildConnector.connector,
  policy: AddressPolicy,
  lookup: LookupFn,
  timeoutMs: number,
  connectTimeout: (message: string) => Error,
): buildConnector.connector {
  return (options, callback) => {
    const hostname = options.hostname;
    const port = options.port ? Number(options.port) : options.protocol === "https:" ? 443 : 80;
    resolveAllowed(hostname, port, policy, lookup, timeoutMs, connectTimeout).then(
      (addresses) => attempt(addresses, 0),
      (error: unknown) => callback(error instanceof Error ? error : new Error(String(error)), null),
    );

    function attempt(addresses: readonly string[], index: number): void {
      const address = addresses[index]!;
      inner(
        {
          ...options,
          hostname: address,
          // TLS verifies the certificate for the name we were asked for, not for the address.
          // Plain http needs no name at the socket level: the Host header carries it.
          servername: options.protocol === "https:" && isIP(hostname) === 0 ? hostname : undefined,
        },
        (error, socket) => {
          if (error !== null) {
            const code = (error as NodeJS.ErrnoException).code;
            if (code !== undefined && TRY_NEXT_ADDRESS.has(code) && index + 1 < addresses.length) {
              attempt(addresses, index + 1);
              return;
            }
            callback(error, null);
            return;
          }
          callback(null, socket!);
        },
      );
    }
  };
}
