import assert from "node:assert/strict";
import { test } from "node:test";
import { isId, newId } from "./id.ts";

test("ids are 26 characters and sort by creation time, also within one millisecond", () => {
  const ids = Array.from({ length: 2000 }, () => newId(1_700_000_000_000));
  const later = newId(1_700_000_000_001 + 1000);
  for (const id of [...ids, later]) assert.ok(isId(id), id);
  assert.deepEqual([...ids].sort(), ids);
  assert.ok(later > ids.at(-1)!);
  assert.equal(new Set(ids).size, ids.length);
});

test("isId refuses other shapes", () => {
  assert.equal(isId("../etc/passwd"), false);
  assert.equal(isId("01ARZ3NDEKTSV4RRFFQ69G5FAV"), false); // upper case is not ours
});
