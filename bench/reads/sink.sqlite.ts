import { DatabaseSync, type SQLInputValue, type StatementSync } from "node:sqlite";
import type { Sink, Value } from "./sink.ts";

const ROWS_PER_STATEMENT = 100;
const ROWS_PER_TRANSACTION = 50_000;

/**
 * SQLite: prepared multi-row INSERTs in large transactions, `synchronous = OFF` and foreign keys
 * unchecked during the build only (a crashed build is discarded; the keys are checked at the end).
 */
export function sqliteSink(path: string): Sink {
  const db = new DatabaseSync(path);
  db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF; PRAGMA foreign_keys = OFF; PRAGMA cache_size = -200000; PRAGMA temp_store = MEMORY;");
  let dropped: string[] = [];
  return {
    async dropIndexes(tables) {
      const rows = db
        .prepare(`SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN (${tables.map(() => "?").join(", ")})`)
        .all(...tables) as { name: string; sql: string }[];
      for (const row of rows) db.exec(`DROP INDEX "${row.name}"`);
      dropped = rows.map((r) => r.sql);
    },
    async write(table, columns, rows) {
      const placeholders = (n: number) => Array.from({ length: n }, () => `(${columns.map(() => "?").join(", ")})`).join(", ");
      const statements = new Map<number, StatementSync>();
      const statement = (n: number) => {
        let s = statements.get(n);
        if (s === undefined) statements.set(n, (s = db.prepare(`INSERT INTO "${table}" (${columns.map((c) => `"${c}"`).join(", ")}) VALUES ${placeholders(n)}`)));
        return s;
      };
      let batch: Value[] = [];
      let inBatch = 0;
      let inTransaction = 0;
      let total = 0;
      const flush = () => {
        if (inBatch > 0) statement(inBatch).run(...(batch as SQLInputValue[]));
        batch = [];
        inBatch = 0;
      };
      db.exec("BEGIN");
      try {
        for (const row of rows) {
          for (const value of row) batch.push(value);
          total++;
          if (++inBatch === ROWS_PER_STATEMENT) flush();
          if (++inTransaction === ROWS_PER_TRANSACTION) {
            flush();
            db.exec("COMMIT; BEGIN");
            inTransaction = 0;
          }
        }
        flush();
        db.exec("COMMIT");
      } catch (error) {
        if (db.isTransaction) db.exec("ROLLBACK");
        throw error;
      }
      return total;
    },
    async restoreIndexes() {
      for (const sql of dropped) db.exec(sql);
      dropped = [];
    },
    async checkForeignKeys() {
      const broken = db.prepare("PRAGMA foreign_key_check").all();
      if (broken.length > 0) throw new Error(`foreign keys broken: ${JSON.stringify(broken.slice(0, 5))} (${broken.length} rows)`);
    },
    async close() {
      db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
      db.close();
    },
  };
}
