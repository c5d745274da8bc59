import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import * as tar from "tar";
import type { Config } from "../config/config.ts";
import type { Database } from "../db/database.ts";
import { knownMigrationNames } from "../db/migrate.ts";
import { err, ok, type Result } from "../lib/result.ts";
import type { Clock } from "../lib/time.ts";
import { backupEngineFor } from "./backup.engine.ts";
import type { BackupEngine } from "./backup.strategy.ts";
import { BackupError, type BackupErrorCode } from "./backup.errors.ts";
import { DATA_DIR, DATABASE_DIR, FORMAT, FORMAT_VERSION, MANIFEST_NAME, parseManifest, PG_DUMP_FILE, SQLITE_FILE, type BackupManifest } from "./backup.manifest.ts";
import type { PgTools } from "./backup.postgres.ts";
import { dataDirIsEmpty, isLeftOut, listDataFiles, WORK_DIR_PREFIX } from "./data-files.ts";

export interface BackupDeps {
  readonly config: Config;
  readonly database: Database;
  readonly clock: Clock;
  readonly version: string;
  readonly tools: PgTools;
}

export interface BackupSummary {
  readonly file: string;
  readonly manifest: BackupManifest;
  /** Links and special files in the data directory that a backup does not keep. */
  readonly skipped: readonly string[];
}

/**
 * `herold backup` and `herold restore`: one archive (gzip'd tar) of the database snapshot and the
 * data directory, taken while Herold runs. Layout: `herold-backup.json` first (so a restore checks
 * what it got before anything else), `database/herold.db` (SQLite) or `database/herold.pgdump`
 * (pg_dump's custom format), `data/…` (the data directory's files, `data-files.ts` says which).
 * The archive holds the accounts' private keys and the instance secret: it is written with mode
 * 0600, and whoever holds it can act as the server.
 *
 * Consistency: the database is one snapshot (SQLite's backup API / pg_dump's snapshot); the data
 * directory is read after it, so every media file the snapshot refers to is there unless it was
 * deleted in between — and a file is deleted only after the deletion of its post committed.
 */
export class BackupService {
  readonly #config: Config;
  readonly #clock: Clock;
  readonly #version: string;
  readonly #engine: BackupEngine;

  constructor(deps: BackupDeps) {
    this.#config = deps.config;
    this.#clock = deps.clock;
    this.#version = deps.version;
    this.#engine = backupEngineFor(deps.config.database, deps.database, deps.tools);
  }

  async backup(out: string): Promise<Result<BackupSummary, BackupErrorCode>> {
    return await guarded(async () => {
      const file = resolve(out);
      if (existsSync(file)) throw new BackupError("exists", `${out} exists already: choose another file name`);
      const dataDir = this.#config.dataDir;
      const rel = relative(dataDir, file);
      if (!rel.startsWith("..") && !rel.startsWith(sep)) throw new BackupError("unsupported", `${out} is inside the data directory ${dataDir}: write the backup elsewhere`);
      mkdirSync(dirname(file), { recursive: true });
      const work = mkdtempSync(join(dirname(file), `${WORK_DIR_PREFIX}backup-`));
      try {
        mkdirSync(join(work, DATABASE_DIR));
        const snapshot = await this.#engine.snapshot(join(work, this.#snapshotPath()));
        const data = listDataFiles(dataDir, this.#sqlitePath());
        symlinkSync(dataDir, join(work, DATA_DIR), "dir");
        const manifest: BackupManifest = {
          format: FORMAT,
          formatVersion: FORMAT_VERSION,
          herold: this.#version,
          engine: this.#config.database.kind,
          createdAt: this.#clock.now().toISOString(),
          migrations: snapshot.migrations,
          ...(snapshot.schema !== undefined ? { schema: snapshot.schema } : {}),
          files: data.files.length,
          bytes: data.bytes,
        };
        writeFileSync(join(work, MANIFEST_NAME), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
        const partial = `${file}.partial`;
        // Streams from the files to the archive: nothing is held in memory but tar's buffers.
        // Entries are listed one by one (the `data` link resolves to the data directory); none
        // starts with "@", which tar would read as an archive to append.
        await tar.c({ gzip: true, cwd: work, file: partial, portable: true, noDirRecurse: true, strict: true }, [MANIFEST_NAME, snapshot.archivePath, ...data.files.map((f) => `${DATA_DIR}/${f}`)]);
        chmodSync(partial, 0o600);
        renameSync(partial, file);
        return { file, manifest, skipped: data.skipped };
      } finally {
        rmSync(work, { recursive: true, force: true });
        rmSync(`${file}.partial`, { force: true });
      }
    });
  }

  async restore(archive: string, options: { readonly force: boolean }): Promise<Result<BackupSummary, BackupErrorCode>> {
    return await guarded(async () => {
      const file = resolve(archive);
      if (!existsSync(file)) throw new BackupError("invalid-archive", `${archive}: no such file`);
      const dataDir = this.#config.dataDir;
      mkdirSync(dirname(dataDir), { recursive: true });
      const work = mkdtempSync(join(dirname(dataDir), `${WORK_DIR_PREFIX}restore-`));
      try {
        await extract(file, work);
        const manifestFile = join(work, MANIFEST_NAME);
        if (!existsSync(manifestFile)) throw new BackupError("invalid-archive", `${archive} is not a Herold backup (it has no ${MANIFEST_NAME})`);
        const parsed = parseManifest(readFileSync(manifestFile, "utf8"));
        if (!parsed.ok) throw new BackupError(parsed.error === "not-a-backup" ? "invalid-archive" : "incompatible", `${archive}: ${parsed.message}`);
        const manifest = parsed.value;
        this.#checkCompatible(manifest);
        const snapshot = join(work, manifest.engine === "sqlite" ? SQLITE_FILE : PG_DUMP_FILE);
        if (!existsSync(snapshot)) throw new BackupError("invalid-archive", `${archive} has no database snapshot`);
        const restoredData = join(work, DATA_DIR);
        const files = existsSync(restoredData) ? listDataFiles(restoredData, undefined).files.length : 0;
        if (files !== manifest.files) throw new BackupError("invalid-archive", `${archive} holds ${files} data files, its manifest says ${manifest.files}: the archive is incomplete`);

        const empty = (await this.#engine.isEmpty()) && dataDirIsEmpty(dataDir, this.#sqlitePath());
        if (!empty && !options.force) {
          throw new BackupError("exists", `the database or the data directory ${dataDir} is not empty: restore into an empty one, or add --force to replace what they hold`);
        }
        await this.#engine.restore(snapshot, manifest.schema);
        this.#replaceDataDir(restoredData);
        return { file, manifest, skipped: [] };
      } finally {
        rmSync(work, { recursive: true, force: true });
      }
    });
  }

  #checkCompatible(manifest: BackupManifest): void {
    const engine = this.#config.database.kind;
    if (manifest.engine !== engine) {
      throw new BackupError("incompatible", `the backup is of a ${manifest.engine} database, HEROLD_DATABASE_URL names ${engine}: restore it into ${manifest.engine}`);
    }
    const known = new Set(knownMigrationNames());
    const unknown = manifest.migrations.filter((name) => !known.has(name));
    if (unknown.length > 0) {
      throw new BackupError("incompatible", `the backup was written by a newer Herold (${manifest.herold}; migrations ${unknown.join(", ")} unknown here): restore it with that version or newer`);
    }
  }

  /** The data directory becomes exactly the backup's (what it rebuilds by itself and the database stay). */
  #replaceDataDir(restored: string): void {
    const dataDir = this.#config.dataDir;
    mkdirSync(dataDir, { recursive: true });
    for (const name of readdirSync(dataDir)) {
      if (!isLeftOut(name, this.#sqlitePath(), dataDir)) rmSync(join(dataDir, name), { recursive: true, force: true });
    }
    if (!existsSync(restored)) return;
    for (const name of readdirSync(restored)) renameSync(join(restored, name), join(dataDir, name));
  }

  #snapshotPath(): string {
    return this.#config.database.kind === "sqlite" ? SQLITE_FILE : PG_DUMP_FILE;
  }

  #sqlitePath(): string | undefined {
    return this.#config.database.kind === "sqlite" ? this.#config.database.path : undefined;
  }
}

/**
 * Extracts into `work`, refusing what a backup never holds: links, devices, absolute paths, `..`,
 * anything outside the manifest, `database/` and `data/`. tar's own checks (strict mode) refuse
 * the rest of what it would otherwise only warn about; everything lands in `work`, so a refused
 * archive leaves nothing behind.
 */
async function extract(file: string, work: string): Promise<void> {
  const refused: string[] = [];
  try {
    await tar.x({
      file,
      cwd: work,
      strict: true,
      preservePaths: false,
      noChmod: true,
      filter: (path, entry) => {
        const type = "type" in entry ? entry.type : undefined;
        const segments = path.split("/");
        const allowedType = type === "File" || type === "OldFile" || type === "ContiguousFile" || type === "Directory";
        const allowedPath =
          !path.startsWith("/") &&
          !segments.includes("..") &&
          (path === MANIFEST_NAME || segments[0] === DATABASE_DIR || segments[0] === DATA_DIR);
        if (!allowedType || !allowedPath) refused.push(`${path} (${type ?? "unknown"})`);
        return allowedType && allowedPath;
      },
    });
  } catch (error) {
    throw new BackupError("invalid-archive", `${file} cannot be read as a backup archive: ${(error as Error).message}`);
  }
  if (refused.length > 0) {
    throw new BackupError("invalid-archive", `${file} holds entries a Herold backup never has, refusing it: ${refused.slice(0, 5).join(", ")}${refused.length > 5 ? ` and ${refused.length - 5} more` : ""}`);
  }
}

async function guarded<T>(run: () => Promise<T>): Promise<Result<T, BackupErrorCode>> {
  try {
    return ok(await run());
  } catch (error) {
    if (error instanceof BackupError) return err(error.code, error.message);
    throw error;
  }
}
