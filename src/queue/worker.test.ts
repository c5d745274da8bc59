import assert from "node:assert/strict";
import { test, type TestContext } from "node:test";
import type { Database } from "../db/database.ts";
import { ManualClock } from "../lib/time.ts";
import { describeEachEngine } from "../testing/databases.ts";
import { createJobQueue, type Job, type JobQueue } from "./queue.ts";
import { runWorkers, type JobOutcome, type QueueHandler, type WorkerLog } from "./worker.ts";

let counter = 0;
const uniqueQueue = (label: string): string => `${label}_${++counter}_${Math.random().toString(36).slice(2, 8)}`;

const MINUTE = 60_000;

describeEachEngine("queue workers", (get) => {
  test("runWorkers processes every job once with bounded concurrency and stops cleanly", { timeout: 60_000 }, async (t) => {
    const { queue } = setup(t, get().database);
    const name = uniqueQueue("all");
    const count = 300;
    await queue.enqueueMany(
      name,
      Array.from({ length: count }, (_, i) => ({ payload: i })),
    );
    const seen = new Map<number, number>();
    let active = 0;
    let maxActive = 0;
    const allDone = Promise.withResolvers<void>();
    const controller = new AbortController();
    const run = runWorkers(
      queue,
      [
        {
          queue: name,
          concurrency: 8,
          batch: 5,
          leaseMs: MINUTE,
          async handle(job: Job<number>) {
            active++;
            maxActive = Math.max(maxActive, active);
            await new Promise((resolve) => setTimeout(resolve, job.payload % 3));
            active--;
            seen.set(job.payload, (seen.get(job.payload) ?? 0) + 1);
            if (seen.size === count) allDone.resolve();
            return { kind: "done" };
          },
        } satisfies QueueHandler<number>,
      ],
      { workerId: "w1", signal: controller.signal, log: silent() },
    );
    await allDone.promise;
    controller.abort();
    await run;
    assert.equal(seen.size, count);
    assert.deepEqual([...seen.values()].filter((n) => n !== 1), [], "no job ran twice");
    assert.ok(maxActive <= 8, `at most 8 at once, saw ${maxActive}`);
    assert.equal((await queue.depth())[name], undefined, "finished jobs are deleted before runWorkers resolves");
  });

  test("a handler exception is logged and retried with backoff", { timeout: 60_000 }, async (t) => {
    const { queue, clock, log, start } = setup(t, get().database);
    const name = uniqueQueue("throws");
    await queue.enqueue(name, "x");
    const calls: number[] = [];
    const succeeded = Promise.withResolvers<void>();
    const stop = start({
      queue: name,
      concurrency: 1,
      leaseMs: MINUTE,
      async handle(job) {
        calls.push(job.attempts);
        if (job.attempts === 1) throw new Error("boom");
        succeeded.resolve();
        return { kind: "done" };
      },
    });
    await eventually(async () => (await queue.depth())[name]?.delayed === 1);
    assert.deepEqual(calls, [1]);
    assert.match(JSON.stringify(log.lines), /boom/);
    clock.advance(7 * 3600_000); // beyond the longest backoff
    await succeeded.promise;
    await stop();
    assert.deepEqual(calls, [1, 2]);
  });

  test("retries past maxAttempts and failures end as dead letters", { timeout: 60_000 }, async (t) => {
    const { queue, clock, start } = setup(t, get().database);
    const retrying = uniqueQueue("retrying");
    const failing = uniqueQueue("failing");
    await queue.enqueue(retrying, "r");
    await queue.enqueue(failing, "f");
    let retries = 0;
    const stop = start(
      {
        queue: retrying,
        concurrency: 1,
        leaseMs: MINUTE,
        maxAttempts: 3,
        async handle(): Promise<JobOutcome> {
          retries++;
          return { kind: "retry", at: clock.now(), error: "HTTP 503" };
        },
      },
      { queue: failing, concurrency: 1, leaseMs: MINUTE, handle: async () => ({ kind: "fail", error: "HTTP 410" }) },
    );
    await eventually(async () => {
      const depth = await queue.depth();
      return depth[retrying]?.dead === 1 && depth[failing]?.dead === 1;
    });
    await stop();
    assert.equal(retries, 3);
    const errors = await get().database.db.selectFrom("jobs").select(["queue", "last_error"]).where("queue", "in", [`dead:${retrying}`, `dead:${failing}`]).orderBy("queue").execute();
    assert.deepEqual(errors.map((e) => e.last_error).sort(), ["HTTP 410", "gave up after 3 attempts: HTTP 503"]);
  });

  test("postpone hands the job back without counting an attempt", { timeout: 60_000 }, async (t) => {
    const { queue, clock, start } = setup(t, get().database);
    const name = uniqueQueue("postpone");
    await queue.enqueue(name, "x");
    const attempts: number[] = [];
    const done = Promise.withResolvers<void>();
    const stop = start({
      queue: name,
      concurrency: 1,
      leaseMs: MINUTE,
      maxAttempts: 1,
      async handle(job): Promise<JobOutcome> {
        attempts.push(job.attempts);
        if (attempts.length === 1) return { kind: "postpone", at: new Date(clock.now().getTime() + MINUTE) };
        done.resolve();
        return { kind: "done" };
      },
    });
    await eventually(async () => (await queue.depth())[name]?.delayed === 1);
    clock.advance(MINUTE);
    await done.promise;
    await stop();
    assert.deepEqual(attempts, [1, 1]);
  });

  test("the lease of a long-running job is renewed, so no one else claims it", { timeout: 60_000 }, async (t) => {
    const { queue, clock, start } = setup(t, get().database);
    const name = uniqueQueue("renew");
    const { id } = await queue.enqueue(name, "slow");
    const started = Promise.withResolvers<void>();
    const gate = Promise.withResolvers<void>();
    const stop = start({
      queue: name,
      concurrency: 1,
      leaseMs: 400, // renewed every 100 ms of real time
      async handle(): Promise<JobOutcome> {
        started.resolve();
        await gate.promise;
        return { kind: "done" };
      },
    });
    await started.promise;
    clock.advance(10 * MINUTE); // the first lease is long expired on the queue's clock
    const lockedUntil = async (): Promise<string | null | undefined> =>
      (await get().database.db.selectFrom("jobs").select("locked_until").where("id", "=", id).executeTakeFirst())?.locked_until;
    await eventually(async () => ((await lockedUntil()) ?? "") > clock.now().toISOString());
    assert.deepEqual(await queue.claim(name, { limit: 1, leaseMs: MINUTE, workerId: "intruder" }), []);
    gate.resolve();
    await eventually(async () => (await queue.depth())[name] === undefined);
    await stop();
  });

  test("stopping hands unfinished jobs back; finished ones are completed", { timeout: 60_000 }, async (t) => {
    const { queue, start } = setup(t, get().database);
    const name = uniqueQueue("stop");
    await queue.enqueueMany(name, [{ payload: "finish" }, { payload: "abandon" }, { payload: "abandon" }]);
    let running = 0;
    const allStarted = Promise.withResolvers<void>();
    const stop = start({
      queue: name,
      concurrency: 3,
      leaseMs: MINUTE,
      async handle(job: Job, signal: AbortSignal): Promise<JobOutcome> {
        if (++running === 3) allStarted.resolve();
        await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
        if (job.payload === "finish") return { kind: "done" };
        throw signal.reason;
      },
    });
    await allStarted.promise;
    await stop();
    const left = await queue.claim(name, { limit: 10, leaseMs: MINUTE, workerId: "next" });
    assert.deepEqual(
      left.map((j) => [j.payload, j.attempts]),
      [
        ["abandon", 1],
        ["abandon", 1],
      ],
      "handed back at once, the interrupted attempt not counted",
    );
  });

  test("a job whose earlier runs never reported back is buried after maxAttempts without running", { timeout: 60_000 }, async (t) => {
    const { queue, clock, start } = setup(t, get().database);
    const name = uniqueQueue("crashloop");
    await queue.enqueue(name, "poison");
    for (let i = 0; i < 2; i++) {
      // A worker that claims and dies: its lease simply expires.
      assert.equal((await queue.claim(name, { limit: 1, leaseMs: MINUTE, workerId: `dead-${i}` })).length, 1);
      clock.advance(MINUTE);
    }
    let calls = 0;
    const stop = start({
      queue: name,
      concurrency: 1,
      leaseMs: MINUTE,
      maxAttempts: 2,
      async handle(): Promise<JobOutcome> {
        calls++;
        return { kind: "done" };
      },
    });
    await eventually(async () => (await queue.depth())[name]?.dead === 1);
    await stop();
    assert.equal(calls, 0);
    const dead = await get().database.db.selectFrom("jobs").select("last_error").where("queue", "=", `dead:${name}`).executeTakeFirstOrThrow();
    assert.match(dead.last_error ?? "", /without an outcome/);
  });
});

interface CapturingLog extends WorkerLog {
  readonly lines: { message: string; properties?: Record<string, unknown> }[];
}

function capturingLog(): CapturingLog {
  const lines: CapturingLog["lines"] = [];
  const record = (message: string, properties?: Record<string, unknown>): void => {
    lines.push({ message, properties: properties && Object.fromEntries(Object.entries(properties).map(([k, v]) => [k, v instanceof Error ? v.message : v])) });
  };
  return { lines, warn: record, error: record };
}

function silent(): WorkerLog {
  return { warn: () => {}, error: () => {} };
}

interface Setup {
  readonly queue: JobQueue;
  readonly clock: ManualClock;
  readonly log: CapturingLog;
  /** Starts runWorkers; the returned function stops it and waits until it has finished. */
  start(...handlers: QueueHandler[]): () => Promise<void>;
}

/** A queue on a ManualClock with a short poll; workers are stopped and the queue closed after the test. */
function setup(t: TestContext, database: Database): Setup {
  const clock = new ManualClock();
  const queue = createJobQueue(database, { clock, pollMs: 20 });
  const log = capturingLog();
  const stops: (() => Promise<void>)[] = [];
  t.after(async () => {
    for (const stop of stops) await stop();
    await queue.close();
  });
  return {
    queue,
    clock,
    log,
    start(...handlers) {
      const controller = new AbortController();
      const run = runWorkers(queue, handlers, { workerId: `test-${process.pid}`, signal: controller.signal, log, clock });
      const stop = async (): Promise<void> => {
        controller.abort();
        await run;
      };
      stops.push(stop);
      return stop;
    },
  };
}

/** Waits for a condition the workers bring about; the bound only turns a hang into a failure. */
async function eventually(condition: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.fail("condition not reached");
}
