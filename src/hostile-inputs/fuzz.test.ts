import assert from "node:assert/strict";
import { test } from "node:test";
import { formatReport, generateCase, runFuzz } from "./fuzz/runner.ts";
import { startFuzzTarget } from "./fuzz/target.ts";
import { checkInvariants } from "./invariants.ts";
import { captureLogs } from "./logs.ts";
import { newId } from "../lib/id.ts";

/**
 * The short CI run of the inbox fuzzer (bench/fuzz.ts runs the long one): 2,000 cases of mutated
 * fixtures and signature headers, over HTTP and straight into the handlers. Any finding fails the
 * test and is printed with the seed and case index that reproduce it.
 */
const SEED = Number(process.env.HEROLD_FUZZ_SEED ?? 20261127) >>> 0;

test("2,000 fuzz cases: the process stays up, memory stays bounded, nothing invalid is stored", { timeout: 600_000 }, async (t) => {
  const logs = await captureLogs("warning");
  const report = await runFuzz({ count: 2000, seed: SEED, batch: 200, logs });
  t.diagnostic(formatReport(report, SEED));
  assert.equal(report.cases, 2000);
  assert.ok((report.outcomes["http 202"] ?? 0) > 50, "some signed cases got past the door (the signature variants are not all broken)");
  assert.ok((report.outcomes["direct 202"] ?? 0) > 200, "many mutated documents reached the handlers");
  assert.ok((report.outcomes["processed"] ?? 0) > 0 && (report.outcomes["rejected"] ?? 0) > 0, "handlers processed some and rejected some");
  assert.deepEqual(report.findings, [], formatReport(report, SEED));
});

test("cases are generated from seed and index alone", async () => {
  const target = await startFuzzTarget("sqlite");
  try {
    for (const index of [0, 1, 77, 1999]) {
      const a = generateCase(SEED, index, target, 0.4);
      const b = generateCase(SEED, index, target, 0.4);
      assert.deepEqual(a.body, b.body, `case ${index}`);
      assert.deepEqual(a.mutations, b.mutations);
      assert.equal(a.mode, b.mode);
    }
    assert.notDeepEqual(generateCase(SEED, 1, target, 0.4).body, generateCase(SEED + 1, 1, target, 0.4).body);
  } finally {
    await target.close();
  }
});

test("the invariants catch what they are meant to catch (a planted unsanitised post)", async () => {
  const target = await startFuzzTarget("sqlite");
  try {
    const actor = await target.federationModule.actors.resolveUri(target.signers[0]!.id);
    assert.ok(actor.ok);
    assert.deepEqual(await target.invariants(), []);
    await target.db.insertInto("posts").values({
      id: newId(), uri: `${target.origin}/forged`, actor_id: actor.value.id, is_local: 0, type: "Note", state: "published", visibility: "public",
      content_html: '<p onclick="x">hi<script>alert(1)</script></p>', published_at: new Date().toISOString(), created_at: new Date().toISOString(), updated_at: new Date().toISOString(),
    }).execute();
    const violations = await checkInvariants(target.db, target.config.limits, target.origin);
    const rules = new Set(violations.map((v) => v.rule));
    assert.ok(rules.has("post content is sanitised (idempotent)"), JSON.stringify(violations));
    assert.ok(rules.has("post id is on its actor's origin"), JSON.stringify(violations));
    assert.ok(rules.has("post content holds only allowed elements"), JSON.stringify(violations));
  } finally {
    await target.close();
  }
});
