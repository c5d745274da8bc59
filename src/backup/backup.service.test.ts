import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { after, test } from "node:test";
import { Header } from "tar";
import { loadConfig } from "../config/config.ts";
import { systemClock } from "../lib/time.ts";
import { createTestDatabase, type TestDatabase } from "../testing/databases.ts";
import { FORMAT, FORMAT_VERSION, MANIFEST_NAME } from "./backup.manifest.ts";
import { BackupService } from "./backup.service.ts";
import { findPgTools } from "./backup.postgres.ts";

/**
 * Archives a backup never holds are refused before anything is written: the target database stays
 * empty and the data directory untouched. The archives are built entry by entry here (tar's Header),
 * because tar itself would never write them.
 */
const root = mkdtempSync(join(tmpdir(), "herold-hostile-backup-"));
const opened: TestDatabase[] = [];
after(async () => {
  for (const db of opened) await db.close();
  rmSync(root, { recursive: true, force: true });
});

interface Entry {
  readonly path: string;
  readonly type?: "File" | "SymbolicLink" | "Directory" | "CharacterDevice";
  readonly body?: string;
  readonly linkpath?: string;
}

function archive(name: string, entries: readonly Entry[]): string {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const body = Buffer.from(entry.body ?? "");
    const header = new Header({ path: entry.path, type: entry.type ?? "File", size: entry.type === undefined || entry.type === "File" ? body.length : 0, mode: 0o644, mtime: new Date(0), ...(entry.linkpath ? { linkpath: entry.linkpath } : {}) });
    const block = Buffer.alloc(512);
    header.encode(block, 0);
    blocks.push(block);
    if (body.length > 0 && (entry.type ?? "File") === "File") blocks.push(body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  const file = join(root, name);
  writeFileSync(file, gzipSync(Buffer.concat(blocks)));
  return file;
}

const manifest = (overrides: Record<string, unknown> = {}) =>
  JSON.stringify({ format: FORMAT, formatVersion: FORMAT_VERSION, herold: "0.1.0", engine: "sqlite", createdAt: "2026-12-08T00:00:00.000Z", migrations: ["0001_initial"], files: 0, bytes: 0, ...overrides });

async function target() {
  const dataDir = mkdtempSync(join(root, "data-"));
  const database = await createTestDatabase("sqlite", { migrate: false });
  opened.push(database);
  const config = loadConfig({ HEROLD_DATABASE_URL: database.url, HEROLD_DATA_DIR: dataDir });
  const service = new BackupService({ config, database: database.database, clock: systemClock, version: "0.1.0", tools: findPgTools("") });
  const untouched = async () => {
    assert.deepEqual(readdirSync(dataDir), []);
    assert.equal(readdirSync(root).filter((n) => n.startsWith(".herold-")).length, 0, "no working directory left behind");
    const tables = await database.database.db.introspection.getTables();
    assert.deepEqual(tables, []);
  };
  return { service, dataDir, untouched };
}

const hostile: readonly [string, readonly Entry[], RegExp][] = [
  ["a path that climbs out", [{ path: MANIFEST_NAME, body: manifest() }, { path: "data/../../escaped", body: "x" }], /entries a Herold backup never has|cannot be read/],
  ["an absolute path", [{ path: MANIFEST_NAME, body: manifest() }, { path: "/tmp/herold-escaped-absolute", body: "x" }], /entries a Herold backup never has|cannot be read/],
  ["a symbolic link", [{ path: MANIFEST_NAME, body: manifest() }, { path: "data/secret", type: "SymbolicLink", linkpath: "/etc/passwd" }], /entries a Herold backup never has.*SymbolicLink/],
  ["a device", [{ path: MANIFEST_NAME, body: manifest() }, { path: "data/dev", type: "CharacterDevice" }], /entries a Herold backup never has/],
  ["an entry outside the layout", [{ path: MANIFEST_NAME, body: manifest() }, { path: "elsewhere/file", body: "x" }], /entries a Herold backup never has/],
  ["no manifest", [{ path: "database/herold.db", body: "x" }], /not a Herold backup \(it has no herold-backup\.json\)/],
  ["another format", [{ path: MANIFEST_NAME, body: JSON.stringify({ format: "mastodon" }) }], /not a Herold backup/],
  ["a newer Herold's backup", [{ path: MANIFEST_NAME, body: manifest({ migrations: ["0001_initial", "9999_future"] }) }], /written by a newer Herold .*9999_future/],
  ["a PostgreSQL backup", [{ path: MANIFEST_NAME, body: manifest({ engine: "postgres", schema: "herold" }) }], /backup is of a postgres database, HEROLD_DATABASE_URL names sqlite/],
  ["a missing snapshot", [{ path: MANIFEST_NAME, body: manifest() }], /has no database snapshot/],
  ["a damaged snapshot", [{ path: MANIFEST_NAME, body: manifest() }, { path: "database/herold.db", body: "not a database" }], /database in the backup (is damaged|cannot be opened)/],
  ["fewer files than the manifest says", [{ path: MANIFEST_NAME, body: manifest({ files: 2 }) }, { path: "database/herold.db", body: "x" }, { path: "data/secret", body: "s" }], /holds 1 data files, its manifest says 2/],
];

for (const [what, entries, message] of hostile) {
  test(`restore refuses ${what} and changes nothing`, async () => {
    const { service, untouched } = await target();
    const result = await service.restore(archive(`${what.replaceAll(" ", "-")}.tar.gz`, entries), { force: false });
    assert.equal(result.ok, false);
    assert.match(result.ok ? "" : result.message, message);
    await untouched();
    assert.equal(existsSync("/tmp/herold-escaped-absolute"), false);
    assert.equal(existsSync(join(root, "escaped")), false);
  });
}

test("restore refuses a file that is not an archive", async () => {
  const { service, untouched } = await target();
  const file = join(root, "plain.txt");
  writeFileSync(file, "hello");
  const result = await service.restore(file, { force: false });
  assert.equal(result.ok ? "" : result.error, "invalid-archive");
  await untouched();
});

test("a backup leaves out links, the caches and the database's own files, and writes mode 0600", async () => {
  const source = await createTestDatabase("sqlite");
  opened.push(source);
  const dataDir = join(root, "source-data");
  mkdirSync(join(dataDir, "media"), { recursive: true });
  mkdirSync(join(dataDir, "compile-cache"));
  mkdirSync(join(dataDir, "proxy-cache"));
  writeFileSync(join(dataDir, "secret"), "s");
  writeFileSync(join(dataDir, "media", "a.png"), "png");
  writeFileSync(join(dataDir, "compile-cache", "x"), "code");
  writeFileSync(join(dataDir, "proxy-cache", "y"), "remote");
  symlinkSync("/etc/passwd", join(dataDir, "media", "link"));
  const config = loadConfig({ HEROLD_DATABASE_URL: source.url, HEROLD_DATA_DIR: dataDir });
  const service = new BackupService({ config, database: source.database, clock: systemClock, version: "0.1.0", tools: findPgTools("") });
  const out = join(root, "out", "backup.tar.gz");
  const result = await service.backup(out);
  assert.ok(result.ok, result.ok ? "" : result.message);
  assert.equal(result.value.manifest.files, 2);
  assert.deepEqual(result.value.skipped, ["media/link"]);
  const { statSync } = await import("node:fs");
  assert.equal(statSync(out).mode & 0o777, 0o600);
  const inside = await service.backup(join(dataDir, "backups", "b.tar.gz"));
  assert.equal(inside.ok ? "" : inside.error, "unsupported", "a backup inside the data directory would grow into every next one");
});
