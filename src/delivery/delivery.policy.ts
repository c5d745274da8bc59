/**
 * What a delivery's result means and when to try again. Pure functions: the handler applies them,
 * the tests pin them down.
 *
 * | result                                   | verdict                                          |
 * |------------------------------------------|--------------------------------------------------|
 * | 2xx                                      | delivered                                        |
 * | 404, 410                                 | gone: the inbox's owners are removed as followers |
 * | 401, 403, 408, 429                       | retry; the host answered, so it is not failing   |
 * | other 3xx/4xx (400 included)             | rejected: permanent, kept as a dead letter       |
 * | 5xx, network error, timeout              | retry; counts as a host failure (breaker, days)  |
 * | address refused by the SSRF guard        | rejected                                         |
 *
 * Before a verdict is taken, a 400 or 401 makes the sender resend once at once with the other signature
 * spec (double-knocking, `isSignatureRefusal`); the verdict is about the answer to that second request.
 * 401/403 are retried because they usually mean the peer could not fetch our key at that moment
 * (our own outage, its cache), not that it refuses the activity for good. Redirects are not followed
 * for deliveries (a signature covers one target URI): they are permanent failures, like other 4xx.
 */
export type Verdict =
  | { readonly kind: "delivered" }
  | { readonly kind: "gone"; readonly status: 404 | 410 }
  | { readonly kind: "rejected"; readonly reason: string }
  | {
      readonly kind: "retry";
      readonly reason: string;
      /** 5xx and transport failures: the host looks broken (circuit breaker, unavailable days). */
      readonly hostFailure: boolean;
      /** From `Retry-After`, already capped; the retry is not scheduled earlier than this. */
      readonly retryAfterMs: number | undefined;
    };

export type SendFailure = "timeout" | "network" | "forbidden-address";

export function judgeStatus(status: number, retryAfter: string | undefined, now: Date, retryAfterCapMs: number): Verdict {
  if (status >= 200 && status < 300) return { kind: "delivered" };
  if (status === 404 || status === 410) return { kind: "gone", status };
  const after = parseRetryAfter(retryAfter, now, retryAfterCapMs);
  if (status === 401 || status === 403 || status === 408 || status === 429) {
    return { kind: "retry", reason: `HTTP ${status}`, hostFailure: false, retryAfterMs: after };
  }
  if (status >= 500) return { kind: "retry", reason: `HTTP ${status}`, hostFailure: true, retryAfterMs: after };
  return { kind: "rejected", reason: `HTTP ${status}` };
}

export function judgeFailure(failure: SendFailure, message: string): Verdict {
  if (failure === "forbidden-address") return { kind: "rejected", reason: `address refused: ${message}` };
  return { kind: "retry", reason: `${failure}: ${message}`, hostFailure: true, retryAfterMs: undefined };
}

/** Statuses after which the same request is sent again at once with the other signature spec. */
export function isSignatureRefusal(status: number): boolean {
  return status === 401 || status === 400;
}

const SECOND = 1000;
const DAY = 86_400 * SECOND;

/**
 * Delay before the retry that follows attempt `attempts` (1 = the first try failed):
 * 15 s + attempts⁴ s, plus up to 25 % random jitter so a peer that comes back is not hit by all
 * senders at once, at most a day. Jitter only ever adds, so the schedule below is a floor:
 * 16 attempts span at least 2.07 days and the default 18 attempts at least 3.8 days — at least
 * as persistent as Mastodon's 16 retries over 2–3 days.
 */
export function retryDelayMs(attempts: number, random: () => number = Math.random): number {
  const n = Math.max(1, Math.min(attempts, 1000));
  const base = (15 + n ** 4) * SECOND;
  return Math.min(DAY, Math.round(base * (1 + 0.25 * random())));
}

/** Sum of the minimum delays until attempt `attempts` runs (the floor of the retry span). */
export function minimumRetrySpanMs(attempts: number): number {
  let total = 0;
  for (let n = 1; n < attempts; n++) total += retryDelayMs(n, () => 0);
  return total;
}

/** `Retry-After` as delay-seconds or an HTTP date, relative to `now`, capped; undefined if absent or unparseable. */
export function parseRetryAfter(value: string | undefined, now: Date, capMs: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  let ms: number;
  if (/^\d+$/.test(text)) ms = Number(text) * SECOND;
  else {
    // An HTTP date has a weekday and a month name; Date.parse alone would read "-5" as a year.
    if (!/[A-Za-z]{3}/.test(text)) return undefined;
    const at = Date.parse(text);
    if (Number.isNaN(at)) return undefined;
    ms = at - now.getTime();
  }
  return Math.max(0, Math.min(ms, capMs));
}

/** When the next attempt runs: after the backoff, and not before the peer's `Retry-After`. */
export function nextAttemptAt(now: Date, attempts: number, retryAfterMs: number | undefined, random: () => number = Math.random): Date {
  const delay = Math.max(retryDelayMs(attempts, random), retryAfterMs ?? 0);
  return new Date(now.getTime() + delay);
}
