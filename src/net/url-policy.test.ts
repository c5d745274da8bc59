import assert from "node:assert/strict";
import { test } from "node:test";
import { checkUrl, normalizeUrl, sameOrigin, type UrlPolicy } from "./url-policy.ts";

// Pure checks: nothing here resolves a name or opens a connection.

const production: UrlPolicy = { allowHttp: false, addressPolicy: { allowPrivateAddress: false } };
const dev: UrlPolicy = { allowHttp: true, addressPolicy: { allowPrivateAddress: true } };

function refused(url: string, policy: UrlPolicy = production): string | undefined {
  const result = checkUrl(url, policy);
  return result.ok ? undefined : result.error;
}

test("only https in production; http only when allowed", () => {
  assert.ok(checkUrl("https://example.org/users/alice", production).ok);
  assert.equal(refused("http://example.org/users/alice"), "forbidden-url");
  assert.ok(checkUrl("http://example.org/users/alice", { ...production, allowHttp: true }).ok);
});

test("non-http schemes are refused, whatever the policy", () => {
  for (const url of [
    "data:application/activity+json,{}",
    "data:text/html;base64,PHNjcmlwdD4=",
    "file:///etc/passwd",
    "file://localhost/etc/passwd",
    "javascript:alert(1)",
    "ftp://example.org/",
    "gopher://example.org/",
    "ws://example.org/",
    "blob:https://example.org/x",
    "HTTPS+x://example.org/",
    "/relative/path",
    "example.org/users/alice",
    "",
  ]) {
    assert.equal(refused(url, dev), "forbidden-url", url);
  }
});

test("userinfo is refused in every spelling (case 3)", () => {
  for (const url of [
    "https://user@example.org/",
    "https://user:pass@example.org/",
    "https://:pass@example.org/",
    "https://mastodon.social@evil.example/",
    "https://evil.example%40mastodon.social@evil.example/",
  ]) {
    assert.equal(refused(url), "forbidden-url", url);
  }
});

test("hosts are parsed, not sliced: tricky spellings mean what the URL parser says", () => {
  // %2F in the host does not parse at all (CVE-2023-42451 turned mastodon.so/cial into mastodon.social).
  assert.equal(refused("https://mastodon.so%2Fcial/users/a"), "forbidden-url");
  // A backslash is a path separator for http(s): the host is evil.example, not good.example.
  const backslash = checkUrl("https://evil.example\\@good.example/", production);
  assert.ok(backslash.ok);
  assert.equal(backslash.value.hostname, "evil.example");
  // Slash in the path stays in the path.
  const slash = checkUrl("https://mastodon.so/cial", production);
  assert.ok(slash.ok);
  assert.equal(slash.value.hostname, "mastodon.so");
  // IDN homographs become punycode, so they never equal the ASCII name they imitate.
  const homograph = checkUrl("https://аррӏе.com/", production);
  assert.ok(homograph.ok);
  assert.equal(homograph.value.hostname, "xn--80ak6aa92e.com");
});

test("hosts are normalised: lower case, one trailing dot removed, fragment dropped, default port dropped", () => {
  const result = checkUrl("https://Example.ORG.:443/Users/Alice?x=1#main-key", production);
  assert.ok(result.ok);
  assert.equal(result.value.href, "https://example.org/Users/Alice?x=1");
  assert.equal(refused("https://example.org../"), "forbidden-url");
  assert.equal(refused("https://a..example.org/"), "forbidden-url");
  assert.equal(refused("https://./"), "forbidden-url");
  assert.equal(refused("https://example.org:0/"), "forbidden-url");
  assert.ok(checkUrl("https://example.org:8443/", production).ok);
});

test("literal IP hosts are judged by the address policy, in every numeric spelling", () => {
  for (const url of [
    "https://127.0.0.1/",
    "https://2130706433/",
    "https://0x7f.0.0.1/",
    "https://0177.0.0.1/",
    "https://127.1/",
    "https://[::1]/",
    "https://[::ffff:127.0.0.1]/",
    "https://[::ffff:7f00:1]/",
    "https://[::127.0.0.1]/",
    "https://[64:ff9b::a9fe:a9fe]/",
    "https://[2002:a9fe:a9fe::]/",
    "https://[fe80::1]/",
    "https://[fd00::1]/",
    "https://169.254.169.254/latest/meta-data/",
    "https://10.0.0.1/",
    "https://172.16.0.1/",
    "https://192.168.1.1/",
    "https://100.64.0.1/",
    "https://0.0.0.0/",
    "https://0/",
  ]) {
    assert.equal(refused(url), "forbidden-address", url);
  }
  assert.ok(checkUrl("https://93.184.215.14/", production).ok);
  assert.ok(checkUrl("https://[2606:4700::1111]/", production).ok);
  assert.ok(checkUrl("http://127.0.0.1:8080/", dev).ok);
});

test("loopback and single-label names are refused without asking DNS, unless private addresses are allowed", () => {
  assert.equal(refused("https://localhost/"), "forbidden-address");
  assert.equal(refused("https://LOCALHOST./"), "forbidden-address");
  assert.equal(refused("https://api.localhost/"), "forbidden-address");
  assert.equal(refused("https://intranet/"), "forbidden-url");
  assert.ok(checkUrl("http://localhost:3000/", dev).ok);
});

test("an endpoint exception admits exactly that literal address and port", () => {
  const policy: UrlPolicy = {
    allowHttp: true,
    addressPolicy: { allowPrivateAddress: false, allowedEndpoints: [{ address: "127.0.0.1", port: 4000 }] },
  };
  assert.ok(checkUrl("http://127.0.0.1:4000/", policy).ok);
  assert.equal(refused("http://127.0.0.1:4001/", policy), "forbidden-address");
  assert.equal(refused("http://127.0.0.2:4000/", policy), "forbidden-address");
});

test("overlong URLs are refused", () => {
  assert.equal(refused("https://example.org/" + "a".repeat(9000)), "forbidden-url");
});

test("normalizeUrl and sameOrigin", () => {
  assert.equal(normalizeUrl("https://EXAMPLE.org./a#b")?.href, "https://example.org/a");
  assert.equal(normalizeUrl("not a url"), undefined);
  const a = normalizeUrl("https://example.org/a")!;
  assert.ok(sameOrigin(a, normalizeUrl("https://example.org:443/b")!));
  assert.ok(!sameOrigin(a, normalizeUrl("http://example.org/a")!));
  assert.ok(!sameOrigin(a, normalizeUrl("https://example.org:8443/a")!));
  assert.ok(!sameOrigin(a, normalizeUrl("https://sub.example.org/a")!));
});
