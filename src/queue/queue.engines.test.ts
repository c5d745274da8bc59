import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import type { Database } from "../db/database.ts";
import { createJobQueue } from "./queue.ts";

// The queue's behaviour is proven by the conformance suite (queue.test.ts) on both engines. These
// tests guard the structure: one strategy per engine behind the engine-neutral queue, so a new
// engine-specific statement goes into its engine's file instead of an `if` in the shared code.

/** A file's code without its comments (documentation may name either engine). */
const source = (file: string): string =>
  readFileSync(new URL(file, import.meta.url), "utf8")
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/(^|\s)\/\/.*$/gm, "$1");

/** Text that only makes sense on one engine (SQL dialect, driver calls, engine branches). */
const POSTGRES_ONLY = [/pg_notify/i, /SKIP LOCKED/i, /unnest\(/i, /::text\[\]/, /ANALYZE jobs/, /pg\.listen\(/, /current_schema/];
const SQLITE_ONLY = [/json_each/i];
const ENGINE_BRANCHES = [/\bisPg\b/, /kind === "postgres"/, /kind === "sqlite"/];

test("the shared queue holds no engine-specific SQL and does not branch on the engine", () => {
  const shared = [source("./queue.ts"), source("./queue.wakeups.ts"), source("./queue.engine.ts")].join("\n");
  for (const pattern of [...POSTGRES_ONLY, ...SQLITE_ONLY, ...ENGINE_BRANCHES]) {
    assert.doesNotMatch(shared, pattern, `engine-specific: ${pattern}`);
  }
});

test("each engine's strategy holds only its own dialect", () => {
  const sqlite = source("./queue.sqlite.ts");
  const postgres = source("./queue.postgres.ts");
  for (const pattern of POSTGRES_ONLY) assert.doesNotMatch(sqlite, pattern, `PostgreSQL in the SQLite strategy: ${pattern}`);
  for (const pattern of SQLITE_ONLY) assert.doesNotMatch(postgres, pattern, `SQLite in the PostgreSQL strategy: ${pattern}`);
  assert.match(sqlite, /json_each/);
  assert.match(postgres, /SKIP LOCKED/);
});

test("a database of an unknown engine is refused with a clear error instead of being treated as SQLite", () => {
  const unknown = { kind: "mysql", db: {}, pg: undefined, close: async () => {} } as unknown as Database;
  assert.throws(() => createJobQueue(unknown), /unreachable: "mysql"/);
});
