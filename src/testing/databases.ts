import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe } from "node:test";
import { sql } from "kysely";
import { parseDatabaseUrl, type DatabaseConfig } from "../config/config.ts";
import { openDatabase, type Database } from "../db/database.ts";
import { migrateToLatest } from "../db/migrate.ts";

export type Engine = "sqlite" | "postgres";
export const ENGINES: readonly Engine[] = ["sqlite", "postgres"];

/** PostgreSQL server for tests: 127.0.0.1:5432, trust auth, database `test` (override with HEROLD_TEST_PG). */
export const TEST_PG_URL = process.env.HEROLD_TEST_PG ?? "postgres://postgres@127.0.0.1:5432/test";

export interface TestDatabase {
  readonly engine: Engine;
  readonly config: DatabaseConfig;
  /** The value for HEROLD_DATABASE_URL that reaches this database (for child processes). */
  readonly url: string;
  readonly database: Database;
  close(): Promise<void>;
}

/**
 * A fresh, migrated database: a temporary SQLite file, or a PostgreSQL schema of its own in the
 * `test` database (so test files can run in parallel). Dropped again by `close()`.
 */
export async function createTestDatabase(engine: Engine, options: { readonly migrate?: boolean; readonly schema?: string } = {}): Promise<TestDatabase> {
  let url: string;
  let cleanup: () => Promise<void>;
  if (engine === "sqlite") {
    const dir = mkdtempSync(join(tmpdir(), "herold-test-"));
    url = `sqlite:${join(dir, "herold.db")}`;
    cleanup = async () => rmSync(dir, { recursive: true, force: true });
  } else {
    const schema = options.schema ?? `t_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
    url = `${TEST_PG_URL}?schema=${schema}`;
    cleanup = async () => {
      const admin = await openDatabase(parseDatabaseUrl(TEST_PG_URL, process.cwd()), { maxConnections: 1 });
      await sql`DROP SCHEMA IF EXISTS ${sql.id(schema)} CASCADE`.execute(admin.db);
      await admin.close();
    };
  }
  const config = parseDatabaseUrl(url, process.cwd());
  const database = await openDatabase(config);
  try {
    // No retry: migrating reads only this schema, so other test files dropping theirs cannot fail it.
    if (options.migrate !== false) await migrateToLatest(database, config);
  } catch (error) {
    await database.close();
    await cleanup();
    throw error;
  }
  return {
    engine,
    config,
    url,
    database,
    close: async () => {
      await database.close();
      await cleanup();
    },
  };
}

/**
 * Runs the same suite against SQLite and PostgreSQL. `get()` returns the current engine's database
 * inside tests.
 */
export function describeEachEngine(name: string, suite: (get: () => TestDatabase) => void): void {
  for (const engine of ENGINES) {
    describe(`${name} [${engine}]`, () => {
      let current: TestDatabase | undefined;
      before(async () => {
        current = await createTestDatabase(engine);
      });
      after(async () => {
        await current?.close();
      });
      suite(() => {
        if (current === undefined) throw new Error("test database not ready");
        return current;
      });
    });
  }
}
