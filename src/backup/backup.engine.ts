/** Picks the backup strategy (`backup.strategy.ts`) once by the configured database's kind. */
import type { DatabaseConfig } from "../config/config.ts";
import type { Database } from "../db/database.ts";
import { unreachable } from "../lib/result.ts";
import { PostgresBackup, type PgTools } from "./backup.postgres.ts";
import { SqliteBackup } from "./backup.sqlite.ts";
import type { BackupEngine } from "./backup.strategy.ts";

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
