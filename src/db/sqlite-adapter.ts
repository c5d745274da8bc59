import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DatabaseSync, type SQLInputValue, type StatementSync } from "node:sqlite";
import type { SqliteDatabase, SqliteStatement } from "kysely";

/**
 * Adapts `node:sqlite` to Kysely's `SqliteDialect` (Kysely ships no node:sqlite driver).
 * Prepared statements are cached: SQL text from the query builder repeats, and preparing is a
 * large part of a point query's cost.
 */
export function openSqlite(path: string): SqliteDatabase & { raw: DatabaseSync } {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const db = new DatabaseSync(path, { timeout: 10_000 });
  // WAL lets the web and worker roles (and the CLI) use one file at once; NORMAL sync is durable
  // against process crashes and only risks the last commits on power loss.
  db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;");
  // With whether it returns rows: `columns()` builds a new array of column descriptions on every
  // call, which cost 7 % of the worker's CPU per stored post when it was asked per statement run.
  const cache = new Map<string, { stmt: StatementSync; reader: boolean }>();
  const prepare = (sql: string): { stmt: StatementSync; reader: boolean } => {
    let entry = cache.get(sql);
    if (entry === undefined) {
      const stmt = db.prepare(sql);
      entry = { stmt, reader: stmt.columns().length > 0 };
      if (cache.size >= 500) cache.delete(cache.keys().next().value!);
      cache.set(sql, entry);
    }
    return entry;
  };
  return {
    raw: db,
    close: () => {
      cache.clear();
      if (db.isOpen) db.close();
    },
    prepare(sql: string): SqliteStatement {
      const { stmt, reader } = prepare(sql);
      const params = (p: ReadonlyArray<unknown>) => p.map(toSqlite);
      return {
        reader,
        // node:sqlite rows have a null prototype; plain objects behave like the PostgreSQL driver's rows.
        all: (p) => stmt.all(...params(p)).map((row) => ({ ...row })),
        run: (p) => {
          const r = stmt.run(...params(p));
          return { changes: r.changes, lastInsertRowid: r.lastInsertRowid };
        },
        iterate: (p) => stmt.iterate(...params(p)),
      };
    },
  };
}

function toSqlite(value: unknown): SQLInputValue {
  if (value === undefined || value === null) return null;
  if (typeof value === "boolean") return value ? 1 : 0;
  if (value instanceof Date) return value.toISOString();
  return value as SQLInputValue;
}
