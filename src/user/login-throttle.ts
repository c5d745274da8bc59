import { createHmac } from "node:crypto";
import type { Clock } from "../lib/time.ts";

/**
 * Sign-in rate limit, in memory only (client addresses must never reach the database).
 *
 * Two independent throttles, both counting FAILED attempts in a sliding window:
 * - per sign-in name: key `name:` + the name normalised (NFKC, trimmed, lower case), so
 *   `Owner@Example.org ` and `owner@example.org` share one counter (rate-limit key confusion,
 *   Mastodon CVE-2025-54879). UserService passes a known person's e-mail address whichever of their
 *   names was typed, so e-mail and sign-in name share one counter too; unknown names are counted as
 *   typed, so probing them costs the same;
 * - per client: key `client:` + HMAC(instance secret, client address): the TCP peer address as Node
 *   sees it. Behind a reverse proxy that is the proxy, so this throttle then limits the whole proxy
 *   and the per-name throttle does the real work. The address is kept only as a keyed hash.
 * A success clears the name's counter (not the client's: one valid account must not launder
 * guesses at others). Blocked attempts are refused before the password is checked.
 */
export interface ThrottleLimits {
  readonly max: number;
  readonly windowMs: number;
}

export interface LoginThrottleOptions {
  readonly perName?: ThrottleLimits;
  readonly perClient?: ThrottleLimits;
  /** Keys remembered at most (oldest dropped first), so a flood cannot grow memory without bound. */
  readonly maxKeys?: number;
}

export type ThrottleDecision = { readonly allowed: true } | { readonly allowed: false; readonly retryAfterSeconds: number; readonly key: "name" | "client" };

export class LoginThrottle {
  readonly #clock: Clock;
  readonly #secret: Buffer;
  readonly #perName: ThrottleLimits;
  readonly #perClient: ThrottleLimits;
  readonly #maxKeys: number;
  readonly #failures = new Map<string, number[]>();

  constructor(clock: Clock, secret: Buffer, options: LoginThrottleOptions = {}) {
    this.#clock = clock;
    this.#secret = secret;
    this.#perName = options.perName ?? { max: 5, windowMs: 15 * 60_000 };
    this.#perClient = options.perClient ?? { max: 30, windowMs: 15 * 60_000 };
    this.#maxKeys = options.maxKeys ?? 100_000;
  }

  static nameKey(login: string): string {
    return `name:${login.normalize("NFKC").trim().toLowerCase()}`;
  }

  clientKey(address: string): string {
    return `client:${createHmac("sha256", this.#secret).update(`throttle\0${address}`).digest("base64url").slice(0, 22)}`;
  }

  check(login: string, clientAddress: string): ThrottleDecision {
    const name = this.#state(LoginThrottle.nameKey(login), this.#perName);
    if (name !== null) return { allowed: false, retryAfterSeconds: name, key: "name" };
    const client = this.#state(this.clientKey(clientAddress), this.#perClient);
    if (client !== null) return { allowed: false, retryAfterSeconds: client, key: "client" };
    return { allowed: true };
  }

  recordFailure(login: string, clientAddress: string): void {
    const now = this.#clock.now().getTime();
    for (const key of [LoginThrottle.nameKey(login), this.clientKey(clientAddress)]) {
      const list = this.#failures.get(key) ?? [];
      list.push(now);
      this.#failures.delete(key); // re-insert: Map order is our LRU order
      this.#failures.set(key, list);
    }
    while (this.#failures.size > this.#maxKeys) this.#failures.delete(this.#failures.keys().next().value!);
  }

  recordSuccess(login: string): void {
    this.#failures.delete(LoginThrottle.nameKey(login));
  }

  /** Seconds until the key may try again, or null when it may try now. */
  #state(key: string, limits: ThrottleLimits): number | null {
    const list = this.#failures.get(key);
    if (list === undefined) return null;
    const now = this.#clock.now().getTime();
    const recent = list.filter((t) => now - t < limits.windowMs);
    if (recent.length === 0) {
      this.#failures.delete(key);
      return null;
    }
    if (recent.length !== list.length) this.#failures.set(key, recent);
    if (recent.length < limits.max) return null;
    return Math.max(1, Math.ceil((recent[recent.length - limits.max]! + limits.windowMs - now) / 1000));
  }
}
