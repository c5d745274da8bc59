import assert from "node:assert/strict";
import { fork, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { sql } from "kysely";
import { parseDatabaseUrl } from "../config/config.ts";
import { ENGINES, TEST_PG_URL } from "../testing/databases.ts";
import { openDatabase } from "./database.ts";

const CHILD = fileURLToPath(new URL("./testing/migrate-process.ts", import.meta.url));

// Several instances started at once on a fresh database (a deployment scaled to four, CI): one
// creates the schema and applies the migrations, the others wait for it and then find every table.
// On PostgreSQL, before the migration lock, this failed now and then with "duplicate key value
// violates unique constraint pg_namespace_nspname_index" (CREATE SCHEMA) or, while other schemas
// of the database were dropped, "relation … does not exist" (Kysely's catalogue checks).
for (const engine of ENGINES) {
  test(`four processes migrating one fresh database at once all succeed [${engine}]`, { timeout: 120_000 }, async (t) => {
    const schema = `t_mig_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
    const dir = mkdtempSync(join(tmpdir(), "herold-migrate-"));
    const url = engine === "postgres" ? `${TEST_PG_URL}?schema=${schema}` : `sqlite:${join(dir, "herold.db")}`;
    const children: ChildProcess[] = [];
    t.after(async () => {
      for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      if (engine === "postgres") {
        const admin = await openDatabase(parseDatabaseUrl(TEST_PG_URL, process.cwd()), { maxConnections: 1 });
        await sql`DROP SCHEMA IF EXISTS ${sql.id(schema)} CASCADE`.execute(admin.db);
        await admin.close();
      }
      rmSync(dir, { recursive: true, force: true });
    });
    for (let i = 0; i < 4; i++) children.push(fork(CHILD, [url], { stdio: ["ignore", "inherit", "inherit", "ipc"] }));
    // Let all four connect first, then release them together.
    await Promise.all(children.map((child) => once(child, "message")));
    const reports = children.map((child) => once(child, "message") as Promise<[{ ok?: true; error?: string }]>);
    for (const child of children) child.send("go");
    // Meanwhile other schemas of the same database come and go, as other test files' schemas do in
    // CI (or other instances' in a shared database): migrating must not depend on their catalogue.
    let done = false;
    const churn = engine === "postgres" ? Promise.all([0, 1, 2].map((i) => churnSchema(`${schema}_x${i}`, () => done))) : Promise.resolve();
    const results = (await Promise.all(reports)).map(([report]) => report);
    done = true;
    await churn;
    assert.deepEqual(
      results.map((r) => r.error ?? "ok"),
      ["ok", "ok", "ok", "ok"],
    );

    const check = await openDatabase(parseDatabaseUrl(url, process.cwd()), { maxConnections: 1 });
    try {
      const applied = await sql<{ name: string }>`SELECT name FROM kysely_migration ORDER BY name`.execute(check.db);
      assert.equal(new Set(applied.rows.map((r) => r.name)).size, applied.rows.length, "each migration recorded once");
      assert.ok(applied.rows.some((r) => r.name === "0007_notification_index"));
    } finally {
      await check.close();
    }
  });
}

/** Creates and drops a schema with some tables until `stop()`. */
async function churnSchema(name: string, stop: () => boolean): Promise<void> {
  const admin = await openDatabase(parseDatabaseUrl(TEST_PG_URL, process.cwd()), { maxConnections: 1 });
  try {
    while (!stop()) {
      await sql`CREATE SCHEMA ${sql.id(name)}`.execute(admin.db);
      for (let i = 0; i < 30; i++) {
        await sql`CREATE TABLE ${sql.id(name, `t${i}`)} (id serial primary key, a text, b text, c text, d text, e text, f text, g text)`.execute(admin.db);
      }
      await sql`DROP SCHEMA ${sql.id(name)} CASCADE`.execute(admin.db);
    }
  } finally {
    await sql`DROP SCHEMA IF EXISTS ${sql.id(name)} CASCADE`.execute(admin.db);
    await admin.close();
  }
}
