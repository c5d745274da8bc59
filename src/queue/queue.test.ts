import assert from "node:assert/strict";
import { test, type TestContext } from "node:test";
import { parseDatabaseUrl } from "../config/config.ts";
import { openDatabase, type Database } from "../db/database.ts";
import { ManualClock } from "../lib/time.ts";
import { describeEachEngine } from "../testing/databases.ts";
import { createJobQueue, type Job, type JobQueue, type JobQueueOptions } from "./queue.ts";

// The queue's conformance suite: every test runs on SQLite and on PostgreSQL. Each test uses its
// own queue names because the tests of one engine share a database.
let counter = 0;
const uniqueQueue = (label: string): string => `${label}_${++counter}_${Math.random().toString(36).slice(2, 8)}`;

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const LEASE = MINUTE;

/**
 * Whether a wait ends on its own: "woke" when it settles, "still waiting" when it is still pending after
 * a generous bound (the wait under test is an hour, so only a wrong wake-up path reaches the bound).
 */
async function settlesFirst(waiting: Promise<unknown>): Promise<"woke" | "still waiting"> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const bound = new Promise<"still waiting">((resolve) => (timer = setTimeout(() => resolve("still waiting"), 10_000)));
  try {
    return await Promise.race([waiting.then(() => "woke" as const), bound]);
  } finally {
    clearTimeout(timer);
  }
}

async function claimAll(queue: JobQueue, name: string, workerId: string): Promise<Job[]> {
  return queue.claim(name, { limit: 1000, leaseMs: LEASE, workerId });
}

describeEachEngine("job queue", (get) => {
  test("enqueue, claim and complete", async (t) => {
    const use = resources(t);
    const clock = new ManualClock();
    const queue = use.queue(get().database, { clock });
    const name = uniqueQueue("basic");
    const first = await queue.enqueue(name, { n: 1, text: "ü" });
    await queue.enqueue(name, { n: 2 });
    assert.equal(first.duplicate, false);

    const jobs = await claimAll(queue, name, "w1");
    assert.deepEqual(
      jobs.map((j) => j.payload),
      [{ n: 1, text: "ü" }, { n: 2 }],
    );
    assert.equal(jobs[0]!.id, first.id);
    assert.equal(jobs[0]!.queue, name);
    assert.equal(jobs[0]!.attempts, 1);
    assert.equal(jobs[0]!.runAt, clock.now().toISOString());

    assert.equal(await queue.complete(jobs[0]!, "w1"), true);
    assert.equal(await queue.complete(jobs[0]!, "w1"), false, "already gone");
    assert.equal(await queue.completeMany(jobs.slice(1), "w1"), 1);
    assert.equal((await queue.depth())[name], undefined);
  });

  test("a claimed job is invisible to other claimers until its lease expires, then reclaimed", async (t) => {
    const use = resources(t);
    const clock = new ManualClock();
    const queue = use.queue(get().database, { clock });
    const name = uniqueQueue("lease");
    await queue.enqueue(name, { x: 1 });

    const [job] = await queue.claim(name, { limit: 5, leaseMs: LEASE, workerId: "w1" });
    assert.ok(job);
    assert.deepEqual(await claimAll(queue, name, "w2"), []);
    assert.deepEqual((await queue.depth())[name], { ready: 0, delayed: 0, running: 1, dead: 0 });

    clock.advance(LEASE - 1);
    assert.deepEqual(await claimAll(queue, name, "w2"), []);
    clock.advance(1);
    const [again] = await claimAll(queue, name, "w2");
    assert.equal(again?.id, job.id);
    assert.equal(again.attempts, 2);

    // The first worker lost the job: it can no longer settle it.
    assert.equal(await queue.retry(job, "w1", clock.now(), "late"), false);
    assert.equal(await queue.bury(job, "w1", "late"), false);
    assert.equal(await queue.complete(job, "w1"), false);
    assert.equal(await queue.complete(again, "w2"), true);
  });

  test("a delayed job is not claimed before runAt and is claimed at runAt", async (t) => {
    const use = resources(t);
    const clock = new ManualClock("2026-01-01T00:00:00.000Z");
    const queue = use.queue(get().database, { clock });
    const name = uniqueQueue("delayed");
    await queue.enqueue(name, "later", { delayMs: 10 * MINUTE });
    await queue.enqueue(name, "at", { runAt: new Date("2026-01-01T00:05:00.000Z") });

    assert.deepEqual(await claimAll(queue, name, "w"), []);
    assert.deepEqual((await queue.depth())[name], { ready: 0, delayed: 2, running: 0, dead: 0 });

    clock.advance(5 * MINUTE - 1);
    assert.deepEqual(await claimAll(queue, name, "w"), []);
    clock.advance(1);
    const due = await claimAll(queue, name, "w");
    assert.deepEqual(
      due.map((j) => [j.payload, j.runAt]),
      [["at", "2026-01-01T00:05:00.000Z"]],
    );
    assert.equal(await queue.completeMany(due, "w"), 1);
    clock.advance(5 * MINUTE);
    assert.deepEqual(
      (await claimAll(queue, name, "w")).map((j) => j.payload),
      ["later"],
    );
  });

  test("jobs are claimed oldest runAt first, at most `limit` at a time", async (t) => {
    const use = resources(t);
    const clock = new ManualClock("2026-01-01T00:00:00.000Z");
    const queue = use.queue(get().database, { clock });
    const name = uniqueQueue("order");
    await queue.enqueue(name, 3, { runAt: new Date("2025-12-31T23:59:03.000Z") });
    await queue.enqueue(name, 1, { runAt: new Date("2025-12-31T23:59:01.000Z") });
    await queue.enqueue(name, 2, { runAt: new Date("2025-12-31T23:59:02.000Z") });
    const firstTwo = await queue.claim(name, { limit: 2, leaseMs: LEASE, workerId: "w" });
    assert.deepEqual(
      firstTwo.map((j) => j.payload),
      [1, 2],
    );
    assert.deepEqual(
      (await claimAll(queue, name, "w")).map((j) => j.payload),
      [3],
    );
  });

  test("dedupeKey: the same key twice is a no-op that reports the pending job", async (t) => {
    const use = resources(t);
    const clock = new ManualClock();
    const queue = use.queue(get().database, { clock });
    const name = uniqueQueue("dedupe");
    const key = `refresh:${name}`;
    const a = await queue.enqueue(name, { v: 1 }, { dedupeKey: key });
    const b = await queue.enqueue(name, { v: 2 }, { dedupeKey: key });
    assert.deepEqual(b, { id: a.id, duplicate: true });

    // Still a duplicate while running; free again once completed.
    const [job] = await claimAll(queue, name, "w");
    assert.deepEqual(job?.payload, { v: 1 });
    assert.equal((await queue.enqueue(name, { v: 3 }, { dedupeKey: key })).duplicate, true);
    assert.equal(await queue.complete(job, "w"), true);
    const c = await queue.enqueue(name, { v: 4 }, { dedupeKey: key });
    assert.equal(c.duplicate, false);
    assert.notEqual(c.id, a.id);

    // Fan-out: keys already pending and keys repeated within the batch are skipped.
    const added = await queue.enqueueMany(name, [
      { payload: "x", dedupeKey: key },
      { payload: "y", dedupeKey: `${key}:y` },
      { payload: "y again", dedupeKey: `${key}:y` },
      { payload: "no key" },
    ]);
    assert.equal(added, 2);
    assert.deepEqual((await claimAll(queue, name, "w")).map((j) => j.payload).sort(), [{ v: 4 }, "no key", "y"].sort());
  });

  test("enqueue inside a transaction commits with it and leaves nothing when it rolls back", async (t) => {
    const use = resources(t);
    const { database } = get();
    const queue = use.queue(database);
    const name = uniqueQueue("trx");
    await assert.rejects(
      database.db.transaction().execute(async (trx) => {
        await trx.insertInto("kv").values({ key: `${name}:rolled-back`, value: "1", expires_at: null }).execute();
        await queue.enqueue(name, "single", { executor: trx });
        await queue.enqueueMany(name, [{ payload: "many 1" }, { payload: "many 2" }], { executor: trx });
        throw new Error("abort the transaction");
      }),
      /abort the transaction/,
    );
    assert.deepEqual(await claimAll(queue, name, "w"), []);
    assert.equal((await queue.depth())[name], undefined);

    await database.db.transaction().execute(async (trx) => {
      await trx.insertInto("kv").values({ key: `${name}:committed`, value: "1", expires_at: null }).execute();
      await queue.enqueue(name, "single", { executor: trx });
      await queue.enqueueMany(name, [{ payload: "many" }], { executor: trx });
    });
    assert.deepEqual((await claimAll(queue, name, "w")).map((j) => j.payload).sort(), ["many", "single"]);
  });

  test("retry keeps the attempt counted, records the error and reschedules (two simulated days)", async (t) => {
    const use = resources(t);
    const clock = new ManualClock();
    const queue = use.queue(get().database, { clock });
    const name = uniqueQueue("retry");
    await queue.enqueue(name, { inbox: "https://example.test/inbox" });
    const [job] = await claimAll(queue, name, "w");
    assert.equal(job?.attempts, 1);
    const at = new Date(clock.now().getTime() + 2 * DAY);
    assert.equal(await queue.retry(job, "w", at, "HTTP 503"), true);

    assert.deepEqual((await queue.depth())[name], { ready: 0, delayed: 1, running: 0, dead: 0 });
    const row = await get().database.db.selectFrom("jobs").select(["last_error", "run_at", "locked_by"]).where("id", "=", job.id).executeTakeFirstOrThrow();
    assert.deepEqual(row, { last_error: "HTTP 503", run_at: at.toISOString(), locked_by: null });

    clock.advance(2 * DAY - 1);
    assert.deepEqual(await claimAll(queue, name, "w"), []);
    clock.advance(1);
    const [again] = await claimAll(queue, name, "w");
    assert.equal(again?.id, job.id);
    assert.equal(again.attempts, 2);
    assert.equal(again.runAt, at.toISOString());
  });

  test("release hands a job back without counting the attempt", async (t) => {
    const use = resources(t);
    const clock = new ManualClock();
    const queue = use.queue(get().database, { clock });
    const name = uniqueQueue("release");
    await queue.enqueue(name, 1);
    const [job] = await claimAll(queue, name, "w");
    assert.ok(job);
    assert.equal(await queue.release([job], "other"), 0, "only the holder may release");
    assert.equal(await queue.release([job], "w", new Date(clock.now().getTime() + MINUTE)), 1);
    assert.deepEqual(await claimAll(queue, name, "w"), []);
    clock.advance(MINUTE);
    const [again] = await claimAll(queue, name, "w");
    assert.equal(again?.attempts, 1);
  });

  test("bury keeps the job as a dead letter: counted as dead, never claimed, purgeable", async (t) => {
    const use = resources(t);
    const clock = new ManualClock();
    const queue = use.queue(get().database, { clock });
    const name = uniqueQueue("bury");
    await queue.enqueue(name, { doomed: true }, { dedupeKey: `${name}:k` });
    await queue.enqueue(name, { fine: true });
    const [job] = await queue.claim(name, { limit: 1, leaseMs: LEASE, workerId: "w" });
    assert.deepEqual(job?.payload, { doomed: true });
    assert.equal(await queue.bury(job, "w", "HTTP 410 Gone"), true);

    assert.deepEqual((await queue.depth())[name], { ready: 1, delayed: 0, running: 0, dead: 1 });
    const claimed = await claimAll(queue, name, "w");
    assert.deepEqual(
      claimed.map((j) => j.payload),
      [{ fine: true }],
    );
    assert.equal(await queue.completeMany(claimed, "w"), 1);
    clock.advance(10 * DAY);
    assert.deepEqual(await claimAll(queue, name, "w"), []);
    const dead = await get().database.db.selectFrom("jobs").select(["queue", "last_error", "payload"]).where("id", "=", job.id).executeTakeFirstOrThrow();
    assert.deepEqual(dead, { queue: `dead:${name}`, last_error: "HTTP 410 Gone", payload: '{"doomed":true}' });
    // A dead letter does not block new work with the same key.
    assert.equal((await queue.enqueue(name, { again: true }, { dedupeKey: `${name}:k` })).duplicate, false);

    assert.equal(await queue.purgeDead(new Date(clock.now().getTime() - 11 * DAY)), 0);
    assert.ok((await queue.purgeDead(clock.now())) >= 1);
    assert.equal((await queue.depth())[name]?.dead, 0);
  });

  test("extendLease keeps a long-running job from being reclaimed", async (t) => {
    const use = resources(t);
    const clock = new ManualClock();
    const queue = use.queue(get().database, { clock });
    const name = uniqueQueue("extend");
    await queue.enqueue(name, 1);
    const jobs = await claimAll(queue, name, "w1");
    clock.advance(LEASE - 1000);
    assert.equal(await queue.extendLease(jobs, "w1", LEASE), 1);
    assert.equal(await queue.extendLease(jobs, "intruder", LEASE), 0);
    clock.advance(LEASE - 1000);
    assert.deepEqual(await claimAll(queue, name, "w2"), []);
    clock.advance(1000);
    assert.equal((await claimAll(queue, name, "w2")).length, 1);
  });

  test("enqueueMany adds fan-outs larger than one statement, all claimable exactly once", async (t) => {
    const use = resources(t);
    const queue = use.queue(get().database);
    const name = uniqueQueue("fanout");
    const count = 4500; // more than two insert chunks
    const added = await queue.enqueueMany(
      name,
      Array.from({ length: count }, (_, i) => ({ payload: { inbox: `https://host${i}.example/inbox`, activity: "01hx" } })),
    );
    assert.equal(added, count);
    assert.equal((await queue.depth())[name]?.ready, count);
    const seen = new Set<number>();
    for (;;) {
      const jobs = await queue.claim(name, { limit: 700, leaseMs: LEASE, workerId: "w" });
      if (jobs.length === 0) break;
      for (const job of jobs) seen.add(Number(/host(\d+)/.exec((job.payload as { inbox: string }).inbox)![1]));
      assert.equal(await queue.completeMany(jobs, "w"), jobs.length);
    }
    assert.equal(seen.size, count);
    assert.equal((await queue.depth())[name], undefined);
  });

  test("enqueueMany honours each item's runAt", async (t) => {
    const use = resources(t);
    const clock = new ManualClock("2026-01-01T00:00:00.000Z");
    const queue = use.queue(get().database, { clock });
    const name = uniqueQueue("fanout_delayed");
    assert.equal(await queue.enqueueMany(name, [{ payload: "now" }, { payload: "later", runAt: new Date("2026-01-01T01:00:00.000Z") }]), 2);
    assert.deepEqual((await queue.depth())[name], { ready: 1, delayed: 1, running: 0, dead: 0 });
    const first = await claimAll(queue, name, "w");
    assert.deepEqual(
      first.map((j) => j.payload),
      ["now"],
    );
    await queue.completeMany(first, "w");
    clock.set("2026-01-01T01:00:00.000Z");
    assert.deepEqual(
      (await claimAll(queue, name, "w")).map((j) => j.payload),
      ["later"],
    );
  });

  test("two queues on separate connections never hand out the same job (1,000 jobs)", async (t) => {
    const use = resources(t);
    const db = get();
    const a = use.queue(db.database);
    const b = use.queue(await use.connection(db.url));
    const name = uniqueQueue("race");
    const count = 1000;
    await a.enqueueMany(
      name,
      Array.from({ length: count }, (_, i) => ({ payload: i })),
    );
    const claimedBy = new Map<number, string>();
    const duplicates: number[] = [];
    const drain = async (queue: JobQueue, workerId: string): Promise<void> => {
      for (;;) {
        const jobs = await queue.claim(name, { limit: 7, leaseMs: LEASE, workerId });
        if (jobs.length === 0) return;
        for (const job of jobs) {
          const n = job.payload as number;
          if (claimedBy.has(n)) duplicates.push(n);
          claimedBy.set(n, workerId);
        }
        assert.equal(await queue.completeMany(jobs, workerId), jobs.length);
      }
    };
    await Promise.all([drain(a, "a1"), drain(a, "a2"), drain(b, "b1"), drain(b, "b2")]);
    assert.deepEqual(duplicates, []);
    assert.equal(claimedBy.size, count);
    assert.ok(new Set(claimedBy.values()).size >= 2, "several claimers took part");
  });

  test("waitForWork returns at once for work enqueued before it, and when the signal aborts", async (t) => {
    const use = resources(t);
    const queue = use.queue(get().database, { pollMs: 3_600_000 });
    const name = uniqueQueue("wait");
    await queue.enqueue(name, 1);
    assert.equal(await settlesFirst(queue.waitForWork(name, new AbortController().signal, 3_600_000)), "woke", "work already queued");
    const controller = new AbortController();
    const waiting = queue.waitForWork(name, controller.signal, 3_600_000);
    controller.abort();
    assert.equal(await settlesFirst(waiting), "woke", "aborted while waiting");
    assert.equal(await settlesFirst(queue.waitForWork(name, controller.signal, 3_600_000)), "woke", "signal aborted before");
  });

  test("waitForWork wakes on an enqueue in the same process", { timeout: 30_000 }, async (t) => {
    const use = resources(t);
    const queue = use.queue(get().database, { pollMs: 3_600_000 });
    const name = uniqueQueue("wake_local");
    const waiting = queue.waitForWork(name, new AbortController().signal, 3_600_000);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await queue.enqueue(name, 1);
    await waiting;
    assert.equal((await claimAll(queue, name, "w")).length, 1);
  });

  test("waitForWork wakes when a delayed job falls due, long before the poll interval", { timeout: 30_000 }, async (t) => {
    const use = resources(t);
    const { database } = get();
    const other = use.queue(database); // enqueued elsewhere, so only the due time can wake us
    const queue = use.queue(database, { pollMs: 3_600_000 });
    const name = uniqueQueue("wake_due");
    await other.enqueue(name, 1, { delayMs: 150 });
    // Wake-ups may be spurious (the first wait on PostgreSQL returns once LISTEN is set up).
    assert.equal((await claimWhenWoken(queue, name, t.signal)).length, 1);
  });

  test("close() wakes waiters", async (t) => {
    const use = resources(t);
    const queue = use.queue(get().database, { pollMs: 3_600_000 });
    const waiting = queue.waitForWork(uniqueQueue("closing"), new AbortController().signal, 3_600_000);
    await queue.close();
    assert.equal(await settlesFirst(waiting), "woke");
  });

  test("queue names are checked; the dead: prefix is reserved", async (t) => {
    const use = resources(t);
    const queue = use.queue(get().database);
    await assert.rejects(queue.enqueue("dead:deliver", 1), RangeError);
    await assert.rejects(queue.claim("", { limit: 1, leaseMs: 1, workerId: "w" }), RangeError);
    await assert.rejects(queue.enqueue("ok", undefined), TypeError);
    await assert.rejects(queue.enqueue("ok", 1, { runAt: new Date(), delayMs: 1 }), TypeError);
  });
});

describeEachEngine("job queue across connections", (get) => {
  test("waitForWork wakes on an enqueue through another connection within the poll bound", { timeout: 30_000 }, async (t) => {
    const use = resources(t);
    const db = get();
    // PostgreSQL must be woken by NOTIFY: its poll interval here is longer than the test timeout.
    // SQLite has no cross-process signal; its short poll is the documented bound.
    const pollMs = db.engine === "postgres" ? 3_600_000 : 100;
    const waiter = use.queue(db.database, { pollMs });
    const sender = use.queue(await use.connection(db.url));
    const name = uniqueQueue("wake_remote");
    const claimed = claimWhenWoken(waiter, name, t.signal);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await sender.enqueue(name, "hello");
    assert.deepEqual(
      (await claimed).map((j) => j.payload),
      ["hello"],
    );
  });

  test("an enqueue inside a transaction wakes other PostgreSQL processes once committed", { timeout: 30_000 }, async (t) => {
    const db = get();
    if (db.engine !== "postgres") return t.skip("PostgreSQL only");
    const use = resources(t);
    const waiter = use.queue(db.database, { pollMs: 3_600_000 });
    const other = await use.connection(db.url);
    const sender = use.queue(other);
    const name = uniqueQueue("wake_trx");
    const claimed = claimWhenWoken(waiter, name, t.signal);
    await other.db.transaction().execute(async (trx) => {
      await sender.enqueue(name, "committed", { executor: trx });
    });
    assert.equal((await claimed).length, 1);
  });
});

/** Queues and extra connections that are closed (queues first) when the test ends, also when it fails. */
function resources(t: TestContext): { queue(database: Database, options?: JobQueueOptions): JobQueue; connection(url: string): Promise<Database> } {
  const cleanups: (() => Promise<void>)[] = [];
  t.after(async () => {
    while (cleanups.length > 0) await cleanups.pop()!();
  });
  return {
    queue(database, options) {
      const queue = createJobQueue(database, options);
      cleanups.push(() => queue.close());
      return queue;
    },
    async connection(url) {
      const database = await openDatabase(parseDatabaseUrl(url, process.cwd()));
      cleanups.push(() => database.close());
      return database;
    },
  };
}

/** Claims after each wake-up until something comes; wake-ups may be spurious. */
async function claimWhenWoken(queue: JobQueue, name: string, signal: AbortSignal): Promise<Job[]> {
  for (;;) {
    const jobs = await claimAll(queue, name, "w");
    if (jobs.length > 0 || signal.aborted) return jobs;
    await queue.waitForWork(name, signal, 3_600_000);
  }
}
