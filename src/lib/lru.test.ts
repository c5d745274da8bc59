import assert from "node:assert/strict";
import { test } from "node:test";
import { LoadingLru } from "./lru.ts";

test("loading LRU: one load per key at a time, failures and nulls are not kept, capacity bounded", async () => {
  const loads: string[] = [];
  let fail = true;
  const lru = new LoadingLru<string, string>(2, async (key) => {
    loads.push(key);
    if (key === "missing") return null;
    if (key === "flaky" && fail) throw new Error("db down");
    return key.toUpperCase();
  });
  assert.deepEqual(await Promise.all([lru.get("a"), lru.get("a"), lru.get("a")]), ["A", "A", "A"]);
  assert.equal(await lru.get("missing"), null);
  assert.equal(await lru.get("missing"), null);
  await assert.rejects(lru.get("flaky"), /db down/);
  fail = false;
  assert.equal(await lru.get("flaky"), "FLAKY");
  await lru.get("b");
  await lru.get("flaky"); // most recently used: flaky, then b; a was evicted
  assert.equal(lru.size, 2);
  await lru.get("a");
  assert.deepEqual(loads, ["a", "missing", "missing", "flaky", "flaky", "b", "a"]);
});
