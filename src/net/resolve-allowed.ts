import { lookup as dnsLookup } from "node:dns/promises";
import { isIP } from "node:net";
import { isAddressAllowed, type AddressPolicy } from "./address-policy.ts";

/**
 * Name resolution under the address policy, for the HTTP/1.1 client (fetches and deliveries): a name
 * is resolved once, every address it resolves to must be allowed, and the client connects to exactly
 * those addresses (no second resolution, so no DNS rebinding between check and connect).
 */
export interface LookupAddress {
  readonly address: string;
  readonly family: number;
}

/** Resolves a host name to all its addresses. Injectable so tests never touch real DNS. */
export type LookupFn = (hostname: string) => Promise<readonly LookupAddress[]>;

export const defaultLookup: LookupFn = (hostname) => dnsLookup(hostname, { all: true });

/** Code of the error a refused connection fails with (seen by callers as the request error). */
export const FORBIDDEN_ADDRESS_CODE = "HEROLD_FORBIDDEN_ADDRESS";

/** A connection refused by the address policy. `safeFetch` turns it into a `forbidden-address` result. */
export class ForbiddenAddressError extends Error {
  override name = "ForbiddenAddressError";
  readonly code = FORBIDDEN_ADDRESS_CODE;
  readonly hostname: string;
  readonly address: string;
  constructor(hostname: string, address: string) {
    super(
      hostname === address
        ? `connection to ${address} refused: address not allowed`
        : `connection to ${hostname} refused: it resolves to ${address}, which is not allowed`,
    );
    this.hostname = hostname;
    this.address = address;
  }
}

/** Connection errors after which the next checked address is worth trying (the first may be an unreachable IPv6). */
export const TRY_NEXT_ADDRESS: ReadonlySet<string> = new Set(["ECONNREFUSED", "EHOSTUNREACH", "ENETUNREACH", "EADDRNOTAVAIL", "EAFNOSUPPORT"]);

/**
 * Resolves `hostname` once and returns its addresses if every one of them is allowed. Resolution is
 * bounded by `timeoutMs` (getaddrinfo can hang); `timeoutError` makes the error the caller's stack expects.
 */
export async function resolveAllowed(
  hostname: string,
  port: number,
  policy: AddressPolicy,
  lookup: LookupFn,
  timeoutMs: number,
  timeoutError: (message: string) => Error,
): Promise<readonly string[]> {
  if (isIP(hostname) !== 0) {
    if (!isAddressAllowed(policy, hostname, port)) throw new ForbiddenAddressError(hostname, hostname);
    return [hostname];
  }
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timeoutError(`resolving ${hostname} (port ${port}) took longer than ${timeoutMs} ms`)), timeoutMs);
  });
  const answers = await Promise.race([lookup(hostname), timeout]).finally(() => clearTimeout(timer));
  if (answers.length === 0) {
    throw Object.assign(new Error(`${hostname} has no addresses`), { code: "ENOTFOUND", hostname });
  }
  const addresses: string[] = [];
  for (const answer of answers) {
    if (!isAddressAllowed(policy, answer.address, port)) throw new ForbiddenAddressError(hostname, answer.address);
    if (!addresses.includes(answer.address)) addresses.push(answer.address);
  }
  return addresses;
}
