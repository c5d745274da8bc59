/**
 * What differs between the engines when a backup is taken or restored: one strategy per engine
 * (`backup.sqlite.ts`, `backup.postgres.ts`), picked once by the configured database's kind.
 */
import type { DatabaseConfig } from "../config/config.ts";
import type { Database } from "../db/database.ts";
import { unreachable } from "../lib/result.ts";
import { PostgresBackup, type PgTools } from "./backup.postgres.ts";
import { SqliteBackup } from "./backup.sqlite.ts";

export interface DatabaseSnapshot {
  /** The file inside the archive (`SQLITE_FILE` or `PG_DUMP_FILE`). */
  readonly archivePath: string;
  readonly migrations: readonly string[];
  readonly schema?: string;
}

export interface BackupEngine {
  /** A consistent snapshot of the whole database written to `file`, taken while Herold runs. */
  snapshot(file: string): Promise<DatabaseSnapshot>;
  /** Whether the configured database holds no table yet (a restore target). */
  isEmpty(): Promise<boolean>;
  /** Replaces the database's content with the snapshot in `file` (its archive path is `archivePath`). */
  restore(file: string, schema: string | undefined): Promise<void>;
}

export function backupEngineFor(config: DatabaseConfig, database: Database, tools: PgTools): BackupEngine {
  switch (config.kind) {
    case "sqlite":
      return new SqliteBackup(config.path, database);
    case "postgres":
      return new PostgresBackup(config, database, tools);
    default:
      return unreachable(config);
  }
}
