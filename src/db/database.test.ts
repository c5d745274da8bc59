import assert from "node:assert/strict";
import { test } from "node:test";
import { describeEachEngine } from "../testing/databases.ts";
import { migrateToLatest } from "./migrate.ts";
import { newId } from "../lib/id.ts";

describeEachEngine("database", (get) => {
  test("migrations are idempotent", async () => {
    const again = await migrateToLatest(get().database, get().config);
    assert.deepEqual(again.applied, []);
  });

  test("text ids, ISO timestamps and JSON text round-trip identically", async () => {
    const { db } = get().database;
    const now = new Date().toISOString();
    const id = newId();
    await db.insertInto("kv").values({ key: id, value: JSON.stringify({ a: [1, "ü"] }), expires_at: now }).execute();
    const row = await db.selectFrom("kv").selectAll().where("key", "=", id).executeTakeFirstOrThrow();
    assert.deepEqual(row, { key: id, value: '{"a":[1,"ü"]}', expires_at: now });
  });

  test("transactions roll back on error", async () => {
    const { db } = get().database;
    const key = newId();
    await assert.rejects(
      db.transaction().execute(async (trx) => {
        await trx.insertInto("kv").values({ key, value: "x", expires_at: null }).execute();
        throw new Error("boom");
      }),
    );
    assert.equal(await db.selectFrom("kv").select("key").where("key", "=", key).executeTakeFirst(), undefined);
  });
});
