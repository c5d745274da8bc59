import { sql, type Kysely } from "kysely";
import type postgres from "postgres";
import type { DB } from "../db/schema.ts";
import { affected, type ClaimedRow, type QueueEngine } from "./queue.engine.ts";
import type { Wakeups } from "./queue.wakeups.ts";

// See afterEnqueueMany().
const ANALYZE_AFTER_ROWS = 1000;
const ANALYZE_INTERVAL_MS = 60_000;
// The caller's transaction is usually committed by then; if not, autovacuum catches up later.
const ANALYZE_DELAY_IN_TRANSACTION_MS = 1000;

// One channel per schema, so Herold instances (and test suites) sharing a PostgreSQL database do
// not wake each other. Channel names are identifiers of at most 63 bytes; schema names are ASCII.
const channelSql = sql<string>`left('herold_jobs_' || current_schema(), 63)`;

/**
 * The queue on PostgreSQL: claims lock candidate rows with `FOR UPDATE SKIP LOCKED`, so several
 * worker processes share a queue without handing out a job twice. Enqueues `NOTIFY` a channel
 * scoped to the current schema (delivered on commit, so also from inside a transaction); waiters
 * `LISTEN` on it (`pg`: the postgres.js client) and fall back to polling every 5 s by default.
 */
export function createPostgresEngine(db: Kysely<DB>, pg: postgres.Sql | undefined, wakeups: Wakeups): QueueEngine {
  let closed = false;
  let listening: Promise<(() => Promise<void>) | undefined> | undefined;
  let analyzeTimer: ReturnType<typeof setTimeout> | undefined;
  let analyzing: Promise<void> | undefined;
  let lastAnalyze = -Infinity;

  // PostgreSQL plans the claim from table statistics. A queue table is often empty when autovacuum
  // samples it; with those statistics a large fan-out gets a bitmap scan plus a sort of every due
  // job on each claim (quadratic in the fan-out) instead of reading the index in order. Refreshing
  // the statistics after a large insert avoids that; it is cheap (a sample) and blocks no writes.
  const scheduleAnalyze = (delayMs: number): void => {
    if (closed || analyzeTimer !== undefined || performance.now() - lastAnalyze < ANALYZE_INTERVAL_MS) return;
    analyzeTimer = setTimeout(() => {
      analyzeTimer = undefined;
      if (closed) return;
      lastAnalyze = performance.now();
      const task = sql`ANALYZE jobs`.execute(db).then(
        () => undefined,
        () => undefined, // only a planning hint: autovacuum analyzes the table later anyway
      );
      analyzing = task;
      void task.finally(() => {
        if (analyzing === task) analyzing = undefined;
      });
    }, delayMs);
    analyzeTimer.unref();
  };

  return {
    defaultPollMs: 5000,

    idIn: (ids) => sql`id = ANY(${ids}::text[])`,

    // The notification is part of the insert and only sent (on commit) if a row was added.
    insertOne: (insert, queue) => insert.returning(sql<string>`pg_notify(${channelSql}, ${queue})`.as("notified")).executeTakeFirst(),

    async insertChunk(executor, queue, rows, createdAt) {
      const result = await sql`
        INSERT INTO jobs (id, queue, payload, run_at, attempts, dedupe_key, group_key, created_at)
        SELECT t.id, ${queue}, t.payload, t.run_at, 0, t.dedupe_key, t.group_key, ${createdAt}
        FROM unnest(${rows.map((r) => r.id)}::text[], ${rows.map((r) => r.payload)}::text[],
                    ${rows.map((r) => r.runAt)}::text[], ${rows.map((r) => r.dedupeKey)}::text[],
                    ${rows.map((r) => r.group)}::text[])
             AS t(id, payload, run_at, dedupe_key, group_key)
        ON CONFLICT (dedupe_key) DO NOTHING`.execute(executor);
      return affected(result);
    },

    async announce(executor, queue) {
      await sql`SELECT pg_notify(${channelSql}, ${queue})`.execute(executor);
    },

    // ARRAY(subquery) is an init plan, evaluated once, and the update then finds its rows by
    // primary key. (An IN-subquery with LIMIT … SKIP LOCKED may be re-run by the planner and lock
    // more rows than it returns; a join with a CTE was planned as a sequential scan.)
    async claim(queue, now, until, workerId, limit) {
      const { rows } = await sql<ClaimedRow>`
        UPDATE jobs SET locked_until = ${until}, locked_by = ${workerId}, attempts = attempts + 1
        WHERE id = ANY(ARRAY(
          SELECT id FROM jobs
          WHERE queue = ${queue} AND run_at <= ${now} AND (locked_until IS NULL OR locked_until <= ${now})
          ORDER BY run_at
          LIMIT ${limit}
          FOR UPDATE SKIP LOCKED
        ))
        RETURNING id, queue, payload, run_at, attempts`.execute(db);
      return rows;
    },

    // The NOTIFY is delivered on commit; waking before it would only cause an empty claim.
    wakesAtOnce: (executor) => !executor.isTransaction,

    afterEnqueueMany(rows, inCallerTransaction) {
      if (rows >= ANALYZE_AFTER_ROWS) scheduleAnalyze(inCallerTransaction ? ANALYZE_DELAY_IN_TRANSACTION_MS : 0);
    },

    listen() {
      if (pg === undefined || closed) return Promise.resolve();
      listening ??= (async () => {
        const { rows } = await sql<{ channel: string }>`SELECT ${channelSql} AS channel`.execute(db);
        const channel = rows[0]!.channel;
        // postgres.js calls onlisten after the first LISTEN and after each reconnect; notifications
        // sent while not listening are lost, so every waiter checks the table again.
        const meta = await pg.listen(channel, (queue) => wakeups.wake(queue), wakeups.wakeAll);
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
    },

    async close() {
      closed = true;
      clearTimeout(analyzeTimer);
      analyzeTimer = undefined;
      // A query still running when the database is closed hangs postgres.js.
      await analyzing;
      const stop = await listening?.catch(() => undefined);
      await stop?.();
    },
  };
}
