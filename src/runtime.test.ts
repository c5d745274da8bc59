import assert from "node:assert/strict";
import { test } from "node:test";

// npm install brings Node 24 (devDependency "node"); the machine's own node is older. Tests run
// through npm scripts; if this fails, they ran on the wrong runtime.
test("runs on Node.js 24", () => {
  assert.match(process.version, /^v24\./);
});
