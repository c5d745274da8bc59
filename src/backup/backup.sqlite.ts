import { backup, DatabaseSync } from "node:sqlite";
import { sql } from "kysely";
import type { Database } from "../db/database.ts";
import type { BackupEngine, DatabaseSnapshot } from "./backup.strategy.ts";
import { SQLITE_FILE } from "./backup.manifest.ts";
import { BackupError } from "./backup.errors.ts";

/**
 * Pages copied per step of SQLite's online backup: all of them in one step. A copy in small steps
 * starts over whenever another connection writes in between, so under a steady stream of inbound
 * activities it might never end; one step holds only a read snapshot, which in WAL mode blocks no
 * writer.
 */
const ALL_PAGES = 1_000_000_000;

/** SQLite: the online backup API of node:sqlite, in both directions. */
export class SqliteBackup implements BackupEngine {
  readonly #path: string;
  readonly #database: Database;

  constructor(path: string, database: Database) {
    this.#path = path;
    this.#database = database;
  }

  async snapshot(file: string): Promise<DatabaseSnapshot> {
    if (this.#path === ":memory:") throw new BackupError("unsupported", "an in-memory SQLite database (sqlite::memory:) cannot be backed up from another process");
    const source = new DatabaseSync(this.#path, { timeout: 10_000 });
    try {
      await backup(source, file, { rate: ALL_PAGES });
    } finally {
      source.close();
    }
    return { archivePath: SQLITE_FILE, migrations: appliedMigrations(file) };
  }

  async isEmpty(): Promise<boolean> {
    const { rows } = await sql<{ n: number }>`SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`.execute(this.#database.db);
    return Number(rows[0]?.n ?? 0) === 0;
  }

  async restore(file: string): Promise<void> {
    if (this.#path === ":memory:") throw new BackupError("unsupported", "cannot restore into an in-memory SQLite database (sqlite::memory:)");
    const source = openSnapshot(file);
    try {
      let check: { integrity_check: string }[];
      try {
        check = source.prepare("PRAGMA integrity_check").all() as { integrity_check: string }[];
      } catch (error) {
        throw new BackupError("invalid-archive", `the database in the backup is damaged: ${(error as Error).message}`);
      }
      if (check.length !== 1 || check[0]!.integrity_check !== "ok") throw new BackupError("invalid-archive", `the database in the backup is damaged: ${check.map((r) => r.integrity_check).join("; ")}`);
      // Into the configured file through SQLite itself: connections open on it (the CLI's own) see
      // the restored content, and a -wal file left by an earlier database is taken care of.
      await backup(source, this.#path, { rate: ALL_PAGES });
    } finally {
      source.close();
    }
  }
}

function openSnapshot(file: string): DatabaseSync {
  try {
    return new DatabaseSync(file, { readOnly: true });
  } catch (error) {
    throw new BackupError("invalid-archive", `the database in the backup cannot be opened: ${(error as Error).message}`);
  }
}

function appliedMigrations(file: string): string[] {
  const db = openSnapshot(file);
  try {
    const table = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'kysely_migration'").get();
    if (table === undefined) return [];
    return (db.prepare("SELECT name FROM kysely_migration ORDER BY name").all() as { name: string }[]).map((r) => r.name);
  } finally {
    db.close();
  }
}
