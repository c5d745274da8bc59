import assert from "node:assert/strict";
import { test } from "node:test";
import { sql } from "kysely";
import { describeEachEngine } from "../testing/databases.ts";
import { refreshStatistics } from "./statistics.ts";

// Issue #15: the planner's statistics are gathered once and then kept current (the worker role runs
// this at start and every few hours).
describeEachEngine("planner statistics", (getDb) => {
  test("SQLite: ANALYZE on a never-analysed database, PRAGMA optimize afterwards; PostgreSQL: autovacuum", async () => {
    const { database } = getDb();
    if (database.kind === "postgres") {
      assert.equal(await refreshStatistics(database), "autovacuum");
      return;
    }
    const stat = async () => (await sql<{ name: string }>`SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'`.execute(database.db)).rows.length;
    assert.equal(await stat(), 0);
    assert.equal(await refreshStatistics(database), "analyzed");
    assert.equal(await stat(), 1);
    assert.equal(await refreshStatistics(database), "optimized");
  });
});
