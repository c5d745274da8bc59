import { sql, type Kysely } from "kysely";
import type { DB } from "../db/schema.ts";
import { affected, type ClaimedRow, type QueueEngine } from "./queue.engine.ts";

/**
 * The queue on SQLite (one file, WAL, shared by the web, worker and CLI processes). A claim is
 * one `UPDATE … WHERE id IN (SELECT … LIMIT n) RETURNING`, which SQLite executes under its single
 * write lock, so no two claims get the same job. Enqueues in this process wake its waiters at
 * once; SQLite cannot tell other processes, so their waiters see new jobs by polling (default
 * every 250 ms).
 */
export function createSqliteEngine(db: Kysely<DB>): QueueEngine {
  return {
    defaultPollMs: 250,

    idIn: (ids) => sql`id IN (SELECT value FROM json_each(${JSON.stringify(ids)}))`,

    insertOne: (insert) => insert.executeTakeFirst(),

    async insertChunk(executor, queue, rows, createdAt) {
      const json = JSON.stringify(rows.map((r) => [r.id, r.payload, r.runAt, r.dedupeKey, r.group]));
      const result = await sql`
        INSERT INTO jobs (id, queue, payload, run_at, attempts, dedupe_key, group_key, created_at)
        SELECT value ->> 0, ${queue}, value ->> 1, value ->> 2, 0, value ->> 3, value ->> 4, ${createdAt}
        FROM json_each(${json}) WHERE true
        ON CONFLICT (dedupe_key) DO NOTHING`.execute(executor);
      return affected(result);
    },

    announce: async () => {},

    async claim(queue, now, until, workerId, limit) {
      const { rows } = await sql<ClaimedRow>`
        UPDATE jobs SET locked_until = ${until}, locked_by = ${workerId}, attempts = attempts + 1
        WHERE id IN (
          SELECT id FROM jobs
          WHERE queue = ${queue} AND run_at <= ${now} AND (locked_until IS NULL OR locked_until <= ${now})
          ORDER BY run_at
          LIMIT ${limit}
        )
        RETURNING id, queue, payload, run_at, attempts`.execute(db);
      return rows;
    },

    // Waking before the caller's transaction commits is fine: this process has one connection, so
    // the woken claim waits for the transaction to end.
    wakesAtOnce: () => true,

    afterEnqueueMany: () => {},

    listen: () => Promise.resolve(),

    close: () => Promise.resolve(),
  };
}
