import type { InsertQueryBuilder, Kysely, RawBuilder } from "kysely";
import type { DB } from "../db/schema.ts";

/**
 * What differs between SQLite and PostgreSQL in the job queue: the statements that need an
 * engine's dialect (batch parameters, the claim's locking) and how other processes learn of new
 * jobs (polling, or NOTIFY/LISTEN). Everything else lives once, in queue.ts, which picks the
 * strategy by `Database.kind`. The strategies are queue.sqlite.ts and queue.postgres.ts.
 */
export interface QueueEngine {
  /** Longest a waiter sleeps without a wake-up, unless `JobQueueOptions.pollMs` says otherwise. */
  readonly defaultPollMs: number;
  /** `id` is one of `ids`, as one parameter (no bind-variable limit per statement). */
  idIn(ids: readonly string[]): RawBuilder<unknown>;
  /** Runs the insert of one job of `queue`: its id, or undefined when the dedupe key is taken. */
  insertOne(insert: InsertQueryBuilder<DB, "jobs", { id: string }>, queue: string): Promise<{ id: string } | undefined>;
  /** Inserts a chunk of `queue`'s jobs, skipping taken dedupe keys; returns how many were added. */
  insertChunk(executor: Kysely<DB>, queue: string, rows: readonly InsertRow[], createdAt: string): Promise<number>;
  /** After `enqueueMany` added jobs to `queue`, inside its transaction: tell other processes. */
  announce(executor: Kysely<DB>, queue: string): Promise<void>;
  /** Leases up to `limit` due jobs of `queue` (see `JobQueue.claim`), counting an attempt on each. */
  claim(queue: string, now: string, until: string, workerId: string, limit: number): Promise<ClaimedRow[]>;
  /** Whether an enqueue through `executor` wakes this process's waiters at once (else its notification will). */
  wakesAtOnce(executor: Kysely<DB>): boolean;
  /** After `enqueueMany` added `rows` jobs (`inCallerTransaction`: not committed yet). */
  afterEnqueueMany(rows: number, inCallerTransaction: boolean): void;
  /**
   * Before a wait: make sure enqueues by other processes wake this one where the engine can.
   * Rejects when that failed for now; the poll interval then applies and the next wait tries again.
   */
  listen(): Promise<unknown>;
  /** Stops listening and background work; resolves when nothing of it still runs. */
  close(): Promise<void>;
}

/** One job as `enqueueMany` stores it, payload and time already serialised. */
export interface InsertRow {
  id: string;
  payload: string;
  runAt: string;
  dedupeKey: string | null;
  group: string | null;
}

/** A claimed row as the claim returns it (PostgreSQL may hand `attempts` back as text). */
export interface ClaimedRow {
  id: string;
  queue: string;
  payload: string;
  run_at: string;
  attempts: number | string;
}

/** Rows a raw statement changed. */
export const affected = (result: { numAffectedRows?: bigint }): number => Number(result.numAffectedRows ?? 0n);
