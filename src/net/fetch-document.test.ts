import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { fetchActivityPubDocument, type FetchDocumentOptions } from "./fetch-document.ts";
import { createGuardedHttpClient, type GuardedHttpClient } from "./guarded-client.ts";
import { startTestServer, type TestServer } from "../testing/test-server.ts";

// One loopback server on 127.0.0.1, reached by literal address with allowPrivateAddress (dev mode).
// The resolver refuses every name, so nothing here can reach real DNS.

let server: TestServer;
let guardedClient: GuardedHttpClient;
let lastAccept: string | undefined;

before(async () => {
  server = await startTestServer((request, response) => {
    const origin = `http://${request.headers.host}`;
    const url = new URL(request.url ?? "/", origin);
    lastAccept = request.headers.accept;
    const send = (contentType: string | undefined, document: unknown, status = 200): void => {
      response.statusCode = status;
      if (contentType !== undefined) response.setHeader("content-type", contentType);
      response.end(typeof document === "string" ? document : JSON.stringify(document));
    };
    const self = { "@context": "https://www.w3.org/ns/activitystreams", id: `${origin}${url.pathname}`, type: "Person" };
    switch (url.pathname) {
      case "/users/alice":
        return send("application/activity+json", self);
      case "/ld-profile":
        return send('application/ld+json; profile="https://www.w3.org/ns/activitystreams"', self);
      case "/ld-plain":
        return send("application/ld+json", self);
      case "/mixed-case":
        return send("Application/Activity+JSON; charset=utf-8", self);
      case "/html":
        return send("text/html", self);
      case "/json":
        return send("application/json", self);
      case "/no-type":
        return send(undefined, self);
      case "/prefix-trick":
        return send("application/activity+jsonx", self);
      case "/other-origin":
        return send("application/activity+json", { ...self, id: "https://victim.example/users/alice" });
      case "/other-port":
        return send("application/activity+json", { ...self, id: `http://127.0.0.1:${server.port + 1}/other-port` });
      case "/key":
        return send("application/activity+json", { ...self, id: `${origin}/key#main-key` });
      case "/redirect-to-alice":
        response.statusCode = 302;
        response.setHeader("location", "/users/alice");
        return response.end();
      case "/claims-requested":
        response.statusCode = 302;
        response.setHeader("location", "/serves-requested");
        return response.end();
      case "/serves-requested":
        return send("application/activity+json", { ...self, id: `${origin}/claims-requested` });
      case "/deep":
        return send("application/activity+json", `{"id":"${origin}/deep","x":${"[".repeat(10_000)}${"]".repeat(10_000)}}`);
      case "/long-string":
        return send("application/activity+json", { ...self, summary: "x".repeat(200_000) });
      case "/array":
        return send("application/activity+json", [self]);
      case "/missing-id":
        return send("application/activity+json", { type: "Note" });
      case "/numeric-id":
        return send("application/activity+json", { ...self, id: 5 });
      case "/bad-utf8":
        response.setHeader("content-type", "application/activity+json");
        return response.end(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]));
      case "/invalid-json":
        return send("application/activity+json", "{not json");
      case "/gone":
        return send("application/activity+json", "", 410);
      case "/error":
        return send("application/activity+json", self, 500);
      default:
        return send("application/activity+json", "", 404);
    }
  });
  guardedClient = createGuardedHttpClient({
    allowPrivateAddress: true,
    lookup: async (hostname) => {
      throw Object.assign(new Error(`no DNS in tests: ${hostname}`), { code: "ENOTFOUND" });
    },
    connectTimeoutMs: 2000,
    connectionsPerOrigin: 2,
  });
});

after(async () => {
  await guardedClient.destroy();
  await server.close();
});

function fetchDoc(path: string, options: Partial<FetchDocumentOptions> = {}) {
  return fetchActivityPubDocument(server.url(path), { guardedClient, allowHttp: true, requireIdEquals: "final-url", ...options });
}

async function expectError(path: string, expected: string, options: Partial<FetchDocumentOptions> = {}): Promise<void> {
  const result = await fetchDoc(path, options);
  assert.equal(result.ok ? "ok" : result.error, expected, `${path}: ${result.ok ? "" : result.message}`);
}

test("fetches an actor with the ActivityPub Accept header", async () => {
  const result = await fetchDoc("/users/alice", { headers: { accept: "text/html", "x-extra": "1" } });
  assert.ok(result.ok, !result.ok ? result.message : "");
  assert.equal(result.value.document["type"], "Person");
  assert.equal(result.value.id, server.url("/users/alice"));
  assert.equal(result.value.finalUrl, server.url("/users/alice"));
  assert.equal(lastAccept, 'application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"');
});

test("accepts activity+json and ld+json with any parameters", async () => {
  for (const path of ["/ld-profile", "/ld-plain", "/mixed-case"]) {
    const result = await fetchDoc(path);
    assert.ok(result.ok, path);
  }
});

test("refuses other content types (CVE-2024-23832)", async () => {
  for (const path of ["/html", "/json", "/no-type", "/prefix-trick"]) await expectError(path, "bad-content-type");
});

test("refuses a document whose id is on another origin, in every mode", async () => {
  for (const mode of ["final-url", "requested-url", "same-origin"] as const) {
    await expectError("/other-origin", "id-mismatch", { requireIdEquals: mode });
    await expectError("/other-port", "id-mismatch", { requireIdEquals: mode });
  }
});

test("final-url: the id must be where the document was served from after redirects", async () => {
  const followed = await fetchDoc("/redirect-to-alice");
  assert.ok(followed.ok);
  assert.equal(followed.value.finalUrl, server.url("/users/alice"));
  await expectError("/claims-requested", "id-mismatch");
});

test("requested-url: the id must be exactly what was asked for (GHSA-8863-8468-7hq7)", async () => {
  await expectError("/redirect-to-alice", "id-mismatch", { requireIdEquals: "requested-url" });
  const same = await fetchDoc("/claims-requested", { requireIdEquals: "requested-url" });
  assert.ok(same.ok);
  assert.equal(same.value.id, server.url("/claims-requested"));
  assert.ok((await fetchDoc("/users/alice", { requireIdEquals: "requested-url" })).ok);
});

test("same-origin: any id on the serving origin", async () => {
  assert.ok((await fetchDoc("/redirect-to-alice", { requireIdEquals: "same-origin" })).ok);
  assert.ok((await fetchDoc("/claims-requested", { requireIdEquals: "same-origin" })).ok);
});

test("fragments are ignored in id comparisons (key ids)", async () => {
  const key = await fetchActivityPubDocument(server.url("/key") + "#main-key", {
    guardedClient,
    allowHttp: true,
    requireIdEquals: "requested-url",
  });
  assert.ok(key.ok, !key.ok ? key.message : "");
});

test("a 10,000-deep document is a typed error", async () => {
  await expectError("/deep", "too-deep");
});

test("limits are configurable: long strings are refused", async () => {
  await expectError("/long-string", "string-too-long", { jsonLimits: { maxDepth: 32, maxStringLength: 100_000 } });
  assert.ok((await fetchDoc("/long-string", { jsonLimits: { maxDepth: 32, maxStringLength: 300_000 } })).ok);
});

test("shape errors: arrays, missing or non-string ids, invalid JSON and UTF-8", async () => {
  await expectError("/array", "not-an-object");
  await expectError("/missing-id", "missing-id");
  await expectError("/numeric-id", "missing-id");
  await expectError("/invalid-json", "invalid-json");
  await expectError("/bad-utf8", "invalid-json");
});

test("status codes: 404, 410 and other failures are distinct", async () => {
  await expectError("/nothing-here", "not-found");
  await expectError("/gone", "gone");
  await expectError("/error", "http-status");
});

test("URL refusals and size caps pass through from safeFetch", async () => {
  const data = await fetchActivityPubDocument("data:application/activity+json,{}", { guardedClient, allowHttp: true, requireIdEquals: "final-url" });
  assert.equal(!data.ok && data.error, "forbidden-url");
  await expectError("/long-string", "too-large", { maxBytes: 10_000 });
});
