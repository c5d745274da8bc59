import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";

/**
 * The benchmark baseline (node-http-baseline.ts) must behave like Herold's client, or comparing them
 * measures nothing: the whole behavioural suite of src/net/http1-client.test.ts runs against it, with
 * use-node-http.ts swapping the class in.
 */
test("the node:http baseline passes Http1Client's behavioural tests", () => {
  const suite = new URL("../../src/net/http1-client.test.ts", import.meta.url).pathname;
  const hook = new URL("./use-node-http.ts", import.meta.url).pathname;
  // Without the runner's context variable the child reports in TAP instead of to this runner.
  const { NODE_TEST_CONTEXT: _, ...env } = process.env;
  const run = spawnSync(process.execPath, ["--import", hook, "--test-reporter=tap", suite], { encoding: "utf8", timeout: 120_000, env });
  assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
  assert.match(run.stdout, /^# fail 0$/m);
  assert.doesNotMatch(run.stdout, /^# pass 0$/m);
});
