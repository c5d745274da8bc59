import { logger } from "../lib/logger.ts";
import { systemClock, type Clock } from "../lib/time.ts";
import type { Job, JobOutcome, JobQueue, QueueHandler } from "./queue.ts";

// The handler contract lives beside the queue (modules declare handlers without the runner).
export type { JobOutcome, QueueHandler } from "./queue.ts";

/** The part of a LogTape logger the runner uses. */
export interface WorkerLog {
  warn(message: string, properties?: Record<string, unknown>): void;
  error(message: string, properties?: Record<string, unknown>): void;
}

export interface RunWorkersOptions {
  /** Unique per process; recorded as the lease holder. */
  readonly workerId: string;
  readonly signal: AbortSignal;
  readonly log?: WorkerLog;
  /** For retry times after exceptions; use the queue's clock. */
  readonly clock?: Clock;
  /** Longest single wait for work (the queue's poll interval usually ends it sooner). */
  readonly maxWaitMs?: number;
}

const DEFAULT_MAX_ATTEMPTS = 10;
const DEFAULT_MAX_BATCH = 100;
const RETRY_BASE_MS = 30_000;
const RETRY_CAP_MS = 6 * 3600_000;

/**
 * Runs queue handlers with bounded concurrency per queue, on top of a `JobQueue`.
 *
 * - Claims in batches of up to the free capacity (`batch` at most) and claims again at once
 *   while batches come back full; otherwise waits with `waitForWork`. The jobs of a batch start
 *   one per event-loop turn unless the handler says `startAtOnce`.
 * - Completions are grouped: jobs that finish while a delete is in flight go into the next one.
 * - Leases of running jobs are renewed every quarter lease, so a slow handler keeps its job and
 *   a dead process loses its jobs within one lease.
 * - A handler exception is a retry with exponential backoff (and is logged). A job past
 *   `maxAttempts` is buried as a dead letter, including jobs whose earlier runs ended without an
 *   outcome (the process died while handling them).
 * - Stopping (`signal` aborts): nothing new is claimed, jobs claimed but not started are handed
 *   back, running handlers see the aborted signal and are awaited. A handler that throws after
 *   the abort has its job handed back without counting the attempt; a worker killed outright
 *   leaves leases that expire.
 *
 * Resolves after `signal` aborts and every claimed job was settled or handed back.
 */
export async function runWorkers(queue: JobQueue, handlers: readonly QueueHandler[], options: RunWorkersOptions): Promise<void> {
  const names = new Set<string>();
  for (const h of handlers) {
    if (names.has(h.queue)) throw new RangeError(`runWorkers: two handlers for queue ${JSON.stringify(h.queue)}`);
    names.add(h.queue);
    if (!Number.isInteger(h.concurrency) || h.concurrency < 1) throw new RangeError(`${h.queue}: concurrency must be a positive integer`);
    if (h.batch !== undefined && (!Number.isInteger(h.batch) || h.batch < 1)) throw new RangeError(`${h.queue}: batch must be a positive integer`);
    if (!(h.leaseMs > 0)) throw new RangeError(`${h.queue}: leaseMs must be positive`);
  }
  await Promise.all(handlers.map((h) => runQueue(queue, h, options)));
}

/** Exponential backoff for handler exceptions: 30 s, 1 min, 2 min, … capped at 6 h, with ±10 % jitter. */
export function backoffMs(attempts: number): number {
  const base = Math.min(RETRY_CAP_MS, RETRY_BASE_MS * 2 ** Math.max(0, Math.min(attempts - 1, 30)));
  return Math.round(base * (0.9 + Math.random() * 0.2));
}

interface Running {
  readonly job: Job;
  renewedAt: number;
}

async function runQueue(queue: JobQueue, handler: QueueHandler, options: RunWorkersOptions): Promise<void> {
  const { workerId, signal } = options;
  const log = options.log ?? logger("queue");
  const clock = options.clock ?? systemClock;
  const maxWaitMs = options.maxWaitMs ?? 60_000;
  const maxAttempts = handler.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  const batch = handler.batch ?? Math.min(handler.concurrency, DEFAULT_MAX_BATCH);
  // Under full load, claiming every single freed slot would cost one query per job; wait until an
  // eighth of the slots (or a batch) is free instead.
  const refill = Math.max(1, Math.min(batch, Math.floor(handler.concurrency / 8)));
  const name = handler.queue;

  const running = new Map<string, Running>();
  const tasks = new Set<Promise<void>>();
  let slotFreed: (() => void) | undefined;

  // Group completions: jobs finishing in the same event-loop turn, or while a delete is in flight,
  // are deleted together. Waiting for the turn matters on SQLite: its statements finish within
  // microtasks, so without it every job would be deleted alone.
  let toComplete: Job[] = [];
  let completing: Promise<void> | undefined;
  const complete = (job: Job): void => {
    toComplete.push(job);
    completing ??= (async () => {
      await new Promise((resolve) => setImmediate(resolve));
      while (toComplete.length > 0) {
        const jobs = toComplete;
        toComplete = [];
        try {
          await queue.completeMany(jobs, workerId);
        } catch (error) {
          // The jobs keep their leases and run again after they expire: at least once, not lost.
          log.error("Could not delete {count} finished jobs of {queue}: {error}", { count: jobs.length, queue: name, error });
        }
      }
      completing = undefined;
    })();
  };

  let renewing = false;
  const renewEvery = Math.max(10, Math.floor(handler.leaseMs / 4));
  const renewTimer = setInterval(() => {
    if (renewing) return;
    const now = performance.now();
    const due = [...running.values()].filter((r) => now - r.renewedAt >= renewEvery);
    if (due.length === 0) return;
    renewing = true;
    queue
      .extendLease(
        due.map((r) => r.job),
        workerId,
        handler.leaseMs,
      )
      .then((held) => {
        for (const r of due) r.renewedAt = now;
        if (held < due.length) {
          log.warn("Lost the lease of {lost} running jobs of {queue}; another worker may run them too", { lost: due.length - held, queue: name });
        }
      })
      .catch((error: unknown) => log.warn("Could not renew leases in {queue}: {error}", { queue: name, error }))
      .finally(() => {
        renewing = false;
      });
  }, renewEvery);

  const settle = async (job: Job, outcome: JobOutcome): Promise<void> => {
    switch (outcome.kind) {
      case "done":
        complete(job);
        return;
      case "retry":
        if (job.attempts >= maxAttempts) {
          await queue.bury(job, workerId, `gave up after ${job.attempts} attempts: ${outcome.error}`);
        } else {
          await queue.retry(job, workerId, outcome.at, outcome.error);
        }
        return;
      case "fail":
        await queue.bury(job, workerId, outcome.error);
        return;
      case "postpone":
        await queue.release([job], workerId, outcome.at);
        return;
      default:
        // Only reachable from untyped handlers; the job runs again once its lease expires.
        throw new Error(`unknown job outcome ${JSON.stringify(outcome satisfies never)}`);
    }
  };

  const run = async (job: Job): Promise<void> => {
    let outcome: JobOutcome | undefined;
    try {
      outcome = await handler.handle(job, signal);
    } catch (error) {
      if (!signal.aborted) {
        const at = new Date(clock.now().getTime() + backoffMs(job.attempts));
        log.warn("Job {id} of {queue} threw (attempt {attempts}): {error}", { id: job.id, queue: name, attempts: job.attempts, error });
        outcome = { kind: "retry", at, error: describe(error) };
      }
    }
    running.delete(job.id);
    slotFreed?.();
    try {
      if (outcome === undefined) await queue.release([job], workerId);
      else await settle(job, outcome);
    } catch (error) {
      log.error("Could not record the outcome of job {id} of {queue}; it runs again after its lease: {error}", {
        id: job.id,
        queue: name,
        error,
      });
    }
  };

  const start = (job: Job): void => {
    let task: Promise<void>;
    if (job.attempts > maxAttempts) {
      // Earlier runs ended without an outcome (the process died while handling it): a job that
      // crashes workers must not do so forever.
      const error = `gave up after ${job.attempts - 1} attempts without an outcome (worker stopped or crashed while handling)`;
      task = queue.bury(job, workerId, error).then(
        () => undefined,
        (error: unknown) => log.error("Could not bury job {id} of {queue}: {error}", { id: job.id, queue: name, error }),
      );
    } else {
      running.set(job.id, { job, renewedAt: performance.now() });
      task = run(job);
    }
    tasks.add(task);
    void task.finally(() => tasks.delete(task));
  };

  let claimFailures = 0;
  try {
    while (!signal.aborted) {
      const free = handler.concurrency - running.size;
      if (free < refill) {
        await until(signal, (wake) => (slotFreed = wake));
        slotFreed = undefined;
        // Let the other jobs finishing in this turn free their slots too: fewer, fuller claims.
        await new Promise((resolve) => setImmediate(resolve));
        continue;
      }
      const want = Math.min(free, batch);
      let jobs: Job[];
      try {
        jobs = await queue.claim(name, { limit: want, leaseMs: handler.leaseMs, workerId });
        claimFailures = 0;
      } catch (error) {
        claimFailures++;
        log.error("Could not claim jobs from {queue}: {error}", { queue: name, error });
        await sleep(Math.min(30_000, 500 * 2 ** Math.min(claimFailures, 6)), signal);
        continue;
      }
      if (signal.aborted) {
        if (jobs.length > 0) await queue.release(jobs, workerId).catch(() => undefined); // else their leases expire
        break;
      }
      for (const job of jobs) {
        start(job);
        // One job start per event-loop turn. A handler whose work is synchronous (SQLite) runs its
        // whole chain of promise continuations without returning to the event loop; started all at
        // once, a batch would keep the loop from reading sockets until every job in it finished,
        // and a web role in the same process would stop accepting meanwhile (measured with
        // `npm run bench -- inbound`: 860 → 1,450 accepted/s). Jobs that wait for the network still
        // overlap; handlers that do little else (deliveries) start their batch at once.
        if (!handler.startAtOnce) await new Promise((resolve) => setImmediate(resolve));
      }
      if (jobs.length < want) await queue.waitForWork(name, signal, maxWaitMs);
    }
    while (tasks.size > 0) await Promise.all(tasks);
    while (completing !== undefined) await completing;
  } finally {
    clearInterval(renewTimer);
  }
}

/** Resolves when `register`'s callback is called or `signal` aborts, without leaving listeners behind. */
function until(signal: AbortSignal, register: (wake: () => void) => void): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      signal.removeEventListener("abort", done);
      resolve();
    };
    signal.addEventListener("abort", done, { once: true });
    register(done);
  });
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return until(signal, (wake) => (timer = setTimeout(wake, ms))).finally(() => clearTimeout(timer));
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
