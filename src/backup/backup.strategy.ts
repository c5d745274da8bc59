/**
 * What differs between the engines when a backup is taken or restored: one strategy per engine
 * (`backup.sqlite.ts`, `backup.postgres.ts`), picked by `backup.engine.ts`. A leaf file, so the
 * strategies and the picker do not import each other.
 */
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
