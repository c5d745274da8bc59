import { createHmac } from "node:crypto";
import type { Clock } from "../lib/time.ts";

/**
 * Sign-in rate limit, in memory only (client addresses must never reach the database).
 *
 * Two independent throttles, both counting attempts in a sliding window:
 * - per sign-in name: key `name:` + the name normalised (NFKC, trimmed, lower case), so
 *   `Owner@Example.org ` and `owner@example.org` share one counter (rate-limit key confusion,
 *   Mastodon CVE-2025-54879). UserService passes a known person's e-mail address whichever of their
 *   names was typed, so e-mail and sign-in name share one counter too; unknown names are counted as
 *   typed, so probing them costs the same;
 * - per client: key `client:` + HMAC(instance secret, client address): the TCP peer address as Node
 *   sees it. Behind a reverse proxy that is the proxy, so this throttle then limits the whole proxy
 *   and the per-name throttle does the real work. The address is kept only as a keyed hash.
 *
 * An attempt is counted when it is *reserved*, before the password is hashed (issue #10: counting
 * after the check let 45 parallel guesses all pass it). A failure keeps its reservation; a success
 * gives its own back and clears the name's earlier failures *from the same client* only, so a person
 * signing in cannot wipe what a guesser elsewhere has run up (and the client's counter is never
 * cleared: one valid account must not launder guesses at others).
 *
 * Password hashing is expensive (Argon2id, 19 MiB each), so the hashes in flight are bounded too: per
 * name, per client and in total. An attempt beyond a bound is refused at once ("busy") instead of
 * queueing more work on the thread pool.
 */
export interface ThrottleLimits {
  readonly max: number;
  readonly windowMs: number;
}

export interface LoginThrottleOptions {
  readonly perName?: ThrottleLimits;
  readonly perClient?: ThrottleLimits;
  /** Password checks in flight at once for one name or one client. */
  readonly inFlightPerKey?: number;
  /** Password checks in flight at once in this process. */
  readonly inFlightTotal?: number;
  /** Keys remembered at most (oldest dropped first), so a flood cannot grow memory without bound. */
  readonly maxKeys?: number;
}

/** One reserved attempt: settle it exactly once, when the password check has an answer. */
export interface ThrottleReservation {
  succeeded(): void;
  failed(): void;
}

export type ThrottleDecision =
  | { readonly allowed: true; readonly reservation: ThrottleReservation }
  | { readonly allowed: false; readonly retryAfterSeconds: number; readonly key: "name" | "client" | "busy" };

interface Attempt {
  readonly at: number;
  /** The client key of whoever made it, so a success clears only its own client's failures. */
  readonly client: string;
}

export class LoginThrottle {
  readonly #clock: Clock;
  readonly #secret: Buffer;
  readonly #perName: ThrottleLimits;
  readonly #perClient: ThrottleLimits;
  readonly #inFlightPerKey: number;
  readonly #inFlightTotal: number;
  readonly #maxKeys: number;
  readonly #attempts = new Map<string, Attempt[]>();
  readonly #inFlight = new Map<string, number>();
  #inFlightCount = 0;

  constructor(clock: Clock, secret: Buffer, options: LoginThrottleOptions = {}) {
    this.#clock = clock;
    this.#secret = secret;
    this.#perName = options.perName ?? { max: 5, windowMs: 15 * 60_000 };
    this.#perClient = options.perClient ?? { max: 30, windowMs: 15 * 60_000 };
    this.#inFlightPerKey = options.inFlightPerKey ?? 2;
    this.#inFlightTotal = options.inFlightTotal ?? 8;
    this.#maxKeys = options.maxKeys ?? 100_000;
  }

  static nameKey(login: string): string {
    return `name:${login.normalize("NFKC").trim().toLowerCase()}`;
  }

  clientKey(address: string): string {
    return `client:${createHmac("sha256", this.#secret).update(`throttle\0${address}`).digest("base64url").slice(0, 22)}`;
  }

  /**
   * Decides and, when allowed, counts the attempt at once (synchronously: no other request can slip
   * in between the check and the count). The caller hashes only with a reservation in hand.
   */
  reserve(login: string, clientAddress: string): ThrottleDecision {
    const nameKey = LoginThrottle.nameKey(login);
    const clientKey = this.clientKey(clientAddress);
    const name = this.#state(nameKey, this.#perName);
    if (name !== null) return { allowed: false, retryAfterSeconds: name, key: "name" };
    const client = this.#state(clientKey, this.#perClient);
    if (client !== null) return { allowed: false, retryAfterSeconds: client, key: "client" };
    if (this.#inFlightCount >= this.#inFlightTotal || (this.#inFlight.get(nameKey) ?? 0) >= this.#inFlightPerKey || (this.#inFlight.get(clientKey) ?? 0) >= this.#inFlightPerKey) {
      return { allowed: false, retryAfterSeconds: 1, key: "busy" };
    }

    const attempt: Attempt = { at: this.#clock.now().getTime(), client: clientKey };
    for (const key of [nameKey, clientKey]) {
      const list = this.#attempts.get(key) ?? [];
      list.push(attempt);
      this.#attempts.delete(key); // re-insert: Map order is our LRU order
      this.#attempts.set(key, list);
      this.#inFlight.set(key, (this.#inFlight.get(key) ?? 0) + 1);
    }
    this.#inFlightCount++;
    while (this.#attempts.size > this.#maxKeys) this.#attempts.delete(this.#attempts.keys().next().value!);

    let settled = false;
    const settle = (): boolean => {
      if (settled) return false;
      settled = true;
      this.#inFlightCount--;
      for (const key of [nameKey, clientKey]) {
        const left = (this.#inFlight.get(key) ?? 1) - 1;
        if (left === 0) this.#inFlight.delete(key);
        else this.#inFlight.set(key, left);
      }
      return true;
    };
    return {
      allowed: true,
      reservation: {
        failed: () => {
          settle();
        },
        succeeded: () => {
          if (!settle()) return;
          // The name forgets this client's failures (the person typed it right at last) and this
          // attempt; failures that came from other clients stay counted.
          this.#remove(nameKey, (a) => a.client === clientKey);
          this.#remove(clientKey, (a) => a === attempt);
        },
      },
    };
  }

  /** Forgets every attempt on a name (an operator unlocking a person; tests). */
  forget(login: string): void {
    this.#attempts.delete(LoginThrottle.nameKey(login));
  }

  #remove(key: string, drop: (attempt: Attempt) => boolean): void {
    const list = this.#attempts.get(key);
    if (list === undefined) return;
    const kept = list.filter((a) => !drop(a));
    if (kept.length === 0) this.#attempts.delete(key);
    else this.#attempts.set(key, kept);
  }

  /** Seconds until the key may try again, or null when it may try now. */
  #state(key: string, limits: ThrottleLimits): number | null {
    const list = this.#attempts.get(key);
    if (list === undefined) return null;
    const now = this.#clock.now().getTime();
    const recent = list.filter((a) => now - a.at < limits.windowMs);
    if (recent.length === 0) {
      this.#attempts.delete(key);
      return null;
    }
    if (recent.length !== list.length) this.#attempts.set(key, recent);
    if (recent.length < limits.max) return null;
    return Math.max(1, Math.ceil((recent[recent.length - limits.max]!.at + limits.windowMs - now) / 1000));
  }
}
