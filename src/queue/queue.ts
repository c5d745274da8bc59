import { sql, type Kysely } from "kysely";
import type { Database } from "../db/database.ts";
import { toCount } from "../db/rows.ts";
import type { DB } from "../db/schema.ts";
import { newId } from "../lib/id.ts";
import { unreachable } from "../lib/result.ts";
import { iso, systemClock, type Clock } from "../lib/time.ts";
import { affected, type ClaimedRow, type InsertRow, type QueueEngine } from "./queue.engine.ts";
import { createPostgresEngine } from "./queue.postgres.ts";
import { createSqliteEngine } from "./queue.sqlite.ts";
import { createWakeups, type Wakeups } from "./queue.wakeups.ts";

/**
 * The durable job queue, stored in the `jobs` table of the configured database (SQLite or
 * PostgreSQL). It carries outbound deliveries, inbound activity processing, scheduled posts,
 * retries and refreshes.
 *
 * Guarantees:
 * - At least once: a job is deleted only by `complete` after its handler finished. A claim is a
 *   lease (`locked_until`); when a worker dies, its jobs become claimable again once the lease
 *   expires. Handlers must therefore be idempotent.
 * - A job is never claimed before `runAt`; waiters wake up when the next delayed job is due, so
 *   delayed jobs are not late by a poll interval.
 * - `attempts` is incremented by the claim itself, so a job whose handler crashes the process
 *   is still counted and cannot loop forever (see `QueueHandler.maxAttempts` in worker.ts).
 * - Jobs that exhausted their attempts are moved to the queue `dead:<name>` by `bury` and kept
 *   for inspection; `depth()` counts them, `purgeDead` removes old ones.
 *
 * Payloads are stored as JSON text and may be read by anyone with database access, logged on
 * failure and kept as dead letters indefinitely: they must NEVER contain secrets (private keys,
 * tokens, passwords). Put ids in payloads; workers load keys from the database when they run.
 *
 * Engines: what differs between them (the claim's locking, batch parameters, how other processes
 * learn of new jobs) is one strategy per engine behind `QueueEngine` (queue.engine.ts):
 * queue.sqlite.ts (one write lock, polling across processes, default every 250 ms) and
 * queue.postgres.ts (`FOR UPDATE SKIP LOCKED`, NOTIFY/LISTEN with a 5 s poll as fallback). This
 * file holds the rest once: validation, rows, the statements both engines share and waiting.
 *
 * Timestamps are ISO-8601 text from one `Clock`; they compare correctly as text on both engines.
 */
export interface Job<T = unknown> {
  readonly id: string;
  readonly queue: string;
  readonly payload: T;
  /** Claims so far, including the current one: 1 on the first run. */
  readonly attempts: number;
  /** When the job became (or becomes) due: its schedule, not the time it was claimed. */
  readonly runAt: string;
}

export interface EnqueueOptions {
  /** Not before this time. Exclusive with `delayMs`. */
  readonly runAt?: Date;
  readonly delayMs?: number;
  /**
   * At most one pending job per key, across all queues: enqueueing a key that a pending or
   * running job holds is a no-op reported as `duplicate`. The key is freed when the job is
   * completed or buried.
   */
  readonly dedupeKey?: string;
  /** A transaction (or other executor) to enqueue in, so the caller's write and its jobs commit together. */
  readonly executor?: Kysely<DB>;
}

export interface EnqueueItem {
  readonly payload: unknown;
  readonly runAt?: Date;
  readonly dedupeKey?: string;
  /** Who the job is on behalf of (the inbox: the sending server), counted by `countByGroup`. */
  readonly group?: string;
}

export interface ClaimOptions {
  /** Upper bound on jobs returned. */
  readonly limit: number;
  /** How long the claim protects the jobs from other workers; renew with `extendLease`. */
  readonly leaseMs: number;
  /** Unique per process (e.g. host, pid and a random part); only the holder may settle a job. */
  readonly workerId: string;
}

export interface QueueDepth {
  /** Due and not leased. */
  ready: number;
  /** Scheduled for later (including retries waiting for their backoff). */
  delayed: number;
  /** Leased by a worker whose lease has not expired. */
  running: number;
  /** Buried after exhausting attempts or failing permanently. */
  dead: number;
}

export interface JobQueue {
  /** Adds one job. With `dedupeKey`, reports `duplicate: true` and the pending job's id instead of adding. */
  enqueue(queue: string, payload: unknown, options?: EnqueueOptions): Promise<{ id: string; duplicate: boolean }>;
  /**
   * Adds many jobs (fan-out) in batches; returns how many were added (duplicates are skipped).
   * All or nothing: runs in one transaction, or in `executor` when that is a transaction. On
   * SQLite that transaction holds the write lock throughout (about 1 s per 50,000 jobs here).
   */
  enqueueMany(queue: string, items: readonly EnqueueItem[], options?: { executor?: Kysely<DB> }): Promise<number>;
  /** Leases up to `limit` due jobs, oldest `runAt` first, and counts an attempt on each. */
  claim(queue: string, options: ClaimOptions): Promise<Job[]>;
  /**
   * Deletes a handled job. The operations below only act while `workerId` still holds the job
   * from this claim (same `attempts`); they return false (or count fewer) when the lease was lost
   * to another worker or the job is gone.
   */
  complete(job: Job, workerId: string): Promise<boolean>;
  /** `complete` for a batch: one statement for all of them. */
  completeMany(jobs: readonly Job[], workerId: string): Promise<number>;
  /** Releases the lease and schedules the job again at `runAt`, keeping the attempt counted. */
  retry(job: Job, workerId: string, runAt: Date, error: string): Promise<boolean>;
  /**
   * Hands jobs back without counting the attempt, due again at `runAt` (default now). For jobs
   * that were claimed but not handled: on shutdown, or postponed because their target is
   * paused (circuit breaker, rate limit).
   */
  release(jobs: readonly Job[], workerId: string, runAt?: Date): Promise<number>;
  /** Moves the job to the dead-letter queue `dead:<queue>` with the error; it is never claimed again. */
  bury(job: Job, workerId: string, error: string): Promise<boolean>;
  /** Renews the leases of long-running jobs; returns how many are still held. */
  extendLease(jobs: readonly Job[], workerId: string, leaseMs: number): Promise<number>;
  /** Counts per queue name (dead letters are counted under their original queue). */
  depth(): Promise<Record<string, QueueDepth>>;
  /** Jobs of `queue` waiting or running (not dead letters) per `EnqueueItem.group`; "" for jobs without one. */
  countByGroup(queue: string): Promise<Map<string, number>>;
  /** Deletes dead letters buried before `before`; returns how many. */
  purgeDead(before: Date): Promise<number>;
  /**
   * Resolves when work may be available for `queue`: a notification, an enqueue in this process,
   * the next delayed job falling due, the poll interval, `maxWaitMs`, `close()`, or the signal
   * aborting. It never rejects; a spurious wake-up costs one empty claim.
   */
  waitForWork(queue: string, signal: AbortSignal, maxWaitMs: number): Promise<void>;
  /**
   * Stops listening and wakes all waiters. Shutdown order: abort `runWorkers` and await it, then
   * `close()`, then close the database (postgres.js hangs on queries still running when it closes).
   */
  close(): Promise<void>;
}

/** What a handler reports for a job; `runWorkers` (worker.ts) applies it. */
export type JobOutcome =
  | { readonly kind: "done" }
  /** Try again at `at`; counts as an attempt. */
  | { readonly kind: "retry"; readonly at: Date; readonly error: string }
  /** Not worth retrying: kept as a dead letter. */
  | { readonly kind: "fail"; readonly error: string }
  /** Not attempted (target paused, rate limited): due again at `at` without counting an attempt. */
  | { readonly kind: "postpone"; readonly at: Date };

export interface QueueHandler<T = unknown> {
  readonly queue: string;
  /** Jobs of this queue handled at once in this process. */
  readonly concurrency: number;
  /** Lease per claim; renewed while the handler runs. A killed worker's jobs wait this long. */
  readonly leaseMs: number;
  /** Most jobs per claim (default: concurrency, at most 100). */
  readonly batch?: number;
  /** Attempts before a job is buried instead of retried (default 10). */
  readonly maxAttempts?: number;
  /**
   * Start a claimed batch at once (true) or one job per event-loop turn (default). For handlers that
   * mostly wait for the network (deliveries); see runWorkers for why others take turns.
   */
  readonly startAtOnce?: boolean;
  /** `signal` aborts when the worker stops: finish quickly, or throw to hand the job back. */
  handle(job: Job<T>, signal: AbortSignal): Promise<JobOutcome>;
}

export interface JobQueueOptions {
  /** Source of "now" for due times and leases (tests use a ManualClock). */
  readonly clock?: Clock;
  /** Longest a waiter sleeps without a wake-up: catches enqueues by other processes and lost notifications. */
  readonly pollMs?: number;
}

/** Prefix of dead-letter queues; queue names themselves cannot contain a colon. */
export const DEAD_PREFIX = "dead:";

const QUEUE_NAME = /^[a-z][a-z0-9_.-]{0,62}$/i;
// Stored errors are for people reading dead letters; stack traces of remote failures can be huge.
const MAX_ERROR_LENGTH = 2000;
// Rows per INSERT: rows travel as one array (PostgreSQL) or JSON (SQLite) parameter, so there is no
// bind-variable limit to respect; the bound keeps statement memory and write-lock time modest.
const INSERT_CHUNK = 2000;
// Ids per UPDATE/DELETE, for the same reason.
const ID_CHUNK = 5000;

/** The queue on `database`, with the engine's strategy (queue.sqlite.ts, queue.postgres.ts) for what differs. */
export function createJobQueue(database: Database, options: JobQueueOptions = {}): JobQueue {
  const wakeups = createWakeups();
  return createQueue(database.db, createEngine(database, wakeups), wakeups, options);
}

function createEngine(database: Database, wakeups: Wakeups): QueueEngine {
  const kind = database.kind;
  switch (kind) {
    case "sqlite":
      return createSqliteEngine(database.db);
    case "postgres":
      return createPostgresEngine(database.db, database.pg, wakeups);
    default:
      return unreachable(kind);
  }
}

/** Everything engine-neutral: validation, rows, the statements both engines share, waiting. */
function createQueue(db: Kysely<DB>, engine: QueueEngine, wakeups: Wakeups, options: JobQueueOptions): JobQueue {
  const clock = options.clock ?? systemClock;
  const pollMs = options.pollMs ?? engine.defaultPollMs;
  const { wake } = wakeups;
  let closed = false;
  // Next-due lookups of waiters still running; close() waits for them.
  const lookups = new Set<Promise<void>>();

  const forChunks = async <T>(items: readonly T[], size: number, fn: (chunk: readonly T[]) => Promise<number>): Promise<number> => {
    let total = 0;
    for (let i = 0; i < items.length; i += size) total += await fn(items.slice(i, i + size));
    return total;
  };

  const afterEnqueue = (queue: string, executor: Kysely<DB>): void => {
    if (engine.wakesAtOnce(executor)) wake(queue);
  };

  return {
    async enqueue(queue, payload, opts = {}) {
      checkQueueName(queue);
      if (opts.runAt !== undefined && opts.delayMs !== undefined) throw new TypeError("enqueue: give runAt or delayMs, not both");
      const now = clock.now();
      const runAt = opts.runAt ?? new Date(now.getTime() + (opts.delayMs ?? 0));
      const row = {
        id: newId(),
        queue,
        payload: serialize(payload),
        run_at: validIso(runAt),
        attempts: 0,
        locked_until: null,
        locked_by: null,
        last_error: null,
        dedupe_key: opts.dedupeKey ?? null,
        group_key: null,
        created_at: iso(now),
      };
      const executor = opts.executor ?? db;
      // A duplicate may finish between our insert and the lookup; then insert again. Three rounds
      // only fail if the same key is enqueued and completed continuously by others.
      for (let round = 0; round < 3; round++) {
        let insert = executor.insertInto("jobs").values(row).returning("id");
        if (row.dedupe_key !== null) insert = insert.onConflict((oc) => oc.column("dedupe_key").doNothing());
        const inserted = await engine.insertOne(insert, queue);
        if (inserted !== undefined) {
          afterEnqueue(queue, executor);
          return { id: inserted.id, duplicate: false };
        }
        const existing = await executor.selectFrom("jobs").select("id").where("dedupe_key", "=", row.dedupe_key).executeTakeFirst();
        if (existing !== undefined) return { id: existing.id, duplicate: true };
      }
      throw new Error(`enqueue: dedupe key ${JSON.stringify(row.dedupe_key)} kept changing hands`);
    },

    async enqueueMany(queue, items, opts = {}) {
      checkQueueName(queue);
      if (items.length === 0) return 0;
      const now = clock.now();
      const nowMs = now.getTime();
      const rows: InsertRow[] = items.map((item) => ({
        id: newId(),
        payload: serialize(item.payload),
        runAt: validIso(item.runAt ?? new Date(nowMs)),
        dedupeKey: item.dedupeKey ?? null,
        group: item.group ?? null,
      }));
      const createdAt = iso(now);
      const run = async (executor: Kysely<DB>): Promise<number> => {
        const added = await forChunks(rows, INSERT_CHUNK, (chunk) => engine.insertChunk(executor, queue, chunk, createdAt));
        if (added > 0) await engine.announce(executor, queue);
        return added;
      };
      const executor = opts.executor ?? db;
      const inCallerTransaction = executor.isTransaction;
      const added = inCallerTransaction ? await run(executor) : await executor.transaction().execute(run);
      if (added > 0) afterEnqueue(queue, executor);
      engine.afterEnqueueMany(added, inCallerTransaction);
      return added;
    },

    async claim(queue, { limit, leaseMs, workerId }) {
      checkQueueName(queue);
      if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`claim: limit must be a positive integer, got ${limit}`);
      checkLease(leaseMs);
      const now = clock.now();
      const rows = await engine.claim(queue, iso(now), iso(new Date(now.getTime() + leaseMs)), workerId, limit);
      return rows
        .map(toJob)
        .sort((a, b) => (a.runAt < b.runAt ? -1 : a.runAt > b.runAt ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    },

    async complete(job, workerId) {
      const result = await db
        .deleteFrom("jobs")
        .where("id", "=", job.id)
        .where("locked_by", "=", workerId)
        .where("attempts", "=", job.attempts)
        .executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },

    async completeMany(jobs, workerId) {
      // The attempt fence is left out here: if this worker lost a lease and won the same job again,
      // the job is done either way.
      return forChunks(
        jobs.map((j) => j.id),
        ID_CHUNK,
        async (ids) => affected(await sql`DELETE FROM jobs WHERE ${engine.idIn(ids)} AND locked_by = ${workerId}`.execute(db)),
      );
    },

    async retry(job, workerId, runAt, error) {
      const result = await db
        .updateTable("jobs")
        .set({ run_at: validIso(runAt), locked_until: null, locked_by: null, last_error: truncate(error) })
        .where("id", "=", job.id)
        .where("locked_by", "=", workerId)
        .where("attempts", "=", job.attempts)
        .executeTakeFirst();
      const done = Number(result.numUpdatedRows) > 0;
      if (done) wake(job.queue);
      return done;
    },

    async release(jobs, workerId, runAt) {
      const at = runAt === undefined ? undefined : validIso(runAt);
      const released = await forChunks(
        jobs.map((j) => j.id),
        ID_CHUNK,
        async (ids) =>
          affected(
            await sql`
              UPDATE jobs SET locked_until = NULL, locked_by = NULL, attempts = attempts - 1, run_at = COALESCE(${at ?? null}, run_at)
              WHERE ${engine.idIn(ids)} AND locked_by = ${workerId} AND attempts > 0`.execute(db),
          ),
      );
      for (const name of new Set(jobs.map((j) => j.queue))) wake(name);
      return released;
    },

    async bury(job, workerId, error) {
      // The dedupe key is released so that new work for the same key is not blocked by a dead letter.
      const result = await db
        .updateTable("jobs")
        .set({
          queue: DEAD_PREFIX + job.queue,
          run_at: iso(clock.now()),
          locked_until: null,
          locked_by: null,
          last_error: truncate(error),
          dedupe_key: null,
        })
        .where("id", "=", job.id)
        .where("locked_by", "=", workerId)
        .where("attempts", "=", job.attempts)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },

    async extendLease(jobs, workerId, leaseMs) {
      checkLease(leaseMs);
      const until = iso(new Date(clock.now().getTime() + leaseMs));
      return forChunks(
        jobs.map((j) => j.id),
        ID_CHUNK,
        async (ids) =>
          affected(await sql`UPDATE jobs SET locked_until = ${until} WHERE ${engine.idIn(ids)} AND locked_by = ${workerId}`.execute(db)),
      );
    },

    async depth() {
      const now = iso(clock.now());
      const { rows } = await sql<{ queue: string; running: unknown; ready: unknown; delayed: unknown; total: unknown }>`
        SELECT queue,
          SUM(CASE WHEN locked_until > ${now} THEN 1 ELSE 0 END) AS running,
          SUM(CASE WHEN (locked_until IS NULL OR locked_until <= ${now}) AND run_at <= ${now} THEN 1 ELSE 0 END) AS ready,
          SUM(CASE WHEN (locked_until IS NULL OR locked_until <= ${now}) AND run_at > ${now} THEN 1 ELSE 0 END) AS delayed,
          COUNT(*) AS total
        FROM jobs GROUP BY queue`.execute(db);
      const out: Record<string, QueueDepth> = {};
      const entry = (name: string): QueueDepth => (out[name] ??= { ready: 0, delayed: 0, running: 0, dead: 0 });
      for (const row of rows) {
        if (row.queue.startsWith(DEAD_PREFIX)) {
          entry(row.queue.slice(DEAD_PREFIX.length)).dead += toCount(row.total as number);
        } else {
          const d = entry(row.queue);
          d.ready += toCount(row.ready as number);
          d.delayed += toCount(row.delayed as number);
          d.running += toCount(row.running as number);
        }
      }
      return out;
    },

    async countByGroup(queue) {
      const rows = await db
        .selectFrom("jobs")
        .select(["group_key", (eb) => eb.fn.countAll().as("n")])
        .where("queue", "=", queue)
        .groupBy("group_key")
        .execute();
      return new Map(rows.map((row) => [row.group_key ?? "", Number(row.n)]));
    },

    async purgeDead(before) {
      const result = await db
        .deleteFrom("jobs")
        .where("queue", "like", `${DEAD_PREFIX}%`)
        .where("run_at", "<", validIso(before))
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },

    waitForWork(queue, signal, maxWaitMs) {
      checkQueueName(queue);
      if (closed || signal.aborted) return Promise.resolve();
      const waiter = wakeups.wait(queue, signal, Math.max(0, Math.min(maxWaitMs, pollMs)));
      if (waiter === undefined) return Promise.resolve();
      // Sleep no longer than until the next delayed job is due. Errors only mean the poll
      // interval applies; claim() reports database trouble to the caller.
      const lookup = (async () => {
        try {
          await engine.listen();
          if (waiter.finished || closed) return;
          const next = await db
            .selectFrom("jobs")
            .select((eb) => eb.fn.min("run_at").as("next"))
            .where("queue", "=", queue)
            .where("run_at", ">", iso(clock.now()))
            .executeTakeFirst();
          if (waiter.finished || next?.next == null) return;
          waiter.shorten(Math.max(0, Date.parse(next.next) - clock.now().getTime()));
        } catch {
          // fall back to the poll interval
        }
      })();
      // close() waits for these: a query still running when the database is closed hangs postgres.js.
      lookups.add(lookup);
      void lookup.finally(() => lookups.delete(lookup));
      return waiter.done;
    },

    async close() {
      if (closed) return;
      closed = true;
      const stopping = engine.close();
      wakeups.wakeAll();
      await Promise.all(lookups);
      await stopping;
    },
  };
}

function toJob(row: ClaimedRow): Job {
  return { id: row.id, queue: row.queue, payload: JSON.parse(row.payload), attempts: Number(row.attempts), runAt: row.run_at };
}

function checkQueueName(queue: string): void {
  if (!QUEUE_NAME.test(queue)) {
    throw new RangeError(`queue name must match ${QUEUE_NAME} (no colon: "${DEAD_PREFIX}" is reserved), got ${JSON.stringify(queue)}`);
  }
}

function checkLease(leaseMs: number): void {
  if (!Number.isFinite(leaseMs) || leaseMs <= 0) throw new RangeError(`leaseMs must be positive, got ${leaseMs}`);
}

function serialize(payload: unknown): string {
  const text = JSON.stringify(payload);
  if (text === undefined) throw new TypeError("job payload must be JSON-serialisable");
  return text;
}

function validIso(date: Date): string {
  if (Number.isNaN(date.getTime())) throw new RangeError("invalid date for a job");
  return iso(date);
}

function truncate(error: string): string {
  return error.length > MAX_ERROR_LENGTH ? `${error.slice(0, MAX_ERROR_LENGTH)}…` : error;
}
