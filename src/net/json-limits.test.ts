import assert from "node:assert/strict";
import { test } from "node:test";
import { parseJsonLimited } from "./json-limits.ts";

const limits = { maxDepth: 32, maxStringLength: 100 };

test("parses ordinary documents", () => {
  const result = parseJsonLimited('{"type":"Note","to":["a","b"],"n":1.5,"x":null,"y":true,"z":{"w":[{}]}}', limits);
  assert.ok(result.ok);
  assert.deepEqual(result.value, { type: "Note", to: ["a", "b"], n: 1.5, x: null, y: true, z: { w: [{}] } });
});

test("a 10,000-deep array is a typed error, not a stack overflow", () => {
  const text = "[".repeat(10_000) + "]".repeat(10_000);
  const result = parseJsonLimited(text, limits);
  assert.equal(result.ok, false);
  assert.equal(!result.ok && result.error, "too-deep");
});

test("a 1,000,000-deep unterminated document is refused without building anything", () => {
  const result = parseJsonLimited('{"a":'.repeat(1_000_000), limits);
  assert.equal(!result.ok && result.error, "too-deep");
});

test("depth is counted exactly; brackets inside strings do not count", () => {
  const atLimit = "[".repeat(32) + "]".repeat(32);
  assert.ok(parseJsonLimited(atLimit, limits).ok);
  const over = "[".repeat(33) + "]".repeat(33);
  assert.equal(parseJsonLimited(over, limits).ok, false);
  const inString = JSON.stringify({ s: "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[{{{{{{{{{" });
  assert.ok(parseJsonLimited(inString, { maxDepth: 2, maxStringLength: 100 }).ok);
  const escapedQuote = '{"s":"\\"[[[[[[[[[[\\\\"}';
  assert.ok(parseJsonLimited(escapedQuote, { maxDepth: 1, maxStringLength: 100 }).ok);
});

test("over-long strings and keys are refused; length counts decoded characters", () => {
  assert.equal(parseJsonLimited(JSON.stringify({ s: "x".repeat(101) }), limits).ok, false);
  const longKey = parseJsonLimited(JSON.stringify({ ["k".repeat(101)]: 1 }), limits);
  assert.equal(!longKey.ok && longKey.error, "string-too-long");
  assert.ok(parseJsonLimited(JSON.stringify({ s: "x".repeat(100) }), limits).ok);
  // 100 characters written as \uXXXX escapes are 600 raw characters but still 100 characters.
  const escaped = '{"s":"' + "\\u00e9".repeat(100) + '"}';
  const result = parseJsonLimited(escaped, limits);
  assert.ok(result.ok);
  assert.deepEqual(result.value, { s: "é".repeat(100) });
});

test("invalid JSON is a typed error", () => {
  for (const text of ["", "{", '{"a":}', "[1,]", "undefined", '{"a":"\\x"}', "'a'", "{'a':1}"]) {
    const result = parseJsonLimited(text, limits);
    assert.equal(!result.ok && result.error, "invalid-json", text);
  }
});
