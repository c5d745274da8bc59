import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { ActorService } from "../actor/actor.service.ts";
import { generateTestKey } from "../federation/inbox/testing/fake-peer.ts";
import { HostLimiter } from "../delivery/host-limiter.ts";
import { prepareBody } from "../delivery/http-signature.ts";
import { InboxSender } from "../delivery/sender.ts";
import { DocumentFetcher } from "../federation/fetch/document-fetcher.ts";
import { FetchBudget } from "../federation/fetch/fetch-budget.ts";
import { canonicalAddress, isForbiddenAddress } from "../net/address-policy.ts";
import { createGuardedHttpClient, type GuardedHttpClient, type LookupFn } from "../net/guarded-client.ts";
import { Http1Client } from "../net/http1-client.ts";
import { startRawServer, startTestServer, type RawTestServer, type TestServer } from "../testing/test-server.ts";
import { OK_TEST_CERT, OK_TEST_KEY } from "../net/testing/tls-certificate.ts";
import { checkUrl } from "../net/url-policy.ts";
import { MediaProxy } from "../web/media-proxy.ts";
import { startHostileEnv, type HostileEnv, type RemoteActor } from "./harness.ts";

/**
 * Hostile-inputs case 12: server-side request forgery through every remote fetch Herold makes.
 *
 * Network rule of this file: every listener binds to 127.0.0.1, and the listeners that stand for
 * "inside" targets must record zero connections. Names resolve only through the stub below, and
 * only to loopback forms (127.x, ::1, ::ffff:127.0.0.1), so even a broken guard could not send
 * anything off this machine. The private and special ranges of the notes (10/8, 172.16/12,
 * 192.168/16, 100.64/10, 169.254/16, NAT64, 6to4, ULA, link-local …) are checked against the
 * address policy as pure functions, with no connection attempt at all.
 */

describe("case 12: the address policy refuses every range in the notes", () => {
  const refused: Record<string, readonly string[]> = {
    "0.0.0.0/8": ["0.0.0.0", "0.255.255.255"],
    "127/8": ["127.0.0.1", "127.255.255.254"],
    "10/8": ["10.0.0.0", "10.255.255.255"],
    "172.16/12": ["172.16.0.0", "172.31.255.255"],
    "192.168/16": ["192.168.0.0", "192.168.255.255"],
    "100.64/10": ["100.64.0.0", "100.127.255.255"],
    "169.254/16": ["169.254.0.0", "169.254.169.254"],
    "::": ["::"],
    "::1": ["::1", "0:0:0:0:0:0:0:1", "[::1]"],
    "::ffff:0:0/96": ["::ffff:127.0.0.1", "::ffff:7f00:1", "::ffff:10.0.0.1", "::ffff:169.254.169.254"],
    "::/96": ["::127.0.0.1", "::a00:1"],
    "64:ff9b::/96": ["64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe"],
    "2002::/16": ["2002:7f00:1::", "2002:a00:1::1"],
    "fc00::/7": ["fc00::1", "fdff:ffff::1"],
    "fe80::/10": ["fe80::1", "febf::1"],
  };
  // Neighbours just outside the private blocks are ordinary public addresses (checked as values only).
  const allowed = ["172.15.255.255", "172.32.0.0", "100.63.255.255", "100.128.0.0", "192.169.0.0", "11.0.0.0", "2a00:1450::1"];

  test("refused: first and last addresses of each range, in several spellings", () => {
    for (const [range, addresses] of Object.entries(refused)) {
      for (const address of addresses) assert.equal(isForbiddenAddress(address), true, `${range}: ${address}`);
    }
  });

  test("neighbours outside the ranges are not caught by accident", () => {
    for (const address of allowed) assert.equal(isForbiddenAddress(address), false, address);
  });

  test("URLs: only http(s), no userinfo, numeric spellings of loopback and private hosts refused without resolving", () => {
    const policy = { allowHttp: false, addressPolicy: { allowPrivateAddress: false } };
    const urls = [
      "http://example.org/", "ftp://example.org/", "file:///etc/passwd", "data:application/activity+json,{}", "gopher://example.org/",
      "javascript:alert(1)", "https://user:pass@example.org/", "https://example.org@127.0.0.1/", "https://2130706433/",
      "https://0x7f000001/", "https://0177.0.0.1/", "https://127.1/", "https://0/", "https://[::ffff:a00:1]/", "https://3232235777/",
      "https://localhost/", "https://LOCALHOST./", "https://a.localhost/", "https://intranet/", "https://[fe80::1%25eth0]/",
    ];
    for (const url of urls) assert.equal(checkUrl(url, policy).ok, false, url);
    assert.equal(canonicalAddress("::ffff:7f00:1"), "127.0.0.1");
  });
});

for (const engine of ["sqlite", "postgres"] as const) {
  describe(`case 12 through the inbox, production address policy [${engine}]`, () => {
    let env: HostileEnv;
    let inside: RawTestServer;
    let genuine: RemoteActor;

    before(async () => {
      env = await startHostileEnv(engine, { env: { HEROLD_ALLOW_PRIVATE_ADDRESS: "false" } });
      inside = await startRawServer((socket) => socket.destroy());
      // A genuine https actor whose document is already stored (no fetch needed): it proves that
      // genuine traffic still flows while every private target is refused. Its host is a
      // `.localhost` name on purpose: should anything try to refetch it, the URL policy refuses it
      // without resolving it, so no DNS query leaves the machine.
      const key = generateTestKey();
      const id = "https://genuine.localhost/users/gina";
      const stored = await env.herold.ctx.federationModule.actors.storeDocument(
        { id, type: "Person", preferredUsername: "gina", inbox: `${id}/inbox`, publicKey: { id: `${id}#main-key`, owner: id, publicKeyPem: key.publicKeyPem } },
        id,
      );
      assert.ok(stored.ok);
      genuine = { id, keyId: `${id}#main-key`, key, peer: { origin: "https://genuine.localhost" }, name: "gina" };
      env.setGenuine(genuine);
      await env.genuineStillProcessed();
    });
    after(async () => {
      await Promise.all([env?.close(), inside?.close()]);
    });

    const loopbackHosts = () => {
      const p = inside.port;
      return [
        `127.0.0.1:${p}`, `127.0.0.2:${p}`, `127.1:${p}`, `2130706433:${p}`, `0x7f000001:${p}`, `0177.0.0.1:${p}`, `0.0.0.0:${p}`, `0:${p}`,
        `localhost:${p}`, `LOCALHOST.:${p}`, `herold.localhost:${p}`, `[::1]:${p}`, `[::ffff:127.0.0.1]:${p}`, `[::ffff:7f00:1]:${p}`, `intranet:${p}`,
      ];
    };

    test("key ids and actor ids on loopback, in every spelling and scheme, are refused without a connection", async () => {
      const peersBefore = env.peerA.server.connections() + env.peerB.server.connections();
      for (const host of loopbackHosts()) {
        for (const scheme of ["https", "http"]) {
          const actorId = `${scheme}://${host}/users/eve`;
          const forged = { ...genuine, id: actorId, keyId: `${actorId}#main-key` };
          const activity = env.create(forged, {}, { id: `${scheme}://${host}/activities/${env.next()}` });
          await env.refused(() => env.deliver(genuine, activity, { keyId: forged.keyId }), {
            status: [400, 401],
            log: /refused with 40[01]: .*(not allowed|is loopback|not https|not a fully qualified|not an http\(s\) id|is not an http)/,
            what: actorId,
          });
        }
      }
      assert.equal(inside.connections(), 0, "the inside listener was never contacted");
      // The loopback peers exist but are private addresses for this instance: never contacted either.
      assert.equal(env.peerA.server.connections() + env.peerB.server.connections(), peersBefore);
    });

    test("objects named by a genuine actor on loopback are never fetched", async () => {
      for (const host of loopbackHosts()) {
        const boost = { "@context": "https://www.w3.org/ns/activitystreams", id: `${genuine.id}/activities/boost-${env.next()}`, type: "Announce", actor: genuine.id, object: `https://${host}/notes/1` };
        await env.refused(() => env.deliver(genuine, boost), {
          status: 202, processing: true, debugLog: true, log: /ignored Announce .*unavailable.*(not allowed|loopback|not a fully qualified)/, what: host,
        });
      }
      assert.equal(inside.connections(), 0);
    });

    test("a self-Update cannot point the actor's inbox at another origin", async () => {
      const update = {
        "@context": "https://www.w3.org/ns/activitystreams",
        id: `${genuine.id}/activities/update-${env.next()}`,
        type: "Update",
        actor: genuine.id,
        object: { id: genuine.id, type: "Person", preferredUsername: "gina", inbox: `https://127.0.0.1:${inside.port}/inbox`, publicKey: { id: `${genuine.id}#main-key`, owner: genuine.id, publicKeyPem: genuine.key.publicKeyPem } },
      };
      // The embedded profile is refused (inbox on another origin); the refetch of the real one is
      // refused by the URL policy (a .localhost name) — either way the stored actor keeps its own inbox.
      const before = await env.herold.ctx.repos.actors.findByUri(genuine.id);
      assert.equal((await env.deliver(genuine, update)).status, 202);
      await env.drain();
      const after = await env.herold.ctx.repos.actors.findByUri(genuine.id);
      assert.equal(after?.inboxUrl, before?.inboxUrl);
      assert.equal(inside.connections(), 0);
    });
  });
}

describe("case 12: names, redirects and every fetcher through the guard (stub DNS, TLS loopback)", () => {
  let okServer: TestServer;
  let inside: RawTestServer;
  let guardedClient: GuardedHttpClient;
  let deliveryClient: Http1Client;
  let env: HostileEnv;
  let dataDir: string;
  const lookups: string[] = [];

  before(async () => {
    okServer = await startTestServer((request, response) => {
      const path = new URL(request.url ?? "/", "https://ok.test").pathname;
      const p = inside.port;
      const redirects: Record<string, string> = {
        "/users/to-loopback-name": `https://loopback.test:${p}/users/x`,
        "/users/to-literal": `https://127.0.0.1:${p}/users/x`,
        "/users/to-mapped": `https://[::ffff:127.0.0.1]:${p}/users/x`,
        "/users/to-v6-name": `https://v6.test:${p}/users/x`,
        "/users/to-http": `http://ok.test:${okServer.port}/users/good`,
        "/users/to-data": "data:application/activity+json,%7B%7D",
        "/users/to-file": "file:///etc/passwd",
        "/users/to-userinfo": `https://ok.test@loopback.test:${p}/users/x`,
        "/users/to-mixed": `https://mixed.test:${okServer.port}/users/good`,
      };
      const location = redirects[path];
      if (location !== undefined) {
        response.writeHead(302, { location }).end();
        return;
      }
      if (path === "/users/good") {
        const id = `https://ok.test:${okServer.port}/users/good`;
        response.writeHead(200, { "content-type": "application/activity+json" }).end(JSON.stringify({ id, type: "Person", preferredUsername: "good", inbox: `${id}/inbox` }));
        return;
      }
      if (path === "/image.png") {
        response.writeHead(302, { location: `https://loopback.test:${p}/image.png` }).end();
        return;
      }
      response.writeHead(404).end();
    }, { tls: { cert: OK_TEST_CERT, key: OK_TEST_KEY } });
    inside = await startRawServer((socket) => socket.destroy());
    const lookup: LookupFn = async (hostname) => {
      lookups.push(hostname);
      const table: Record<string, Array<{ address: string; family: number }>> = {
        "ok.test": [{ address: "127.0.0.1", family: 4 }],
        "loopback.test": [{ address: "127.0.0.1", family: 4 }],
        "v6.test": [{ address: "::1", family: 6 }],
        "mapped.test": [{ address: "::ffff:127.0.0.1", family: 6 }],
        "mixed.test": [{ address: "127.0.0.1", family: 4 }, { address: "::1", family: 6 }],
      };
      const answer = table[hostname];
      if (answer === undefined) throw Object.assign(new Error(`stub: no such name ${hostname}`), { code: "ENOTFOUND" });
      return answer;
    };
    // Production policy, with one narrow exception: ok.test's listener (address and port).
    guardedClient = createGuardedHttpClient({
      allowPrivateAddress: false,
      lookup,
      connectTimeoutMs: 2000,
      connectionsPerOrigin: 2,
      allowedEndpoints: [{ address: "127.0.0.1", port: okServer.port }],
      ca: OK_TEST_CERT,
    });
    deliveryClient = new Http1Client({ addressPolicy: guardedClient.addressPolicy, lookup, connectTimeoutMs: 2000, connectionsPerOrigin: 2, ca: OK_TEST_CERT });
    env = await startHostileEnv("sqlite", { env: { HEROLD_ALLOW_PRIVATE_ADDRESS: "false" } });
    dataDir = mkdtempSync(join(tmpdir(), "herold-ssrf-"));
  });
  after(async () => {
    await Promise.all([okServer?.close(), inside?.close(), guardedClient?.close(), env?.close()]);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const services = () => {
    const ctx = env.herold.ctx;
    const fetcher = new DocumentFetcher({
      config: ctx.config,
      guardedClient,
      clock: ctx.clock,
      domainBlocks: ctx.federationModule.domainBlocks,
      instanceKey: async () => {
        const keys = await ctx.federationModule.instanceActor.keys();
        return { keyId: keys.keyId, privateKey: keys.privateKey };
      },
      userAgent: "Herold (ssrf suite)",
    });
    const actors = new ActorService({ config: ctx.config, urls: ctx.urls, clock: ctx.clock, actors: ctx.repos.actors, fetcher, domainBlocks: ctx.federationModule.domainBlocks, gone: ctx.actorsGone });
    return { fetcher, actors };
  };

  test("control: an allowed https peer resolves through the same guard", async () => {
    const { actors } = services();
    const resolved = await actors.resolveUri(`https://ok.test:${okServer.port}/users/good`, { budget: new FetchBudget(3) });
    assert.ok(resolved.ok, JSON.stringify(resolved));
  });

  test("actor resolution: every redirect hop and every resolved name is checked; the inside listener sees nothing", async () => {
    const { actors } = services();
    const before = await env.fingerprint();
    for (const path of ["to-loopback-name", "to-literal", "to-mapped", "to-v6-name", "to-http", "to-data", "to-file", "to-userinfo", "to-mixed"]) {
      const resolved = await actors.resolveUri(`https://ok.test:${okServer.port}/users/${path}`, { refresh: true, budget: new FetchBudget(3) });
      assert.ok(!resolved.ok && (resolved.error === "forbidden" || resolved.error === "unreachable"), `${path}: ${JSON.stringify(resolved)}`);
      if (!resolved.ok) assert.match(resolved.message, /not allowed|refused|scheme|userinfo/, path);
    }
    for (const name of ["loopback.test", "v6.test", "mapped.test"]) {
      const resolved = await actors.resolveUri(`https://${name}:${inside.port}/users/x`, { budget: new FetchBudget(3) });
      assert.ok(!resolved.ok && resolved.error === "forbidden", `${name}: ${JSON.stringify(resolved)}`);
    }
    assert.equal(inside.connections(), 0, "no connection reached the inside listener");
    assert.deepEqual(await env.fingerprint(), before, "nothing was stored");
    assert.ok(lookups.includes("loopback.test") && lookups.includes("v6.test"), "names were resolved by the stub, then refused");
  });

  test("deliveries go through the same guard: an inbox whose name resolves inside is refused before connecting", async () => {
    const sender = new InboxSender({ client: deliveryClient, limiter: new HostLimiter(2, 8), responseTimeoutMs: 2000, totalTimeoutMs: 3000, userAgent: "Herold (ssrf suite)", maxResponseBytes: 1024 });
    const key = generateTestKey();
    for (const url of [`https://loopback.test:${inside.port}/inbox`, `https://mapped.test:${inside.port}/inbox`, `https://v6.test:${inside.port}/inbox`]) {
      const result = await sender.send({ url: new URL(url), body: prepareBody(Buffer.from("{}")), key: { keyId: "https://ok.test/actor#key", privateKey: key.privateKey }, spec: "draft-cavage-http-signatures-12", now: () => new Date() });
      assert.equal(result.kind, "failure", url);
      if (result.kind === "failure") assert.equal(result.failure, "forbidden-address", url);
    }
    assert.equal(inside.connections(), 0);
    // Control: the allowed peer is reached over TLS, its certificate verified for ok.test.
    const allowed = await sender.send({ url: new URL(`https://ok.test:${okServer.port}/inbox`), body: prepareBody(Buffer.from("{}")), key: { keyId: "https://ok.test/actor#key", privateKey: key.privateKey }, spec: "draft-cavage-http-signatures-12", now: () => new Date() });
    assert.equal(allowed.kind, "response", JSON.stringify(allowed));
  });

  test("the media proxy fetches through the guard too: redirects inside are refused, non-http(s) URLs get no proxy path", async () => {
    const proxy = new MediaProxy({ secret: Buffer.alloc(32, 7), dataDir, guardedClient, allowHttp: false, clock: env.herold.ctx.clock });
    for (const url of [`https://loopback.test:${inside.port}/a.png`, `https://ok.test:${okServer.port}/image.png`]) {
      const path = proxy.path(url);
      assert.ok(path !== null);
      const [, , , mac, encoded] = path.split("/");
      const result = await proxy.get(mac!, encoded!);
      assert.ok(!result.ok && result.error === "unreachable", `${url}: ${JSON.stringify(result)}`);
    }
    for (const url of ["javascript:alert(1)", "data:image/png;base64,AAAA", `http://ok.test:${okServer.port}/a.png`, "https://u:p@ok.test/a.png", "file:///etc/passwd"]) {
      assert.equal(proxy.path(url), null, url);
    }
    assert.equal(inside.connections(), 0);
  });
});
