import { sql, type Kysely, type RawBuilder } from "kysely";
import type { Database } from "../db/database.ts";
import { toCount } from "../db/rows.ts";
import type { DB } from "../db/schema.ts";
import { newId } from "../lib/id.ts";
import { iso, systemClock, type Clock } from "../lib/time.ts";

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
 * Engines:
 * - PostgreSQL: claims lock candidate rows with `FOR UPDATE SKIP LOCKED`, so several worker
 *   processes share a queue without handing out a job twice. Enqueues `NOTIFY` a channel
 *   scoped to the current schema (delivered on commit, so also from inside a transaction);
 *   waiters `LISTEN` on it and fall back to polling every `pollMs` (default 5 s).
 * - SQLite (one file, WAL, shared by the web, worker and CLI processes): a claim is one
 *   `UPDATE … WHERE id IN (SELECT … LIMIT n) RETURNING`, which SQLite executes under its single
 *   write lock. Enqueues in this process wake waiters at once; enqueues by other processes are
 *   seen by the poll (default every 250 ms).
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

// See scheduleAnalyze().
const ANALYZE_AFTER_ROWS = 1000;
const ANALYZE_INTERVAL_MS = 60_000;
// The caller's transaction is usually committed by then; if not, autovacuum catches up later.
const ANALYZE_DELAY_IN_TRANSACTION_MS = 1000;

const DEFAULT_POLL_MS = { sqlite: 250, postgres: 5000 } as const;

interface ClaimedRow {
  id: string;
  queue: string;
  payload: string;
  run_at: string;
  attempts: number | string;
}

export function createJobQueue(database: Database, options: JobQueueOptions = {}): JobQueue {
  const clock = options.clock ?? systemClock;
  const pollMs = options.pollMs ?? DEFAULT_POLL_MS[database.kind];
  const { db } = database;
  const isPg = database.kind === "postgres";

  // Wake-ups. A wake for a queue nobody waits on is remembered (`pending`) so the next
  // waitForWork returns at once: a notification between an empty claim and the wait is not lost.
  const waiters = new Map<string, Set<() => void>>();
  const pending = new Set<string>();
  let closed = false;
  const background = new Set<Promise<void>>();
  let analyzeTimer: ReturnType<typeof setTimeout> | undefined;
  let lastAnalyze = -Infinity;
  let listening: Promise<(() => Promise<void>) | undefined> | undefined;

  const wake = (queue: string): void => {
    const set = waiters.get(queue);
    if (set !== undefined && set.size > 0) for (const resolve of [...set]) resolve();
    else pending.add(queue);
  };
  const wakeAll = (): void => {
    for (const set of waiters.values()) for (const resolve of [...set]) resolve();
  };

  // One channel per schema, so Herold instances (and test suites) sharing a PostgreSQL database do
  // not wake each other. Channel names are identifiers of at most 63 bytes; schema names are ASCII.
  const channelSql = sql<string>`left('herold_jobs_' || current_schema(), 63)`;

  const ensureListening = (): Promise<unknown> => {
    const pg = database.pg;
    if (!isPg || pg === undefined || closed) return Promise.resolve();
    listening ??= (async () => {
      const { rows } = await sql<{ channel: string }>`SELECT ${channelSql} AS channel`.execute(db);
      const channel = rows[0]!.channel;
      // postgres.js calls onlisten after the first LISTEN and after each reconnect; notifications
      // sent while not listening are lost, so every waiter checks the table again.
      const meta = await pg.listen(channel, (queue) => wake(queue), wakeAll);
      if (closed) {
        await meta.unlisten();
        return undefined;
      }
      return () => meta.unlisten();
    })().catch((error: unknown) => {
      listening = undefined; // try again on the next wait; until then the poll interval applies
      throw error;
    });
    return listening;
  };

  const idIn = (ids: readonly string[]): RawBuilder<unknown> =>
    isPg ? sql`id = ANY(${ids}::text[])` : sql`id IN (SELECT value FROM json_each(${JSON.stringify(ids)}))`;

  const forChunks = async <T>(items: readonly T[], size: number, fn: (chunk: readonly T[]) => Promise<number>): Promise<number> => {
    let total = 0;
    for (let i = 0; i < items.length; i += size) total += await fn(items.slice(i, i + size));
    return total;
  };

  const affected = (result: { numAffectedRows?: bigint }): number => Number(result.numAffectedRows ?? 0n);

  const insertChunk = async (executor: Kysely<DB>, queue: string, rows: readonly InsertRow[], createdAt: string): Promise<number> => {
    if (isPg) {
      const result = await sql`
        INSERT INTO jobs (id, queue, payload, run_at, attempts, dedupe_key, group_key, created_at)
        SELECT t.id, ${queue}, t.payload, t.run_at, 0, t.dedupe_key, t.group_key, ${createdAt}
        FROM unnest(${rows.map((r) => r.id)}::text[], ${rows.map((r) => r.payload)}::text[],
                    ${rows.map((r) => r.runAt)}::text[], ${rows.map((r) => r.dedupeKey)}::text[],
                    ${rows.map((r) => r.group)}::text[])
             AS t(id, payload, run_at, dedupe_key, group_key)
        ON CONFLICT (dedupe_key) DO NOTHING`.execute(executor);
      return affected(result);
    }
    const json = JSON.stringify(rows.map((r) => [r.id, r.payload, r.runAt, r.dedupeKey, r.group]));
    const result = await sql`
      INSERT INTO jobs (id, queue, payload, run_at, attempts, dedupe_key, group_key, created_at)
      SELECT value ->> 0, ${queue}, value ->> 1, value ->> 2, 0, value ->> 3, value ->> 4, ${createdAt}
      FROM json_each(${json}) WHERE true
      ON CONFLICT (dedupe_key) DO NOTHING`.execute(executor);
    return affected(result);
  };

  const queue: JobQueue = {
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
        // The notification is part of the insert and only sent (on commit) if a row was added.
        const inserted = isPg
          ? await insert.returning(sql<string>`pg_notify(${channelSql}, ${queue})`.as("notified")).executeTakeFirst()
          : await insert.executeTakeFirst();
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
        const added = await forChunks(rows, INSERT_CHUNK, (chunk) => insertChunk(executor, queue, chunk, createdAt));
        if (isPg && added > 0) await sql`SELECT pg_notify(${channelSql}, ${queue})`.execute(executor);
        return added;
      };
      const executor = opts.executor ?? db;
      const inCallerTransaction = executor.isTransaction;
      const added = inCallerTransaction ? await run(executor) : await executor.transaction().execute(run);
      if (added > 0) afterEnqueue(queue, executor);
      if (added >= ANALYZE_AFTER_ROWS) scheduleAnalyze(inCallerTransaction ? ANALYZE_DELAY_IN_TRANSACTION_MS : 0);
      return added;
    },

    async claim(queue, { limit, leaseMs, workerId }) {
      checkQueueName(queue);
      if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`claim: limit must be a positive integer, got ${limit}`);
      checkLease(leaseMs);
      const now = clock.now();
      const nowText = iso(now);
      const until = iso(new Date(now.getTime() + leaseMs));
      // PostgreSQL: ARRAY(subquery) is an init plan, evaluated once, and the update then finds its
      // rows by primary key. (An IN-subquery with LIMIT … SKIP LOCKED may be re-run by the planner
      // and lock more rows than it returns; a join with a CTE was planned as a sequential scan.)
      const { rows } = isPg
        ? await sql<ClaimedRow>`
            UPDATE jobs SET locked_until = ${until}, locked_by = ${workerId}, attempts = attempts + 1
            WHERE id = ANY(ARRAY(
              SELECT id FROM jobs
              WHERE queue = ${queue} AND run_at <= ${nowText} AND (locked_until IS NULL OR locked_until <= ${nowText})
              ORDER BY run_at
              LIMIT ${limit}
              FOR UPDATE SKIP LOCKED
            ))
            RETURNING id, queue, payload, run_at, attempts`.execute(db)
        : await sql<ClaimedRow>`
            UPDATE jobs SET locked_until = ${until}, locked_by = ${workerId}, attempts = attempts + 1
            WHERE id IN (
              SELECT id FROM jobs
              WHERE queue = ${queue} AND run_at <= ${nowText} AND (locked_until IS NULL OR locked_until <= ${nowText})
              ORDER BY run_at
              LIMIT ${limit}
            )
            RETURNING id, queue, payload, run_at, attempts`.execute(db);
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
        async (ids) => affected(await sql`DELETE FROM jobs WHERE ${idIn(ids)} AND locked_by = ${workerId}`.execute(db)),
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
              WHERE ${idIn(ids)} AND locked_by = ${workerId} AND attempts > 0`.execute(db),
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
          affected(await sql`UPDATE jobs SET locked_until = ${until} WHERE ${idIn(ids)} AND locked_by = ${workerId}`.execute(db)),
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
      if (closed || signal.aborted || pending.delete(queue)) return Promise.resolve();
      let set = waiters.get(queue);
      if (set === undefined) waiters.set(queue, (set = new Set()));
      const waiting = set;
      const started = performance.now();
      const bound = Math.max(0, Math.min(maxWaitMs, pollMs));
      let timer: ReturnType<typeof setTimeout> | undefined;
      let finished = false;

      const done = new Promise<void>((resolve) => {
        const finish = (): void => {
          if (finished) return;
          finished = true;
          clearTimeout(timer);
          signal.removeEventListener("abort", finish);
          waiting.delete(finish);
          resolve();
        };
        waiting.add(finish);
        signal.addEventListener("abort", finish, { once: true });
        timer = setTimeout(finish, bound);

        // Sleep no longer than until the next delayed job is due. Errors only mean the poll
        // interval applies; claim() reports database trouble to the caller.
        const lookup = (async () => {
          try {
            await ensureListening();
            if (finished || closed) return;
            const next = await db
              .selectFrom("jobs")
              .select((eb) => eb.fn.min("run_at").as("next"))
              .where("queue", "=", queue)
              .where("run_at", ">", iso(clock.now()))
              .executeTakeFirst();
            if (finished || next?.next == null) return;
            const dueIn = Math.max(0, Date.parse(next.next) - clock.now().getTime());
            const left = bound - (performance.now() - started);
            if (dueIn < left) {
              clearTimeout(timer);
              timer = setTimeout(finish, dueIn);
            }
          } catch {
            // fall back to the poll interval
          }
        })();
        // close() waits for these: a query still running when the database is closed hangs postgres.js.
        background.add(lookup);
        void lookup.finally(() => background.delete(lookup));
      });
      return done;
    },

    async close() {
      if (closed) return;
      closed = true;
      clearTimeout(analyzeTimer);
      analyzeTimer = undefined;
      wakeAll();
      await Promise.all(background);
      const stop = await listening?.catch(() => undefined);
      await stop?.();
    },
  };

  // PostgreSQL plans the claim from table statistics. A queue table is often empty when autovacuum
  // samples it; with those statistics a large fan-out gets a bitmap scan plus a sort of every due
  // job on each claim (quadratic in the fan-out) instead of reading the index in order. Refreshing
  // the statistics after a large insert avoids that; it is cheap (a sample) and blocks no writes.
  function scheduleAnalyze(delayMs: number): void {
    if (!isPg || closed || analyzeTimer !== undefined || performance.now() - lastAnalyze < ANALYZE_INTERVAL_MS) return;
    analyzeTimer = setTimeout(() => {
      analyzeTimer = undefined;
      if (closed) return;
      lastAnalyze = performance.now();
      const task = sql`ANALYZE jobs`.execute(db).then(
        () => undefined,
        () => undefined, // only a planning hint: autovacuum analyzes the table later anyway
      );
      background.add(task);
      void task.finally(() => background.delete(task));
    }, delayMs);
    analyzeTimer.unref();
  }

  function afterEnqueue(queue: string, executor: Kysely<DB>): void {
    // SQLite: waking before the caller's transaction commits is fine, because this process has one
    // connection and the woken claim waits for the transaction to end. PostgreSQL: the NOTIFY is
    // delivered on commit; a wake now would only cause an empty claim.
    if (!isPg || !executor.isTransaction) wake(queue);
  }

  return queue;
}

interface InsertRow {
  id: string;
  payload: string;
  runAt: string;
  dedupeKey: string | null;
  group: string | null;
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
