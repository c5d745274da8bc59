/**
 * The manifest at the top of a backup archive (`herold-backup.json`): what wrote it and what it
 * holds, so `herold restore` refuses a file that is not a Herold backup, one of another engine, or
 * one written by a newer Herold (its migrations unknown here) before it touches anything.
 */
import { err, ok, type Result } from "../lib/result.ts";

export const MANIFEST_NAME = "herold-backup.json";
export const FORMAT = "herold-backup";
export const FORMAT_VERSION = 1;
/** Where the archive keeps the database snapshot and the data directory's files. */
export const DATABASE_DIR = "database";
export const DATA_DIR = "data";
export const SQLITE_FILE = `${DATABASE_DIR}/herold.db`;
export const PG_DUMP_FILE = `${DATABASE_DIR}/herold.pgdump`;

export interface BackupManifest {
  readonly format: typeof FORMAT;
  readonly formatVersion: number;
  readonly herold: string;
  readonly engine: "sqlite" | "postgres";
  readonly createdAt: string;
  /** The migrations applied to the database when the snapshot was taken. */
  readonly migrations: readonly string[];
  /** PostgreSQL only: the schema that was dumped (`public` when none is configured). */
  readonly schema?: string;
  /** Files of the data directory in the archive, and their total size. */
  readonly files: number;
  readonly bytes: number;
}

export type ManifestError = "not-a-backup" | "unsupported-version";

export function parseManifest(text: string): Result<BackupManifest, ManifestError> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return err("not-a-backup", `${MANIFEST_NAME} is not JSON`);
  }
  if (typeof value !== "object" || value === null) return err("not-a-backup", `${MANIFEST_NAME} is not an object`);
  const m = value as Record<string, unknown>;
  if (m.format !== FORMAT) return err("not-a-backup", `not a Herold backup (format ${JSON.stringify(m.format)})`);
  if (m.formatVersion !== FORMAT_VERSION) {
    return err("unsupported-version", `backup format version ${JSON.stringify(m.formatVersion)} is not supported by this Herold (it reads version ${FORMAT_VERSION})`);
  }
  const engine = m.engine;
  const migrations = m.migrations;
  if (
    (engine !== "sqlite" && engine !== "postgres") ||
    typeof m.herold !== "string" ||
    typeof m.createdAt !== "string" ||
    !Array.isArray(migrations) ||
    !migrations.every((x) => typeof x === "string") ||
    !Number.isSafeInteger(m.files) ||
    !Number.isSafeInteger(m.bytes) ||
    (m.schema !== undefined && (typeof m.schema !== "string" || !/^[a-z_][a-z0-9_]{0,62}$/.test(m.schema)))
  ) {
    return err("not-a-backup", `${MANIFEST_NAME} lacks a field or has one of the wrong type`);
  }
  return ok({
    format: FORMAT,
    formatVersion: FORMAT_VERSION,
    herold: m.herold,
    engine,
    createdAt: m.createdAt,
    migrations: migrations as string[],
    ...(m.schema !== undefined ? { schema: m.schema as string } : {}),
    files: m.files as number,
    bytes: m.bytes as number,
  });
}
