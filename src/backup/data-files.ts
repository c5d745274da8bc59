import { lstatSync, readdirSync } from "node:fs";
import { basename, dirname, join, relative, sep } from "node:path";

/**
 * What of the data directory a backup holds: everything Herold keeps there (media, profile images,
 * the instance secret) except what is rebuilt by itself or is the database: the compile cache (and
 * code from a backup should never be loaded), the remote-media proxy cache, the SQLite file and its
 * -wal/-shm/-journal (the snapshot stands for them), and the working directories of a backup or
 * restore in progress. Links are not followed and not kept: nothing in a backup points outside it.
 */
export interface DataFiles {
  /** Paths relative to the data directory, with `/` as separator. */
  readonly files: readonly string[];
  readonly bytes: number;
  /** Symbolic links and special files that were left out. */
  readonly skipped: readonly string[];
}

const REBUILT = new Set(["compile-cache", "proxy-cache"]);
export const WORK_DIR_PREFIX = ".herold-";

export function isLeftOut(name: string, databaseFile: string | undefined, dataDir: string): boolean {
  if (REBUILT.has(name) || name.startsWith(WORK_DIR_PREFIX)) return true;
  if (databaseFile === undefined || dirname(databaseFile) !== dataDir) return false;
  const db = basename(databaseFile);
  return name === db || name === `${db}-wal` || name === `${db}-shm` || name === `${db}-journal`;
}

export function listDataFiles(dataDir: string, databaseFile: string | undefined): DataFiles {
  const files: string[] = [];
  const skipped: string[] = [];
  let bytes = 0;
  const walk = (dir: string) => {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
      throw error;
    }
    for (const name of names) {
      const path = join(dir, name);
      if (dir === dataDir && isLeftOut(name, databaseFile, dataDir)) continue;
      const stat = lstatSync(path);
      const rel = relative(dataDir, path).split(sep).join("/");
      if (stat.isDirectory()) walk(path);
      else if (stat.isFile()) {
        files.push(rel);
        bytes += stat.size;
      } else skipped.push(rel);
    }
  };
  walk(dataDir);
  return { files, bytes, skipped };
}

/** Whether the data directory holds anything a restore would overwrite. */
export function dataDirIsEmpty(dataDir: string, databaseFile: string | undefined): boolean {
  let names: string[];
  try {
    names = readdirSync(dataDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return true;
    throw error;
  }
  return names.every((name) => isLeftOut(name, databaseFile, dataDir));
}
