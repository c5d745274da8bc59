import { sql } from "kysely";
import { unreachable } from "../lib/result.ts";
import type { Database } from "./database.ts";

/** How often the worker role refreshes the planner's statistics (and once at its start). */
export const STATISTICS_INTERVAL_MS = 3 * 60 * 60_000;

export type StatisticsOutcome = "analyzed" | "optimized" | "autovacuum";

/**
 * Keeps the query planner's statistics current (issue #15). Without them SQLite guesses, and with a
 * large `posts` table it drove list queries from an index that matched every row, then sorted.
 *
 * - SQLite: `ANALYZE` once when the database was never analysed (no `sqlite_stat1`), afterwards
 *   `PRAGMA optimize`, which re-analyses only tables whose size changed a lot since. Both are
 *   bounded by `analysis_limit` (rows sampled per index), so neither reads a million-row table.
 * - PostgreSQL: autovacuum's analyze keeps statistics current on its own; nothing to do.
 */
export async function refreshStatistics(database: Database): Promise<StatisticsOutcome> {
  switch (database.kind) {
    case "sqlite": {
      const db = database.db;
      await sql`PRAGMA analysis_limit = 1000`.execute(db);
      const stat = await sql<{ name: string }>`SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'`.execute(db);
      if (stat.rows.length === 0) {
        await sql`ANALYZE`.execute(db);
        return "analyzed";
      }
      await sql`PRAGMA optimize`.execute(db);
      return "optimized";
    }
    case "postgres":
      return "autovacuum";
    default:
      return unreachable(database.kind);
  }
}
