import assert from "node:assert/strict";
import { test } from "node:test";
import { blockCandidates } from "../domain-blocks.ts";
import { parseDraftSignature, signedComponents } from "./signature.ts";

test("draft Signature headers are parsed strictly", () => {
  const good = 'keyId="https://a.example/u#k",algorithm="rsa-sha256",headers="(request-target) host date digest",signature="c2ln"';
  assert.equal(parseDraftSignature(good).ok, true);
  assert.equal(parseDraftSignature(good.replace("rsa-sha256", "HS2019")).ok, true);
  const refusals: Record<string, string> = {
    duplicate: `${good},keyId="https://b.example/u#k"`,
    unknown: `${good},foo="1"`,
    "case variant": good.replace("keyId", "keyid"),
    "unknown algorithm": good.replace("rsa-sha256", "ed25519-sha512"),
    "missing headers": good.replace('headers="(request-target) host date digest",', ""),
    "empty headers": good.replace("(request-target) host date digest", ""),
    "digest not covered": good.replace(" digest", ""),
    "host not covered": good.replace(" host", ""),
    "comma inside a value": good.replace("https://a.example/u#k", "https://a.example/u,x#k"),
    garbage: "Signature keyId=x",
  };
  for (const [what, header] of Object.entries(refusals)) assert.equal(parseDraftSignature(header).ok, false, what);
});

test("RFC 9421 covered components are read for one label, unambiguously", () => {
  const input = 'sig1=("@method" "@target-uri" "content-digest");created=1;keyid="https://a.example/k, x";alg="rsa-v1_5-sha256", sig2=("@method")';
  assert.deepEqual(signedComponents(input, "sig1"), ["@method", "@target-uri", "content-digest"]);
  assert.deepEqual(signedComponents(input, "sig2"), ["@method"]);
  assert.equal(signedComponents(input, "sig3"), null);
  assert.equal(signedComponents(`${input}, sig1=("@method")`, "sig1"), null, "a label twice is ambiguous");
  assert.equal(signedComponents('sig1=("@method" "unterminated);created=1', "sig1"), null);
});

test("a domain block covers subdomains; a port narrows it to one origin", () => {
  assert.deepEqual(blockCandidates({ name: "a.evil.example", host: "a.evil.example" }), ["a.evil.example", "evil.example", "example"]);
  assert.deepEqual(blockCandidates({ name: "127.0.0.1", host: "127.0.0.1:4567" }), ["127.0.0.1:4567", "127.0.0.1"]);
});
