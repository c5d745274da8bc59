import assert from "node:assert/strict";
import { test } from "node:test";
import { ManualClock } from "../lib/time.ts";
import { CircuitBreaker } from "./circuit-breaker.ts";
import { HostLimiter } from "./host-limiter.ts";
import { DeliveryMetrics, escapeLabel } from "./metrics.ts";

test("circuit breaker: opens at the threshold, lets one probe through after the cool-down", () => {
  const breaker = new CircuitBreaker({ failures: 3, cooldownMs: 60_000, probeTimeoutMs: 10_000 });
  const t0 = 1_000_000;
  breaker.failure("a.example", t0);
  breaker.failure("a.example", t0);
  assert.deepEqual(breaker.check("a.example", t0), { allowed: true });
  breaker.failure("a.example", t0);
  assert.deepEqual(breaker.check("a.example", t0 + 1), { allowed: false, retryAt: t0 + 60_000 });
  assert.deepEqual(breaker.check("b.example", t0 + 1), { allowed: true }, "per host");
  assert.equal(breaker.openCount(t0 + 1), 1);

  // Half-open: one probe, the others wait.
  assert.deepEqual(breaker.check("a.example", t0 + 60_000), { allowed: true });
  assert.deepEqual(breaker.check("a.example", t0 + 60_001), { allowed: false, retryAt: t0 + 120_001 });
  // The probe fails: open again for a full cool-down.
  breaker.failure("a.example", t0 + 60_002);
  assert.deepEqual(breaker.check("a.example", t0 + 60_003), { allowed: false, retryAt: t0 + 120_002 });
  // Next probe succeeds: closed.
  assert.deepEqual(breaker.check("a.example", t0 + 120_002), { allowed: true });
  breaker.success("a.example");
  assert.deepEqual(breaker.check("a.example", t0 + 120_003), { allowed: true });
  assert.equal(breaker.isOpen("a.example", t0 + 120_003), false);
});

test("circuit breaker: a success resets the count; a lost probe frees the slot after its timeout", () => {
  const breaker = new CircuitBreaker({ failures: 2, cooldownMs: 1_000, probeTimeoutMs: 5_000 });
  breaker.failure("h", 0);
  breaker.success("h");
  breaker.failure("h", 0);
  assert.deepEqual(breaker.check("h", 0), { allowed: true }, "count restarted after the success");
  breaker.failure("h", 0);
  assert.equal(breaker.isOpen("h", 10), true);
  assert.deepEqual(breaker.check("h", 1_000), { allowed: true });
  assert.equal(breaker.check("h", 2_000).allowed, false, "probe still out");
  assert.deepEqual(breaker.check("h", 6_000), { allowed: true }, "the probe never reported: another one");
  breaker.abandon("h");
  assert.deepEqual(breaker.check("h", 6_001), { allowed: true }, "abandoned probes free the slot at once");
});

test("host limiter: at most perHost in flight per host, waiters beyond a bound are turned away", async () => {
  const limiter = new HostLimiter(2, 1);
  const a1 = await limiter.acquire("a")!;
  const a2 = await limiter.acquire("a")!;
  const b1 = await limiter.acquire("b")!;
  assert.equal(limiter.active("a"), 2);
  const waiting = limiter.acquire("a");
  assert.ok(waiting !== undefined);
  assert.equal(limiter.acquire("a"), undefined, "wait list full");
  let got = false;
  const third = waiting.then((release) => {
    got = true;
    return release;
  });
  await Promise.resolve();
  assert.equal(got, false);
  a1();
  a1(); // releasing twice is harmless
  const a3 = await third;
  assert.equal(limiter.active("a"), 2);
  a2();
  a3();
  b1();
  assert.equal(limiter.active("a"), 0);
  assert.equal(limiter.active("b"), 0);
});

test("metrics: rate over the last minute, bounded host series, escaped labels", () => {
  const clock = new ManualClock("2026-01-01T00:00:00.000Z");
  const metrics = new DeliveryMetrics(clock, { topHosts: 2, trackedHosts: 3 });
  for (let i = 0; i < 30; i++) metrics.final("ok", "busy.example");
  clock.advance(30_000);
  for (let i = 0; i < 30; i++) metrics.final("ok", "busy.example");
  assert.equal(metrics.rate(), 1);
  clock.advance(31_000);
  assert.equal(metrics.rate(), 0.5, "the first 30 left the window");
  clock.advance(60_000);
  assert.equal(metrics.rate(), 0);

  metrics.final("failed", "a.example");
  metrics.retry("a.example");
  metrics.final("ok", "b.example");
  metrics.final("ok", 'q"uote\\.example');
  assert.equal(metrics.host("b.example"), undefined, "quietest host evicted when a fourth arrived");
  assert.deepEqual(metrics.host("a.example"), { ok: 0, failed: 2 });
  const text = metrics.render({ depth: {}, unavailableHosts: 0, openCircuits: 0 });
  const hostLines = text.split("\n").filter((l) => l.startsWith("herold_delivery_host_deliveries_total"));
  assert.deepEqual(hostLines, [
    'herold_delivery_host_deliveries_total{host="busy.example",result="ok"} 60',
    'herold_delivery_host_deliveries_total{host="q\\"uote\\\\.example",result="ok"} 1',
    'herold_delivery_host_deliveries_total{host="a.example",result="failed"} 2',
  ]);
  assert.equal(escapeLabel("a\nb"), "a\\nb");
  assert.deepEqual(metrics.totals(), { results: { ok: 62, failed: 1, skipped: 0 }, retries: 1, postponed: { "circuit-open": 0, "host-busy": 0 } });
});
