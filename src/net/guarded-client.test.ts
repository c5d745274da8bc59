import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { createGuardedHttpClient, ForbiddenAddressError, type GuardedHttpClientOptions, type LookupFn } from "./guarded-client.ts";
import { CONNECT_TIMEOUT_CODE } from "./http1-client.ts";
import { OK_TEST_CERT, OK_TEST_KEY } from "./testing/tls-certificate.ts";
import { startTestServer, type TestServer } from "../testing/test-server.ts";

// Every connection in this file goes to a listener on 127.0.0.1. Names resolve only through the stub
// below; private and metadata addresses appear only as stub answers that the guard must refuse before
// any socket is opened.

function stubLookup(table: Record<string, readonly string[]>, calls: string[] = []): LookupFn {
  return async (hostname) => {
    calls.push(hostname);
    const addresses = table[hostname];
    if (addresses === undefined) throw Object.assign(new Error(`stub: no such name ${hostname}`), { code: "ENOTFOUND" });
    return addresses.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
  };
}

function clientWith(options: Partial<GuardedHttpClientOptions> & Pick<GuardedHttpClientOptions, "lookup">) {
  return createGuardedHttpClient({ allowPrivateAddress: false, connectTimeoutMs: 2000, connectionsPerOrigin: 2, ...options });
}

let server: TestServer;
before(async () => {
  server = await startTestServer((request, response) => {
    response.setHeader("content-type", "text/plain");
    response.end(`host=${request.headers.host}`);
  });
});
after(() => server.close());

async function get(guardedClient: ReturnType<typeof createGuardedHttpClient>, url: string) {
  const response = await guardedClient.client.request({ url: new URL(url), method: "GET", headers: {}, body: null, headersTimeoutMs: 2000, totalTimeoutMs: 4000, maxBodyBytes: 4096, collectBody: true });
  return { status: response.status, text: response.bytes.toString() };
}

test("a name resolving to loopback is refused and the listener receives nothing", async () => {
  const guardedClient = clientWith({ lookup: stubLookup({ "evil.test": ["127.0.0.1"] }) });
  const before = server.connections();
  await assert.rejects(get(guardedClient, server.url("/", "evil.test")), (error: unknown) => {
    assert.ok(error instanceof ForbiddenAddressError);
    assert.equal(error.address, "127.0.0.1");
    return true;
  });
  assert.equal(server.connections(), before);
  await guardedClient.destroy();
});

test("private and metadata answers are refused before connecting", async () => {
  const guardedClient = clientWith({
    lookup: stubLookup({
      "private.test": ["10.0.0.1"],
      "metadata.test": ["169.254.169.254"],
      "mapped.test": ["::ffff:10.0.0.1"],
      "compat.test": ["::a9fe:a9fe"],
      "nat64.test": ["64:ff9b::a9fe:a9fe"],
      "garbage.test": ["0177.0.0.1"],
    }),
  });
  for (const name of ["private.test", "metadata.test", "mapped.test", "compat.test", "nat64.test", "garbage.test"]) {
    await assert.rejects(get(guardedClient, `http://${name}/`), ForbiddenAddressError, name);
  }
  await guardedClient.destroy();
});

test("a mixed answer is refused even when one address would be allowed", async () => {
  const guardedClient = clientWith({
    lookup: stubLookup({ "mixed.test": ["127.0.0.1", "10.0.0.1"] }),
    allowedEndpoints: [{ address: "127.0.0.1", port: server.port }],
  });
  const before = server.connections();
  await assert.rejects(get(guardedClient, server.url("/", "mixed.test")), ForbiddenAddressError);
  assert.equal(server.connections(), before);
  await guardedClient.destroy();
});

test("a literal loopback URL is refused by the connector itself", async () => {
  const guardedClient = clientWith({ lookup: stubLookup({}) });
  const before = server.connections();
  await assert.rejects(get(guardedClient, server.url("/")), ForbiddenAddressError);
  await assert.rejects(get(guardedClient, `http://[::ffff:127.0.0.1]:${server.port}/`), ForbiddenAddressError);
  assert.equal(server.connections(), before);
  await guardedClient.destroy();
});

test("an exact endpoint exception lets one loopback port through, keeping the name as Host", async () => {
  const guardedClient = clientWith({
    lookup: stubLookup({ "ok.test": ["127.0.0.1"] }),
    allowedEndpoints: [{ address: "127.0.0.1", port: server.port }],
  });
  const response = await get(guardedClient, server.url("/", "ok.test"));
  assert.equal(response.status, 200);
  assert.equal(response.text, `host=ok.test:${server.port}`);
  // The exception is for that port only.
  await assert.rejects(get(guardedClient, `http://ok.test:${server.port === 65535 ? 65534 : server.port + 1}/`), ForbiddenAddressError);
  await guardedClient.destroy();
});

test("allowPrivateAddress lets a loopback server through, by literal and by name", async () => {
  const guardedClient = clientWith({ allowPrivateAddress: true, lookup: stubLookup({ "dev.test": ["127.0.0.1"] }) });
  assert.equal((await get(guardedClient, server.url("/"))).status, 200);
  assert.equal((await get(guardedClient, server.url("/", "dev.test"))).text, `host=dev.test:${server.port}`);
  await guardedClient.destroy();
});

test("the checked address is the one connected to: one resolution per connection, reused while kept alive", async () => {
  const calls: string[] = [];
  let answered = false;
  // Answers once; a second resolution (a rebinding window) would fail the request instead of connecting anywhere.
  const lookup: LookupFn = async (hostname) => {
    calls.push(hostname);
    if (answered) throw new Error("resolved twice");
    answered = true;
    return [{ address: "127.0.0.1", family: 4 }];
  };
  const guardedClient = createGuardedHttpClient({
    allowPrivateAddress: false,
    lookup,
    connectTimeoutMs: 2000,
    connectionsPerOrigin: 1,
    allowedEndpoints: [{ address: "127.0.0.1", port: server.port }],
  });
  for (let i = 0; i < 3; i++) assert.equal((await get(guardedClient, server.url("/", "rebind.test"))).status, 200);
  assert.deepEqual(calls, ["rebind.test"]);
  await guardedClient.destroy();
});

test("resolution failures and hung resolvers are errors, not hangs", async () => {
  const hung: LookupFn = () => new Promise(() => undefined);
  const guardedClient = clientWith({ lookup: hung, connectTimeoutMs: 200 });
  await assert.rejects(get(guardedClient, "http://slow-dns.test/"), (error: unknown) => (error as { code?: string }).code === CONNECT_TIMEOUT_CODE);
  await guardedClient.destroy();

  const missing = clientWith({ lookup: stubLookup({}) });
  await assert.rejects(get(missing, "http://nowhere.test/"), (error: unknown) => (error as { code?: string }).code === "ENOTFOUND");
  await missing.destroy();

  const empty = clientWith({ lookup: async () => [] });
  await assert.rejects(get(empty, "http://empty.test/"), (error: unknown) => (error as { code?: string }).code === "ENOTFOUND");
  await empty.destroy();
});

test("TLS: connects to the checked address but sends SNI and verifies the certificate for the name", async () => {
  const tlsServer = await startTestServer(
    (request, response) => response.end(`host=${request.headers.host}`),
    { tls: { cert: OK_TEST_CERT, key: OK_TEST_KEY } },
  );
  const guardedClient = clientWith({
    lookup: stubLookup({ "ok.test": ["127.0.0.1"], "wrong.test": ["127.0.0.1"] }),
    allowedEndpoints: [{ address: "127.0.0.1", port: tlsServer.port }],
    ca: OK_TEST_CERT,
  });
  try {
    const response = await get(guardedClient, tlsServer.url("/", "ok.test"));
    assert.equal(response.text, `host=ok.test:${tlsServer.port}`);
    assert.deepEqual(tlsServer.servernames, ["ok.test"]);
    // Same address, other name: the certificate does not cover it, so the handshake must fail.
    await assert.rejects(
      get(guardedClient, tlsServer.url("/", "wrong.test")),
      (error: unknown) => (error as { code?: string }).code === "ERR_TLS_CERT_ALTNAME_INVALID",
    );
    // An address literal is verified as an address: the certificate names ok.test only.
    const literal = clientWith({ lookup: stubLookup({}), allowPrivateAddress: true, ca: OK_TEST_CERT });
    await assert.rejects(get(literal, tlsServer.url("/")), (error: unknown) => (error as { code?: string }).code === "ERR_TLS_CERT_ALTNAME_INVALID");
    await literal.destroy();
  } finally {
    await guardedClient.destroy();
    await tlsServer.close();
  }
});
