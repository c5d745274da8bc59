import assert from "node:assert/strict";
import { test } from "node:test";
import { ManualClock } from "../../lib/time.ts";
import { InboxCapacity, type Admission } from "./capacity.ts";

const granted = (admissions: readonly Admission[]) => admissions.filter((a) => a.ok);

test("inbox capacity: the queue is asked at most once per interval, shared by concurrent callers", async () => {
  const clock = new ManualClock("2026-01-01T00:00:00Z");
  let counts = new Map([["a.example", 5]]);
  let asked = 0;
  const capacity = new InboxCapacity({ counts: async () => (asked++, counts), capacity: 10, clock, ttlMs: 1000 });
  assert.deepEqual(await Promise.all([capacity.isFull(), capacity.isFull(), capacity.isFull()]), [false, false, false]);
  assert.equal(asked, 1);
  counts = new Map([["a.example", 11]]);
  assert.equal(await capacity.isFull(), false, "cached within the interval");
  clock.advance(1000);
  assert.equal(await capacity.isFull(), true);
  // Changed with issue #10 item 8: at capacity is full (it used to admit one more, and then a second's worth).
  counts = new Map([["a.example", 10]]);
  capacity.invalidate();
  assert.equal(await capacity.isFull(), true, "at capacity is full");
  assert.equal(asked, 3);
});

test("inbox capacity: admissions between two lookups are counted, so concurrent requests cannot overshoot", async () => {
  const clock = new ManualClock("2026-01-01T00:00:00Z");
  // The queue never answers anything but "empty" within the interval: only the in-process count can stop the flood.
  const capacity = new InboxCapacity({ counts: async () => new Map(), capacity: 10, clock, ttlMs: 60_000 });
  const hosts = Array.from({ length: 10 }, (_, i) => `h${i}.example`);
  const admissions = await Promise.all(Array.from({ length: 200 }, (_, i) => capacity.admit(hosts[i % hosts.length]!)));
  assert.equal(granted(admissions).length, 10, "exactly the capacity was admitted");
  for (const a of admissions) if (!a.ok) assert.match(a.message, /full|share/);
  assert.equal(await capacity.depth(), 10);
  // Settled as queued: still counted until the queue is asked again. Not queued (duplicates): the place is free again.
  for (const [i, a] of granted(admissions).entries()) if (a.ok) a.settle(i >= 2);
  assert.equal(await capacity.depth(), 8);
  assert.equal(granted(await Promise.all([1, 2, 3].map((i) => capacity.admit(`late${i}.example`)))).length, 2);
});

test("inbox capacity: one flooding server gets its share, then others are still admitted", async () => {
  const clock = new ManualClock("2026-01-01T00:00:00Z");
  const capacity = new InboxCapacity({ counts: async () => new Map(), capacity: 100, clock, ttlMs: 60_000 });
  const flood = await Promise.all(Array.from({ length: 500 }, () => capacity.admit("flood.example")));
  assert.equal(granted(flood).length, 50, "half the queue: the share of one server of one");
  const refused = flood.find((a) => !a.ok);
  assert.ok(refused !== undefined && !refused.ok && refused.reason === "share");
  const second = await Promise.all(Array.from({ length: 500 }, () => capacity.admit("second.example")));
  assert.equal(granted(second).length, capacity.shareOf(2), "a second server gets its own share");
  const third = await capacity.admit("third.example");
  assert.equal(third.ok, true, "and there is still room for a server with nothing queued");
  assert.equal((await capacity.admit("flood.example")).ok, false, "the flood stays refused");
});

test("inbox capacity: a commit that lands while the queue is being asked is not lost", async () => {
  const clock = new ManualClock("2026-01-01T00:00:00Z");
  let answer: ((counts: Map<string, number>) => void) | undefined;
  let lookups = 0;
  const capacity = new InboxCapacity({
    counts: () => {
      lookups++;
      if (lookups === 1) return Promise.resolve(new Map());
      return new Promise((resolve) => (answer = resolve));
    },
    capacity: 10,
    clock,
    ttlMs: 1000,
  });
  const first = await Promise.all(Array.from({ length: 4 }, () => capacity.admit("a.example")));
  clock.advance(1000);
  const lookup = capacity.depth();
  // Committed while the lookup runs: the lookup's answer may not include them.
  for (const a of first) if (a.ok) a.settle(true);
  answer!(new Map());
  assert.equal(await lookup, 4, "counted until a later lookup sees them");
});
