import assert from "node:assert/strict";
import { test } from "node:test";
import { ManualClock } from "../lib/time.ts";
import { LoginThrottle } from "./login-throttle.ts";

const secret = Buffer.alloc(32, 7);

test("the per-name throttle shares one key across spellings of the same sign-in name", () => {
  const clock = new ManualClock("2026-01-01T00:00:00Z");
  const throttle = new LoginThrottle(clock, secret, { perName: { max: 3, windowMs: 60_000 }, perClient: { max: 100, windowMs: 60_000 } });
  throttle.recordFailure("Owner@Example.org", "192.0.2.1");
  throttle.recordFailure(" owner@example.org", "192.0.2.2");
  throttle.recordFailure("ＯＷＮＥＲ@example.org", "192.0.2.3"); // full-width letters: NFKC folds them
  const decision = throttle.check("owner@EXAMPLE.org", "192.0.2.4");
  assert.equal(decision.allowed, false);
  assert.equal(!decision.allowed && decision.key, "name");
  // Another name from the same clients is not affected.
  assert.equal(throttle.check("someone-else", "192.0.2.4").allowed, true);
  // The window slides.
  clock.advance(60_001);
  assert.equal(throttle.check("owner@example.org", "192.0.2.4").allowed, true);
});

test("the per-client throttle counts failures across names, keyed by a hash of the address", () => {
  const clock = new ManualClock("2026-01-01T00:00:00Z");
  const throttle = new LoginThrottle(clock, secret, { perName: { max: 100, windowMs: 60_000 }, perClient: { max: 3, windowMs: 60_000 } });
  for (const name of ["a", "b", "c"]) throttle.recordFailure(name, "198.51.100.7");
  const decision = throttle.check("d", "198.51.100.7");
  assert.deepEqual(decision.allowed ? null : decision.key, "client");
  assert.equal(throttle.check("d", "198.51.100.8").allowed, true);
  assert.doesNotMatch(throttle.clientKey("198.51.100.7"), /198/);
});

test("a success clears the name's counter but not the client's", () => {
  const clock = new ManualClock("2026-01-01T00:00:00Z");
  const throttle = new LoginThrottle(clock, secret, { perName: { max: 2, windowMs: 60_000 }, perClient: { max: 3, windowMs: 60_000 } });
  throttle.recordFailure("anna", "203.0.113.5");
  throttle.recordFailure("anna", "203.0.113.5");
  assert.equal(throttle.check("anna", "203.0.113.9").allowed, false);
  throttle.recordSuccess("anna");
  assert.equal(throttle.check("anna", "203.0.113.9").allowed, true);
  throttle.recordFailure("bert", "203.0.113.5");
  assert.equal(throttle.check("carl", "203.0.113.5").allowed, false);
});

test("memory stays bounded under a flood of distinct keys", () => {
  const clock = new ManualClock("2026-01-01T00:00:00Z");
  const throttle = new LoginThrottle(clock, secret, { maxKeys: 50, perName: { max: 1, windowMs: 60_000 } });
  for (let i = 0; i < 500; i++) throttle.recordFailure(`user${i}`, `client${i}`);
  // The newest keys are remembered, the oldest dropped.
  assert.equal(throttle.check("user499", "x").allowed, false);
  assert.equal(throttle.check("user0", "x").allowed, true);
});
