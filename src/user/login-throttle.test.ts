import assert from "node:assert/strict";
import { test } from "node:test";
import { ManualClock } from "../lib/time.ts";
import { LoginThrottle } from "./login-throttle.ts";

const secret = Buffer.alloc(32, 7);

/** One failed attempt, the way UserService makes it: reserve, then settle as failed. */
function fail(throttle: LoginThrottle, login: string, client: string): void {
  const decision = throttle.reserve(login, client);
  assert.ok(decision.allowed, `${login} from ${client} may try`);
  decision.reservation.failed();
}

test("the per-name throttle shares one key across spellings of the same sign-in name", () => {
  const clock = new ManualClock("2026-01-01T00:00:00Z");
  const throttle = new LoginThrottle(clock, secret, { perName: { max: 3, windowMs: 60_000 }, perClient: { max: 100, windowMs: 60_000 } });
  fail(throttle, "Owner@Example.org", "192.0.2.1");
  fail(throttle, " owner@example.org", "192.0.2.2");
  fail(throttle, "ＯＷＮＥＲ@example.org", "192.0.2.3"); // full-width letters: NFKC folds them
  const decision = throttle.reserve("owner@EXAMPLE.org", "192.0.2.4");
  assert.equal(decision.allowed, false);
  assert.equal(!decision.allowed && decision.key, "name");
  // Another name from the same clients is not affected.
  assert.equal(throttle.reserve("someone-else", "192.0.2.4").allowed, true);
  // The window slides.
  clock.advance(60_001);
  assert.equal(throttle.reserve("owner@example.org", "192.0.2.4").allowed, true);
});

test("the per-client throttle counts failures across names, keyed by a hash of the address", () => {
  const clock = new ManualClock("2026-01-01T00:00:00Z");
  const throttle = new LoginThrottle(clock, secret, { perName: { max: 100, windowMs: 60_000 }, perClient: { max: 3, windowMs: 60_000 } });
  for (const name of ["a", "b", "c"]) fail(throttle, name, "198.51.100.7");
  const decision = throttle.reserve("d", "198.51.100.7");
  assert.deepEqual(decision.allowed ? null : decision.key, "client");
  assert.equal(throttle.reserve("d", "198.51.100.8").allowed, true);
  assert.doesNotMatch(throttle.clientKey("198.51.100.7"), /198/);
});

test("an attempt counts from the moment it is reserved, before it is settled", () => {
  const clock = new ManualClock("2026-01-01T00:00:00Z");
  const throttle = new LoginThrottle(clock, secret, { perName: { max: 2, windowMs: 60_000 }, inFlightPerKey: 10 });
  const first = throttle.reserve("anna", "203.0.113.1");
  const second = throttle.reserve("anna", "203.0.113.2");
  assert.ok(first.allowed && second.allowed);
  const third = throttle.reserve("anna", "203.0.113.3");
  assert.equal(third.allowed ? "allowed" : third.key, "name");
});

// Issue #10 item 1: a success used to clear the name's whole counter, whoever had caused it.
test("a success clears the name's failures from the same client only, and never the client's counter", () => {
  const clock = new ManualClock("2026-01-01T00:00:00Z");
  const throttle = new LoginThrottle(clock, secret, { perName: { max: 3, windowMs: 60_000 }, perClient: { max: 3, windowMs: 60_000 } });
  fail(throttle, "anna", "203.0.113.5"); // a guesser
  fail(throttle, "anna", "203.0.113.9"); // anna's typo
  const success = throttle.reserve("anna", "203.0.113.9");
  assert.ok(success.allowed);
  success.reservation.succeeded();
  // Left: the guesser's one failure. One more is allowed, the next fills the window of three.
  fail(throttle, "anna", "203.0.113.6");
  fail(throttle, "anna", "203.0.113.7");
  const blocked = throttle.reserve("anna", "203.0.113.9");
  assert.equal(blocked.allowed ? "allowed" : blocked.key, "name");

  // The client's own counter is not cleared by a success (nor counts it).
  fail(throttle, "bert", "198.51.100.1");
  fail(throttle, "carl", "198.51.100.1");
  const ok = throttle.reserve("dora", "198.51.100.1");
  assert.ok(ok.allowed);
  ok.reservation.succeeded();
  fail(throttle, "emil", "198.51.100.1");
  const third = throttle.reserve("fritz", "198.51.100.1");
  assert.equal(third.allowed ? "allowed" : third.key, "client");
});

test("checks in flight are bounded per name, per client and in total; settling frees the slot", () => {
  const clock = new ManualClock("2026-01-01T00:00:00Z");
  const throttle = new LoginThrottle(clock, secret, { inFlightPerKey: 1, inFlightTotal: 2, perName: { max: 100, windowMs: 60_000 }, perClient: { max: 100, windowMs: 60_000 } });
  const a = throttle.reserve("anna", "192.0.2.1");
  assert.ok(a.allowed);
  const sameName = throttle.reserve("anna", "192.0.2.2");
  assert.equal(sameName.allowed ? "allowed" : sameName.key, "busy");
  const sameClient = throttle.reserve("bert", "192.0.2.1");
  assert.equal(sameClient.allowed ? "allowed" : sameClient.key, "busy");
  const b = throttle.reserve("bert", "192.0.2.2");
  assert.ok(b.allowed);
  const total = throttle.reserve("carl", "192.0.2.3");
  assert.equal(total.allowed ? "allowed" : total.key, "busy");
  a.reservation.failed();
  a.reservation.failed(); // settling twice frees one slot, not two
  assert.equal(throttle.reserve("carl", "192.0.2.3").allowed, true);
  assert.equal(throttle.reserve("dora", "192.0.2.4").allowed ? "allowed" : "busy", "busy");
});

test("memory stays bounded under a flood of distinct keys", () => {
  const clock = new ManualClock("2026-01-01T00:00:00Z");
  const throttle = new LoginThrottle(clock, secret, { maxKeys: 50, perName: { max: 1, windowMs: 60_000 } });
  for (let i = 0; i < 500; i++) fail(throttle, `user${i}`, `client${i}`);
  // The newest keys are remembered, the oldest dropped.
  assert.equal(throttle.reserve("user499", "x").allowed, false);
  assert.equal(throttle.reserve("user0", "x").allowed, true);
});
