import assert from "node:assert/strict";
import { test } from "node:test";
import { loadConfig } from "../config/config.ts";
import { isSignatureRefusal, judgeFailure, judgeStatus, minimumRetrySpanMs, nextAttemptAt, parseRetryAfter, retryDelayMs } from "./delivery.policy.ts";

const NOW = new Date("2026-04-01T12:00:00.000Z");
const CAP = 6 * 3600_000;
const DAY = 86_400_000;

test("status verdicts follow the documented table", () => {
  const kind = (status: number) => judgeStatus(status, undefined, NOW, CAP).kind;
  for (const status of [200, 201, 202, 204]) assert.equal(kind(status), "delivered", String(status));
  assert.deepEqual(judgeStatus(404, undefined, NOW, CAP), { kind: "gone", status: 404 });
  assert.deepEqual(judgeStatus(410, undefined, NOW, CAP), { kind: "gone", status: 410 });
  for (const status of [301, 302, 400, 405, 413, 415, 422]) assert.deepEqual(judgeStatus(status, undefined, NOW, CAP), { kind: "rejected", reason: `HTTP ${status}` });
  for (const status of [401, 403, 408, 429]) {
    assert.deepEqual(judgeStatus(status, undefined, NOW, CAP), { kind: "retry", reason: `HTTP ${status}`, hostFailure: false, retryAfterMs: undefined });
  }
  for (const status of [500, 502, 503, 504]) {
    assert.deepEqual(judgeStatus(status, undefined, NOW, CAP), { kind: "retry", reason: `HTTP ${status}`, hostFailure: true, retryAfterMs: undefined });
  }
});

test("transport failures are retried as host failures, refused addresses are not retried", () => {
  assert.deepEqual(judgeFailure("timeout", "slow"), { kind: "retry", reason: "timeout: slow", hostFailure: true, retryAfterMs: undefined });
  assert.deepEqual(judgeFailure("network", "ECONNREFUSED"), { kind: "retry", reason: "network: ECONNREFUSED", hostFailure: true, retryAfterMs: undefined });
  assert.deepEqual(judgeFailure("forbidden-address", "10.0.0.1"), { kind: "rejected", reason: "address refused: 10.0.0.1" });
});

test("only 400 and 401 trigger the second knock", () => {
  assert.deepEqual([400, 401, 403, 404, 500].map(isSignatureRefusal), [true, true, false, false, false]);
});

test("the retry schedule is at least as persistent as Mastodon's (≥ 16 attempts over ≥ 2 days)", () => {
  const defaults = loadConfig({}).delivery;
  assert.ok(defaults.maxAttempts >= 16);
  assert.ok(minimumRetrySpanMs(16) >= 2 * DAY, `16 attempts span ${minimumRetrySpanMs(16) / DAY} days`);
  assert.ok(minimumRetrySpanMs(defaults.maxAttempts) >= 3 * DAY);
  // Exponential growth, floor without jitter, capped at a day.
  const floor = (n: number) => retryDelayMs(n, () => 0);
  assert.deepEqual([1, 2, 3, 4].map(floor), [16_000, 31_000, 96_000, 271_000]);
  for (let n = 1; n < 30; n++) assert.ok(floor(n + 1) >= floor(n));
  assert.equal(floor(40), DAY);
});

test("jitter only adds, by at most a quarter", () => {
  for (const n of [1, 5, 12]) {
    const floor = retryDelayMs(n, () => 0);
    assert.equal(retryDelayMs(n, () => 0.999999), Math.round(floor * 1.249999750));
    for (let i = 0; i < 50; i++) {
      const delay = retryDelayMs(n);
      assert.ok(delay >= floor && delay <= floor * 1.25);
    }
  }
});

test("Retry-After: seconds or an HTTP date, capped, never negative", () => {
  assert.equal(parseRetryAfter(undefined, NOW, CAP), undefined);
  assert.equal(parseRetryAfter("120", NOW, CAP), 120_000);
  assert.equal(parseRetryAfter(" 30 ", NOW, CAP), 30_000);
  assert.equal(parseRetryAfter("999999", NOW, CAP), CAP);
  assert.equal(parseRetryAfter(new Date(NOW.getTime() + 90_000).toUTCString(), NOW, CAP), 90_000);
  assert.equal(parseRetryAfter("Wed, 01 Apr 2026 11:00:00 GMT", NOW, CAP), 0);
  assert.equal(parseRetryAfter("soon", NOW, CAP), undefined);
  assert.equal(parseRetryAfter("-5", NOW, CAP), undefined);
});

test("the next attempt waits for the backoff and for Retry-After, whichever is later", () => {
  const zero = () => 0;
  assert.equal(nextAttemptAt(NOW, 1, undefined, zero).getTime() - NOW.getTime(), 16_000);
  assert.equal(nextAttemptAt(NOW, 1, 3_600_000, zero).getTime() - NOW.getTime(), 3_600_000);
  assert.equal(nextAttemptAt(NOW, 5, 1_000, zero).getTime() - NOW.getTime(), 640_000);
});
