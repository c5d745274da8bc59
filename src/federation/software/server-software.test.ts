import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, beforeEach, test } from "node:test";
import type { ServerResponse } from "node:http";
import { loadConfig, type Config } from "../../config/config.ts";
import { ActorRepository } from "../../actor/actor.repository.ts";
import { ManualClock } from "../../lib/time.ts";
import { createGuardedHttpClient, type GuardedHttpClient, type LookupFn } from "../../net/guarded-client.ts";
import { createJobQueue, type JobQueue } from "../../queue/queue.ts";
import { describeEachEngine } from "../../testing/databases.ts";
import { remoteActorData } from "../../testing/fixtures.ts";
import { startRawServer, startTestServer, type RawTestServer, type TestServer } from "../../testing/test-server.ts";
import { DomainBlocks } from "../domain-blocks.ts";
import { DocumentFetcher } from "../fetch/document-fetcher.ts";
import type { NodeInfoLimits } from "./remote-nodeinfo.ts";
import { NODEINFO_QUEUE, nodeInfoHandler } from "./server-software.job.ts";
import { ServerSoftwareRepository } from "./server-software.repository.ts";
import { ServerSoftwareService } from "./server-software.service.ts";

const REL = "http://nodeinfo.diaspora.software/ns/schema/";
const LIMITS: NodeInfoLimits = { maxBytes: 64 * 1024, timeoutMs: 500, allowHttp: true };
const WORKER = "nodeinfo-test";

/** What a loopback server answers at /.well-known/nodeinfo and the documents it links. */
type Behaviour = (path: string, self: string, response: ServerResponse) => void;

const json = (response: ServerResponse, value: unknown, status = 200) =>
  response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(value));
const index = (self: string, ...versions: string[]) => ({ links: versions.map((v) => ({ rel: `${REL}${v}`, href: `http://${self}/nodeinfo/${v}` })) });
const nodeinfo = (name: unknown, version: unknown) => ({ version: "2.1", software: { name, version }, protocols: ["activitypub"], usage: { users: {} }, openRegistrations: false });

describeEachEngine("server software (NodeInfo)", (get) => {
  let dataDir: string;
  let config: Config;
  let queue: JobQueue;
  let clock: ManualClock;
  let guarded: GuardedHttpClient;
  const servers: Array<TestServer | RawTestServer> = [];

  before(() => {
    dataDir = mkdtempSync(join(tmpdir(), "herold-nodeinfo-"));
    config = loadConfig({ HEROLD_ORIGIN: "https://herold.test", HEROLD_DATABASE_URL: get().url, HEROLD_DATA_DIR: dataDir, HEROLD_ALLOW_PRIVATE_ADDRESS: "true", HEROLD_LOG_LEVEL: "error" });
    guarded = createGuardedHttpClient({ allowPrivateAddress: true, connectTimeoutMs: 2000, connectionsPerOrigin: 2 });
  });
  beforeEach(async () => {
    clock = new ManualClock("2026-07-01T09:00:00.000Z");
    queue = createJobQueue(get().database, { clock });
    await get().database.db.deleteFrom("jobs").execute();
    await get().database.db.deleteFrom("server_software").execute();
  });
  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
    await guarded?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const serve = async (behaviour: Behaviour): Promise<{ server: TestServer; host: string }> => {
    let host = "";
    const server = await startTestServer((request, response) => behaviour(new URL(request.url ?? "/", "http://x").pathname, host, response));
    host = `127.0.0.1:${server.port}`;
    servers.push(server);
    return { server, host };
  };
  const parts = (client: GuardedHttpClient = guarded, cfg: Config = config) => {
    const db = get().database.db;
    const repository = new ServerSoftwareRepository(db);
    const documents = new DocumentFetcher({
      config: cfg,
      guardedClient: client,
      clock,
      domainBlocks: new DomainBlocks(db),
      instanceKey: async () => {
        throw new Error("NodeInfo is fetched unsigned");
      },
      userAgent: "Herold (nodeinfo test)",
    });
    const handler = nodeInfoHandler({ repository, documents, clock, limits: { ...LIMITS, allowHttp: cfg.allowPrivateAddress } });
    const service = new ServerSoftwareService({ repository, queue, clock });
    return { repository, handler, service };
  };
  /** Runs every due nodeinfo job; returns the hosts they were for. */
  const runJobs = async (handler: ReturnType<typeof nodeInfoHandler>): Promise<string[]> => {
    const jobs = await queue.claim(NODEINFO_QUEUE, { limit: 100, leaseMs: 60_000, workerId: WORKER });
    const hosts: string[] = [];
    for (const job of jobs) {
      const outcome = await handler.handle(job as Parameters<typeof handler.handle>[0], new AbortController().signal);
      assert.equal(outcome.kind, "done", JSON.stringify(outcome));
      await queue.complete(job, WORKER);
      hosts.push((job.payload as { host: string }).host);
    }
    return hosts.sort();
  };
  const queued = async () => (await get().database.db.selectFrom("jobs").select("payload").where("queue", "=", NODEINFO_QUEUE).execute()).map((j) => (JSON.parse(j.payload) as { host: string }).host).sort();

  test("the newest 2.x document on the server's own host names the software; fetched at most once a day", async () => {
    const { server, host } = await serve((path, self, response) => {
      if (path === "/.well-known/nodeinfo") return json(response, index(self, "2.0", "2.1"));
      if (path === "/nodeinfo/2.1") return json(response, nodeinfo("Mastodon", "4.3.2\u0007+glitch"));
      json(response, nodeinfo("wrong", "2.0 was not the newest"));
    });
    const { repository, handler, service } = parts();
    await service.refresh([host]);
    await service.refresh([host.toUpperCase()]);
    assert.deepEqual(await queued(), [host], "one job per host and day");
    assert.deepEqual(await runJobs(handler), [host]);
    assert.deepEqual(server.requests.map((r) => r.url), ["/.well-known/nodeinfo", "/nodeinfo/2.1"]);
    assert.deepEqual(await service.softwareOf([host, "unknown.example"]), new Map([[host, "mastodon"]]));
    assert.deepEqual(await repository.find(host), { host, software: "mastodon", version: "4.3.2+glitch", fetchedAt: "2026-07-01T09:00:00.000Z", error: null });

    // The same UTC day: nothing is queued, even from a job queued meanwhile.
    clock.advance(10 * 3600_000);
    await service.refresh([host]);
    assert.deepEqual(await queued(), []);
    await queue.enqueue(NODEINFO_QUEUE, { host });
    await runJobs(handler);
    assert.equal(server.requests.length, 2, "a host fetched today is not fetched again");

    // The next day it is asked again.
    clock.advance(5 * 3600_000);
    await service.refresh([host]);
    assert.deepEqual(await runJobs(handler), [host]);
    assert.equal(server.requests.length, 4);
  });

  test("junk, too large, slow, missing, misnamed and cross-host answers are cached as errors; nothing throws", async () => {
    const { repository, handler, service } = parts();
    const hosts: Record<string, string> = {};
    const behaviours: Record<string, Behaviour> = {
      junk: (_p, _s, r) => r.writeHead(200, { "content-type": "text/html" }).end("<html>no NodeInfo here</html>"),
      large: (path, self, r) => (path === "/.well-known/nodeinfo" ? json(r, index(self, "2.1")) : json(r, { ...nodeinfo("mastodon", "4"), padding: "x".repeat(100_000) })),
      slow: (_p, _s, r) => {
        r.writeHead(200, { "content-type": "application/json" });
        r.write('{"links": [');
        // …and nothing more: the deadline ends it.
      },
      missing: (_p, _s, r) => r.writeHead(404).end(),
      misnamed: (path, self, r) => (path === "/.well-known/nodeinfo" ? json(r, index(self, "2.1")) : json(r, nodeinfo("<script>", "1"))),
      elsewhere: (_p, _s, r) => json(r, { links: [{ rel: `${REL}2.1`, href: "http://127.0.0.2:9/nodeinfo/2.1" }] }),
      deep: (_p, _s, r) => r.writeHead(200, { "content-type": "application/json" }).end("[".repeat(100) + "]".repeat(100)),
    };
    for (const [name, behaviour] of Object.entries(behaviours)) hosts[name] = (await serve(behaviour)).host;
    await service.refresh(Object.values(hosts));
    assert.equal((await runJobs(handler)).length, 7);
    const expected: Record<string, RegExp> = {
      junk: /^not-json: /,
      large: /^fetch-failed: .*too-large/,
      slow: /^fetch-failed: .*timeout/,
      missing: /^http-status: .* answered 404/,
      misnamed: /^bad-document: /,
      elsewhere: /^no-nodeinfo-link: /,
      deep: /^not-json: .*too-deep/,
    };
    for (const [name, host] of Object.entries(hosts)) {
      const record = await repository.find(host);
      assert.ok(record, name);
      assert.equal(record.software, null, name);
      assert.match(record.error ?? "", expected[name]!, name);
      assert.equal(record.fetchedAt, "2026-07-01T09:00:00.000Z", name);
    }
    assert.deepEqual(await service.softwareOf(Object.values(hosts)), new Map());
    await service.refresh(Object.values(hosts));
    assert.deepEqual(await queued(), [], "failures are cached for the day too");
  });

  test("a failed fetch keeps the software found before; a value that is not a host is refused and queues nothing", async () => {
    let up = true;
    const { host } = await serve((path, self, response) => {
      if (!up) return json(response, {}, 503);
      if (path === "/.well-known/nodeinfo") return json(response, index(self, "2.1"));
      json(response, nodeinfo("misskey", "2024.10.1"));
    });
    const { repository, handler, service } = parts();
    await service.refresh([host]);
    await runJobs(handler);
    up = false;
    clock.advance(24 * 3600_000);
    await service.refresh([host]);
    await runJobs(handler);
    const record = await repository.find(host);
    assert.equal(record?.software, "misskey");
    assert.match(record?.error ?? "", /answered 503/);
    assert.equal(record?.fetchedAt, "2026-07-02T09:00:00.000Z");

    for (const bad of ["", "a b", "evil.example/path", "user@evil.example", "https://evil.example"]) {
      await assert.rejects(service.refresh(["good.example", bad]), RangeError, JSON.stringify(bad));
    }
    assert.deepEqual(await queued(), []);
  });

  test("the SSRF guard refuses a name that resolves to a private address: no connection, the error cached", async () => {
    const inside = await startRawServer((socket) => socket.destroy());
    servers.push(inside);
    const lookups: string[] = [];
    const lookup: LookupFn = async (hostname) => {
      lookups.push(hostname);
      const table: Record<string, Array<{ address: string; family: number }>> = {
        "inside.test": [{ address: "127.0.0.1", family: 4 }],
        "mapped.test": [{ address: "::ffff:127.0.0.1", family: 6 }],
      };
      const answer = table[hostname];
      if (answer === undefined) throw Object.assign(new Error(`stub: no such name ${hostname}`), { code: "ENOTFOUND" });
      return answer;
    };
    // The production policy: no private addresses, https only.
    const strict = createGuardedHttpClient({ allowPrivateAddress: false, lookup, connectTimeoutMs: 2000, connectionsPerOrigin: 2 });
    const production = loadConfig({ HEROLD_ORIGIN: "https://herold.test", HEROLD_DATABASE_URL: get().url, HEROLD_DATA_DIR: dataDir, HEROLD_LOG_LEVEL: "error" });
    try {
      const { repository, handler, service } = parts(strict, production);
      const hosts = [`inside.test:${inside.port}`, `mapped.test:${inside.port}`, `127.0.0.1:${inside.port}`];
      await service.refresh(hosts);
      assert.equal((await runJobs(handler)).length, 3);
      for (const host of hosts) assert.match((await repository.find(host))?.error ?? "", /^fetch-failed: .*forbidden-address/, host);
      assert.equal(inside.connections(), 0, "nothing reached the inside listener");
      assert.ok(lookups.includes("inside.test") && lookups.includes("mapped.test"), "the names were resolved by the stub, then refused");
    } finally {
      await strict.close();
    }
  });

  test("an accepted remote follower queues its server, once a day; local actors and ended follows queue nothing", async () => {
    const { service } = parts();
    const db = get().database.db;
    const now = clock.now().toISOString();
    const repo = new ActorRepository(db);
    const bob = await repo.upsertRemote(remoteActorData("social.example", "bob"), now);
    const carol = await repo.upsertRemote(remoteActorData("social.example", "carol"), now);
    const dave = await repo.upsertRemote(remoteActorData("other.example:8443", "dave"), now);
    // A local actor (its row as the accounts module would have it: is_local = 1).
    const local = (await repo.upsertRemote(remoteActorData("herold.test", "acme"), now)).id;
    await db.updateTable("actors").set({ is_local: 1 }).where("id", "=", local).execute();
    const listener = service.acceptedFollowsListener;
    await db.transaction().execute((trx) => listener(trx, [{ follower_id: bob.id, followee_id: local }], 1, now));
    await db.transaction().execute((trx) => listener(trx, [{ follower_id: carol.id, followee_id: local }, { follower_id: dave.id, followee_id: local }], 1, now));
    await db.transaction().execute((trx) => listener(trx, [{ follower_id: local, followee_id: bob.id }], 1, now));
    await assert.rejects(
      db.transaction().execute(async (trx) => {
        await listener(trx, [{ follower_id: dave.id, followee_id: local }], 1, now);
        throw new Error("the follow rolled back");
      }),
      /rolled back/,
    );
    await db.transaction().execute((trx) => listener(trx, [{ follower_id: bob.id, followee_id: local }], -1, now));
    assert.deepEqual(await queued(), ["other.example:8443", "social.example"]);
  });
});
