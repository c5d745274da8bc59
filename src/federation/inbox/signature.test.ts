import assert from "node:assert/strict";
import { test } from "node:test";
import { blockCandidates } from "../domain-blocks.ts";
import { sameAuthority } from "../../lib/authority.ts";
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
    // Names that are not header tokens (issue #10 item 9): each once made verification throw.
    "leading space in headers": good.replace('headers="(request-target)', 'headers=" (request-target)'),
    "two spaces between names": good.replace("host date", "host  date"),
    "tab between names": good.replace("host date", "host\tdate"),
    "colon in a name": good.replace(" digest", " digest a:b"),
    "parenthesis in a name": good.replace(" digest", " digest x(y"),
    "unknown pseudo-header": good.replace(" digest", " digest (request-line)"),
    "upper-case name": good.replace(" host", " Host"),
    "a name twice": good.replace(" digest", " digest date"),
  };
  for (const [what, header] of Object.entries(refusals)) assert.equal(parseDraftSignature(header).ok, false, what);
  const accepted = good.replace(" digest", " digest content-type (created)");
  const parsed = parseDraftSignature(accepted);
  assert.equal(parsed.ok && parsed.value.get("headers"), "(request-target) host date digest content-type (created)");
});

test("a signed Host names this server only as its origin's host (letter case and default port aside)", () => {
  const https = new URL("https://social.example.org");
  for (const host of ["social.example.org", "Social.Example.ORG", "social.example.org:443"]) assert.equal(sameAuthority(host, https), true, host);
  for (const host of ["mastodon.social", "social.example.org:8443", "social.example.org.evil.example", "evil@social.example.org", "social.example.org/x", "", " social.example.org"]) {
    assert.equal(sameAuthority(host, https), false, host);
  }
  const withPort = new URL("http://127.0.0.1:3000");
  assert.equal(sameAuthority("127.0.0.1:3000", withPort), true);
  assert.equal(sameAuthority("127.0.0.1", withPort), false, "the configured port is part of the host");
  assert.equal(sameAuthority("127.0.0.1:80", withPort), false);
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

test("one parser for both body-digest headers: SHA-256 required and matched, other algorithms ignored", async () => {
  const { checkBodyDigest } = await import("./signature.ts");
  const good = "X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=";
  assert.deepEqual(checkBodyDigest(`SHA-256=${good}`, "Digest", good), { ok: true, value: { onlySha256: true } });
  assert.deepEqual(checkBodyDigest(`sha-512=x, sha-256=${good}`, "Digest", good), { ok: true, value: { onlySha256: false } });
  assert.deepEqual(checkBodyDigest(`sha-256=:${good}:`, "Content-Digest", good), { ok: true, value: { onlySha256: true } });
  for (const [header, form] of [
    [`sha-256=:${good}:`, "Digest"],
    [`sha-256=${good}`, "Content-Digest"],
    ["sha-512=abc", "Digest"],
    [`sha-256=${good}, sha-256=other`, "Digest"],
    ["", "Content-Digest"],
  ] as const) {
    const result = checkBodyDigest(header, form, good);
    assert.equal(result.ok, false, `${form}: ${header}`);
    assert.equal(!result.ok && result.error, "digest");
  }
});
