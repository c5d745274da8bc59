/**
 * The guarded HTTP client every outgoing fetch uses (`safeFetch`), with the same guard as deliveries:
 * one Http1Client (http1-client.ts) under the address policy.
 *
 * Threats:
 * - SSRF through names (docs/research/hostile-inputs.md case 12): a remote name can resolve to 127.0.0.1, 10.x or the
 *   metadata service. The client resolves the name itself and refuses the connection if ANY resolved
 *   address is forbidden (a mixed answer is a probe, not a misconfiguration).
 * - DNS rebinding: checking a name and then letting the socket resolve it again lets a short-TTL record
 *   answer "public" to the check and "private" to the connect. Here the socket connects to the exact
 *   address that was checked; there is no second resolution. TLS still verifies the certificate for
 *   the name (SNI = name) and the Host header stays the name.
 * - Slow peers holding our sockets: connect and header timeouts bound those stages; the caller's
 *   total deadline (safe-fetch.ts) bounds the whole exchange, body included.
 *
 * Connections are kept alive and pooled per origin (docs/research/limits.md: a new TLS handshake per request costs
 * about 4x), with at most `connectionsPerOrigin` sockets to one peer. HTTP/1.1 only: one protocol
 * stack, written here, is one parser facing hostile peers (http1-parser.ts). undici served here
 * until it turned out to add about 20 MB to every process that fetched anything.
 */
import type { AddressEndpoint, AddressPolicy } from "./address-policy.ts";
import { Http1Client } from "./http1-client.ts";
import type { LookupFn } from "./resolve-allowed.ts";

export { FORBIDDEN_ADDRESS_CODE, ForbiddenAddressError, type LookupAddress, type LookupFn } from "./resolve-allowed.ts";

export interface GuardedHttpClientOptions {
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
  /**
   * Exact address:port pairs reachable although their address is forbidden. For tests that must reach
   * one loopback listener while everything else stays refused; never set from production configuration.
   */
  readonly allowedEndpoints?: readonly AddressEndpoint[];
  /** Extra trusted CA certificates (PEM) instead of Node's bundled roots; for tests and private test networks. */
  readonly ca?: string | readonly string[];
}

/** The guarded client and its policy. Create it with `createGuardedHttpClient`. */
export class GuardedHttpClient {
  /** The policy every connection passes; `safeFetch` applies the same one to literal-IP URLs up front. */
  readonly addressPolicy: AddressPolicy;
  readonly client: Http1Client;
  readonly headersTimeoutMs: number;

  constructor(options: GuardedHttpClientOptions) {
    this.addressPolicy = { allowPrivateAddress: options.allowPrivateAddress, allowedEndpoints: options.allowedEndpoints ?? [] };
    this.headersTimeoutMs = options.headersTimeoutMs ?? 10_000;
    this.client = new Http1Client({
      addressPolicy: this.addressPolicy,
      connectTimeoutMs: options.connectTimeoutMs,
      connectionsPerOrigin: options.connectionsPerOrigin,
      ...(options.lookup !== undefined ? { lookup: options.lookup } : {}),
      ...(options.keepAliveTimeoutMs !== undefined ? { keepAliveTimeoutMs: options.keepAliveTimeoutMs } : {}),
      ...(options.ca !== undefined ? { ca: options.ca } : {}),
    });
  }

  /** Lets in-flight requests finish, then closes the pooled connections. */
  close(): Promise<void> {
    return this.client.close();
  }

  /** Closes every connection at once. */
  destroy(): Promise<void> {
    return this.client.destroy();
  }
}

export function createGuardedHttpClient(options: GuardedHttpClientOptions): GuardedHttpClient {
  return new GuardedHttpClient(options);
}
