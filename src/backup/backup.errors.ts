/**
 * Why a backup or restore cannot go ahead, for reasons the operator can act on. The steps throw a
 * `BackupError` (a restore has files and a database to clean up on every path, which `finally`
 * does best); the service turns it into a typed `Result` at its boundary, and the CLI maps each
 * code (`backup.command.ts`).
 */
export type BackupErrorCode =
  /** The output file exists already (backup), or the target holds data (restore without --force). */
  | "exists"
  /** Not a Herold backup, damaged, or holding what a backup may not (links, paths outside it). */
  | "invalid-archive"
  /** A backup of the other engine, another PostgreSQL schema, or a newer Herold. */
  | "incompatible"
  /** pg_dump / pg_restore missing or failing. */
  | "tool"
  /** A configuration the operation cannot work with (an in-memory database). */
  | "unsupported";

export class BackupError extends Error {
  override name = "BackupError";
  readonly code: BackupErrorCode;

  constructor(code: BackupErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}
