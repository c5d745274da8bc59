import assert from "node:assert/strict";
import { connect } from "node:net";
import { after, before, describe, test } from "node:test";
import { gzipSync } from "node:zlib";
import { Hono } from "hono";
import { listen } from "../app/server.ts";
import { generateTestKey, post, startFakePeer, streamingPost, type FakePeer } from "../federation/inbox/testing/fake-peer.ts";
import { ENGINES } from "../testing/databases.ts";
import { addRemoteActor, logs, startHostileEnv, startScriptedPeer, type HostileEnv, type RemoteActor, type ScriptedPeer } from "./harness.ts";
import { checkInvariants } from "./invariants.ts";

/**
 * Everyday hostile input and hostile-inputs case 17 (payload size): malformed JSON, wrong types
 * everywhere, unknown types, 10,000-deep nesting, huge strings, invalid UTF-8, duplicate deliveries,
 * chunked and lying bodies, gzip bombs, slow senders, and inbox floods. Also the fetch side of
 * case 17: actor documents served as bombs, oversized, lying or trickling.
 */
for (const engine of ENGINES) {
  describe(`payloads [${engine}]`, () => {
    let env: HostileEnv;

    before(async () => {
      env = await startHostileEnv(engine);
      for (const actor of [env.alice, env.bob, env.mallory]) assert.ok((await env.herold.ctx.federationModule.actors.resolveUri(actor.id)).ok);
    });
    after(async () => {
      await env?.close();
    });

    const signedRaw = (body: string) => env.sign(env.alice, body);

    test("malformed JSON is refused with 400", async () => {
      const bodies = [
        "", "{", "{not json", "[]", "null", "123", '"activity"', "{}", '{"id": "x"', '{"type":"Create"} trailing',
        '{"type":"Create",}', "{'type':'Create'}", '{"a":NaN}', '/* comment */ {"type":"Create"}', "\ufeff{}",
      ];
      for (const body of bodies) {
        await env.refused(() => post(env.inbox(), body, signedRaw(body)), { status: 400, log: /refused with 400/, what: JSON.stringify(body) });
      }
    });

    test("invalid UTF-8 is refused with 400", async () => {
      const prefix = Buffer.from(`{"id":"${env.alice.id}/utf8","type":"Create","actor":"${env.alice.id}","object":"`);
      const suffix = Buffer.from('"}');
      for (const bad of [[0xff], [0xc0, 0xaf], [0xe0, 0x80, 0xaf], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xe2, 0x82], [0xf4, 0x90, 0x80, 0x80]]) {
        const body = Buffer.concat([prefix, Buffer.from(bad), suffix]);
        const headers = env.sign(env.alice, "");
        // The signature does not matter: the body is refused before it is checked.
        await env.refused(() => post(env.inbox(), new Uint8Array(body), headers), { status: 400, log: /refused with 400: body is not valid UTF-8/, what: bad.join(",") });
      }
    });

    test("activities without the basics (id, type, one actor) are refused with 400", async () => {
      const base = () => env.create(env.alice);
      const variants: Array<[string, Record<string, unknown>]> = [
        ["id: 5", { ...base(), id: 5 }],
        ["id: object", { ...base(), id: { id: `${env.alice.id}/x` } }],
        ["id: relative", { ...base(), id: "/activities/1" }],
        ["id: javascript:", { ...base(), id: "javascript:alert(1)" }],
        ["type: 5", { ...base(), type: 5 }],
        ["type: []", { ...base(), type: [] }],
        ["type: [[]]", { ...base(), type: [["Create"]] }],
        ["actor: two", { ...base(), actor: [env.alice.id, env.bob.id] }],
        ["actor: 5", { ...base(), actor: 5 }],
        ["actor: []", { ...base(), actor: [] }],
        ["actor: nested array", { ...base(), actor: [[env.alice.id]] }],
        ["actor missing", (({ actor: _a, ...rest }) => rest)(base())],
      ];
      for (const [name, activity] of variants) {
        const body = JSON.stringify(activity);
        await env.refused(() => post(env.inbox(), body, signedRaw(body)), { status: 400, log: /refused with 400/, what: name });
      }
    });

    test("wrong types everywhere else: accepted or refused, never a crash, nothing invalid stored", async () => {
      const mutations: Array<[string, (a: Record<string, any>) => void]> = [
        ["to: 5", (a) => { a.to = 5; a.object.to = 5; }],
        ["object: []", (a) => { a.object = []; }],
        ["object: [[[]]]", (a) => { a.object = [[[]]]; }],
        ["object: 5", (a) => { a.object = 5; }],
        ["object: null", (a) => { a.object = null; }],
        ["object.type: {}", (a) => { a.object.type = {}; }],
        ["object.content: 5", (a) => { a.object.content = 5; }],
        ["object.content: {}", (a) => { a.object.content = { "@value": "<script>x</script>" }; }],
        ["object.content: array", (a) => { a.object.content = ["<p>a</p>", "<p>b</p>"]; }],
        ["contentMap with 10,000 keys", (a) => { a.object.contentMap = Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`x${i}`, "<p>x</p>"])); }],
        ["tag: object", (a) => { a.object.tag = { type: "Hashtag", name: "#one" }; }],
        ["tag: strings", (a) => { a.object.tag = ["#a", 5, null, [], {}]; }],
        ["attachment: string", (a) => { a.object.attachment = "http://example.invalid/a.png"; }],
        ["attachment: nested arrays", (a) => { a.object.attachment = [[[{ type: "Document", url: 5 }]]]; }],
        ["published: 5", (a) => { a.object.published = 5; }],
        ["published: year 99999", (a) => { a.object.published = "+099999-01-01T00:00:00Z"; }],
        ["inReplyTo: object without id", (a) => { a.object.inReplyTo = { type: "Note" }; }],
        ["url: javascript:", (a) => { a.object.url = "javascript:alert(1)"; }],
        ["sensitive: 'true'", (a) => { a.object.sensitive = "true"; }],
        ["cc: nested", (a) => { a.object.cc = [[["https://www.w3.org/ns/activitystreams#Public"]]]; }],
        ["lone surrogate escapes", (a) => { a.object.content = "<p>\ud800 \udfff</p>"; a.object.summary = "\udc00cw"; }],
        ["oneOf with 5,000 options", (a) => { a.object.type = "Question"; a.object.oneOf = Array.from({ length: 5000 }, (_, i) => ({ type: "Note", name: `o${i}` })); }],
        ["unknown object type", (a) => { a.object.type = "Frobnicate"; }],
        ["unknown activity type", (a) => { a.type = "Frobnicate"; }],
        ["activity type with path characters", (a) => { a.type = "Undo/../Create"; }],
        ["a Create of an actor", (a) => { a.object = { id: `${env.alice.id}/as-person`, type: "Person", inbox: `${env.alice.id}/inbox` }; }],
        ["Undo of nothing", (a) => { a.type = "Undo"; a.object = "https://example.invalid/never"; }],
      ];
      for (const [name, mutate] of mutations) {
        const activity = env.create(env.alice);
        mutate(activity);
        const mark = logs.mark();
        const response = await env.deliver(env.alice, activity);
        assert.ok(response.status === 202 || response.status === 400, `${name}: ${response.status} ${response.body}`);
        const outcomes = await env.drain();
        for (const { outcome } of outcomes) assert.ok(["processed", "ignored", "rejected"].includes(outcome.kind), name);
        assert.deepEqual(logs.errors(mark), [], name);
        assert.deepEqual(await checkInvariants(env.herold.ctx.database.db, env.herold.ctx.config.limits, env.herold.origin), [], name);
      }
      await env.genuineStillProcessed();
    });

    test("Markdown and plain-text content is stored in the sanitiser's one canonical form", async () => {
      for (const mediaType of ["text/markdown", "text/plain"]) {
        const activity = env.create(env.alice, { mediaType, content: `It's "quoted" & <b>bold</b>?\nnext line\n\n<script>alert(1)</script> second paragraph` });
        assert.equal((await env.deliver(env.alice, activity)).status, 202);
        assert.equal((await env.drain())[0]?.outcome.kind, "processed");
        const stored = await env.herold.ctx.repos.posts.findByUri(activity.object.id);
        assert.ok(stored?.contentHtml);
        assert.match(stored.contentHtml, /&lt;script&gt;/, "the markup is text");
        assert.deepEqual(await checkInvariants(env.herold.ctx.database.db, env.herold.ctx.config.limits, env.herold.origin), [], mediaType);
      }
    });

    test("unknown activity types are accepted and ignored, with a log line, storing nothing but the id", async () => {
      for (const type of ["Frobnicate", "Listen", "Arrive", "Question"]) {
        const activity = { "@context": "https://www.w3.org/ns/activitystreams", id: `${env.alice.id}/activities/unknown-${env.next()}`, type, actor: env.alice.id, object: env.carol.uri };
        await env.refused(() => env.deliver(env.alice, activity), { status: 202, processing: true, debugLog: true, log: /ignored .* no handler for/, what: type });
      }
    });

    test("10,000-deep nesting is refused before anything recurses; nesting within the limit is harmless", async () => {
      const depth = env.herold.ctx.config.limits.jsonDepth;
      for (const [open, close] of [["[", "]"], ['{"a":', "}"]] as const) {
        const body = `{"id":"${env.alice.id}/deep-${env.next()}","type":"Create","actor":"${env.alice.id}","object":${open.repeat(10_000)}1${close.repeat(10_000)}}`;
        await env.refused(() => post(env.inbox(), body, signedRaw(body)), { status: 400, log: /refused with 400: .*nesting deeper than/ });
      }
      const activity = env.create(env.alice);
      let nested: unknown = "leaf";
      for (let i = 0; i < depth - 3; i++) nested = { n: nested };
      activity.object.extension = nested;
      const response = await env.deliver(env.alice, activity);
      assert.equal(response.status, 202, response.body);
      assert.equal((await env.drain())[0]?.outcome.kind, "processed");
    });

    test("huge strings: beyond the cap refused at the door, below it cut and sanitised when shown", async () => {
      const max = env.herold.ctx.config.limits.maxStringLength;
      const over = env.create(env.alice, { content: `<p>${"x".repeat(max + 1)}</p>` });
      await env.refused(() => env.deliver(env.alice, over), { status: 400, log: /refused with 400: .*longer than/ });
      // Escapes count as the characters they decode to: \u0041 × (max+1) is over the cap too.
      const escaped = JSON.stringify(env.create(env.alice)).replace('"content":"', `"content":"${"\\u0041".repeat(max + 1)}`);
      await env.refused(() => post(env.inbox(), escaped, signedRaw(escaped)), { status: 400, log: /refused with 400: .*longer than/ });
      // Names and summaries have their own, much smaller caps.
      const long = env.create(env.alice, { name: "N".repeat(50_000), summary: "S".repeat(50_000), content: `<p>${"y".repeat(max - 100)}</p>` });
      assert.equal((await env.deliver(env.alice, long)).status, 202);
      await env.drain();
      const stored = await env.herold.ctx.repos.posts.findByUri(long.object.id);
      assert.ok(stored !== null);
      assert.ok((stored.name ?? "").length <= 500 && (stored.summary ?? "").length <= 1000, "title and content warning are capped");
      assert.deepEqual(await checkInvariants(env.herold.ctx.database.db, env.herold.ctx.config.limits, env.herold.origin), []);
    });

    test("duplicate deliveries, sequential and concurrent, to personal and shared inboxes, are processed once", async () => {
      const activity = env.create(env.alice);
      const body = JSON.stringify(activity);
      const targets = ["/users/carol/inbox", "/inbox", "/users/carol/inbox", "/inbox"];
      const sequential = [];
      for (const path of targets) sequential.push((await post(env.inbox(path), body, env.sign(env.alice, body, env.inbox(path)))).status);
      const concurrent = await Promise.all(Array.from({ length: 12 }, (_, i) => post(env.inbox(targets[i % 4]), body, env.sign(env.alice, body, env.inbox(targets[i % 4])))));
      assert.deepEqual([...sequential, ...concurrent.map((r) => r.status)], Array(16).fill(202));
      const outcomes = await env.drain();
      assert.equal(outcomes.length, 1, "one job for sixteen deliveries");
      const rows = await env.herold.ctx.database.db.selectFrom("posts").select("id").where("uri", "=", activity.object.id).execute();
      assert.equal(rows.length, 1);
    });

    test("a chunked 50 MB body is refused with 413 before it is read; the genuine activity after it is processed", async () => {
      const chunk = new Uint8Array(64 * 1024).fill(0x20);
      let sent = 0;
      const body = JSON.stringify(env.create(env.alice));
      await env.refused(async () => {
        const status = await streamingPost(env.inbox(), { ...env.sign(env.alice, body), "transfer-encoding": "chunked" }, () => {
          if (sent >= 50 * 1024 * 1024) return null;
          sent += chunk.byteLength;
          return chunk;
        });
        return { status };
      }, { status: 413, log: /refused with 413: body larger than/ });
      assert.ok(sent < 50 * 1024 * 1024, `the server answered after ${sent} bytes, before the body ended`);
      // Declared too large: refused without reading.
      await env.refused(() => rawRequest(env.inbox(), { "content-type": "application/activity+json", "content-length": String(60 * 1024 * 1024) }, "{"), { status: 413, log: /refused with 413: body of .* bytes is over the limit/ });
    });

    test("a gzip bomb is not inflated: the inbox reads bytes as sent", async () => {
      const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x20));
      const headers = { ...env.sign(env.alice, ""), "content-encoding": "gzip" };
      const rssBefore = process.memoryUsage().rss;
      await env.refused(() => post(env.inbox(), new Uint8Array(bomb), headers), { status: 400, log: /refused with 400: body is not valid UTF-8|refused with 400: body is not acceptable JSON/ });
      assert.ok(process.memoryUsage().rss - rssBefore < 48 * 1024 * 1024, "the bomb was not inflated in memory");
    });

    test("a body shorter than its Content-Length, held open, does not block the inbox; the request is never accepted", async () => {
      const url = new URL(env.inbox());
      const socket = connect(Number(url.port), "127.0.0.1");
      await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
      let answer = "";
      socket.on("data", (data) => (answer += data.toString("latin1")));
      socket.on("error", () => undefined);
      socket.write(`POST ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/activity+json\r\nContent-Length: 100000\r\n\r\n{"id":`);
      const before = await env.fingerprint();
      // While that request trickles, others are served and processed.
      await env.genuineStillProcessed();
      socket.destroy();
      assert.equal(answer, "", "the short body was never answered as accepted");
      const after = await env.fingerprint({ ignore: ["posts", "inbox_seen", "post_mentions", "notifications", "interactions"] });
      assert.equal(after.counts["jobs"], before.counts["jobs"]);
    });

    test("the HTTP server bounds how long a request may take (slow senders), as Mastodon's 30–60 s read deadline", async () => {
      const running = await listen(new Hono().get("/", (c) => c.text("ok")), "127.0.0.1", 0);
      try {
        assert.ok(running.server.requestTimeout > 0 && running.server.requestTimeout <= 60_000, `requestTimeout ${running.server.requestTimeout}`);
        assert.ok(running.server.headersTimeout > 0 && running.server.headersTimeout <= 60_000, `headersTimeout ${running.server.headersTimeout}`);
      } finally {
        await running.close();
      }
    });
  });

  describe(`fetched documents as payload attacks [${engine}]`, () => {
    let env: HostileEnv;
    let evil: ScriptedPeer;
    const timers = new Set<NodeJS.Timeout>();

    before(async () => {
      env = await startHostileEnv(engine, { env: { HEROLD_LIMIT_FETCH_TIMEOUT_MS: "1500" } });
      evil = await startScriptedPeer();
      assert.ok((await env.herold.ctx.federationModule.actors.resolveUri(env.alice.id)).ok);
    });
    after(async () => {
      for (const timer of timers) clearInterval(timer);
      await Promise.all([env?.close(), evil?.close()]);
    });

    const eveWith = (route: Parameters<ScriptedPeer["routes"]["set"]>[1]): RemoteActor => {
      const key = generateTestKey();
      const name = `eve${env.next()}`;
      evil.routes.set(`/users/${name}`, route);
      return { id: `${evil.origin}/users/${name}`, keyId: `${evil.origin}/users/${name}#main-key`, key, peer: evil, name };
    };

    test("an actor document served as a gzip bomb, 50 MB chunked, with a lying length, or trickled is refused (401)", async () => {
      const bomb = gzipSync(Buffer.alloc(32 * 1024 * 1024, 0x20));
      const attackers: Array<[string, RemoteActor, RegExp]> = [
        ["gzip bomb", eveWith({ headers: { "content-type": "application/activity+json", "content-encoding": "gzip" }, body: bomb }), /larger than/],
        ["declared too large", eveWith({ headers: { "content-type": "application/activity+json", "content-length": String(50 * 1024 * 1024) }, body: "{}" }), /larger than|declares/],
        ["chunked 50 MB", eveWith((_request, response) => {
          response.writeHead(200, { "content-type": "application/activity+json" });
          const chunk = Buffer.alloc(256 * 1024, 0x20);
          let sent = 0;
          const pump = (): void => {
            while (sent < 50 * 1024 * 1024) {
              sent += chunk.length;
              if (!response.write(chunk)) {
                response.once("drain", pump);
                return;
              }
            }
            response.end();
          };
          response.on("error", () => undefined);
          pump();
        }), /larger than/],
        ["trickled, one byte at a time", eveWith((_request, response) => {
          response.writeHead(200, { "content-type": "application/activity+json" });
          response.on("error", () => undefined);
          const timer = setInterval(() => {
            if (response.destroyed) {
              clearInterval(timer);
              timers.delete(timer);
              return;
            }
            response.write(" ");
          }, 100);
          timers.add(timer);
        }), /no complete response within/],
        ["length longer than the body, then closed", eveWith((_request, response) => {
          response.writeHead(200, { "content-type": "application/activity+json", "content-length": "5000" });
          response.write('{"id":');
          setTimeout(() => response.destroy(), 50);
        }), /cannot fetch key/],
      ];
      for (const [name, eve, reason] of attackers) {
        const rss = process.memoryUsage().rss;
        await env.refused(() => env.deliver(eve, env.create(eve)), { status: 401, log: new RegExp(`refused with 401: .*${reason.source}`), what: name });
        assert.ok(process.memoryUsage().rss - rss < 64 * 1024 * 1024, `${name}: memory stayed bounded`);
      }
    });
  });

  describe(`inbox floods [${engine}]`, () => {
    let env: HostileEnv;
    let peerC: FakePeer;

    before(async () => {
      env = await startHostileEnv(engine, { env: { HEROLD_INBOX_QUEUE_CAPACITY: "10" } });
      peerC = await startFakePeer();
      assert.ok((await env.herold.ctx.federationModule.actors.resolveUri(env.alice.id)).ok);
    });
    after(async () => {
      await Promise.all([env?.close(), peerC?.close()]);
    });

    test("beyond capacity: 503 with Retry-After before the body is read, bounded memory, nothing accepted is lost", async () => {
      // Changed with issue #10 item 8: one server can no longer fill the queue alone. Three servers
      // fill it, each up to its share (10/2, then 10/3, then 10/4 of a queue of 10).
      const zoe = addRemoteActor(peerC, "zoe", { name: "Zoe" });
      const accepted: string[] = [];
      for (const [sender, share] of [[env.alice, 5], [env.mallory, 3], [zoe, 2]] as const) {
        for (let i = 0; i < share; i++) {
          const activity = env.create(sender);
          assert.equal((await env.deliver(sender, activity)).status, 202);
          accepted.push(activity.object.id);
        }
        if (sender !== zoe) assert.equal((await env.deliver(sender, env.create(sender))).status, 503, "beyond its share");
      }
      env.herold.ctx.federationModule.capacity.invalidate();
      const before = await env.fingerprint();
      const mark = logs.mark();
      const rss = process.memoryUsage().rss;
      // 200 senders at once, each streaming a 1 MB body in 64 KB chunks (the client holds one chunk).
      const chunk = new Uint8Array(64 * 1024).fill(0x20);
      const statuses = await Promise.all(
        Array.from({ length: 200 }, () => {
          let sent = 0;
          return streamingPost(env.inbox(), { "content-type": "application/activity+json", "transfer-encoding": "chunked" }, () => {
            if (sent >= 1024 * 1024) return null;
            sent += chunk.byteLength;
            return chunk;
          }).catch(() => 0);
        }),
      );
      const counted = new Map<number, number>();
      for (const status of statuses) counted.set(status, (counted.get(status) ?? 0) + 1);
      assert.equal(counted.get(503), statuses.length, `all refused with 503: ${JSON.stringify([...counted])}`);
      // Signed, well-formed activities get the same answer, with Retry-After.
      for (let i = 0; i < 3; i++) {
        const response = await env.deliver(env.alice, env.create(env.alice));
        assert.equal(response.status, 503);
        assert.equal(response.headers.get("retry-after"), "30");
      }
      logs.expect(mark, /refused with 503: the inbox queue is full/);
      assert.ok(process.memoryUsage().rss - rss < 256 * 1024 * 1024, "memory bounded while refusing");
      assert.deepEqual(await env.fingerprint(), before, "nothing stored by the flood");
      // Everything accepted before the flood is processed.
      const outcomes = await env.drain();
      assert.equal(outcomes.filter((o) => o.outcome.kind === "processed").length, accepted.length);
      for (const id of accepted) assert.ok(await env.herold.ctx.repos.posts.findByUri(id), id);
      env.herold.ctx.federationModule.capacity.invalidate();
      await env.genuineStillProcessed();
    });
  });
}

/** A POST written by hand (headers and a body that need not agree), resolving with the status line's code. */
function rawRequest(url: string, headers: Record<string, string>, body: string): Promise<{ status: number }> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    let data = "";
    const socket = connect(Number(target.port), "127.0.0.1", () => {
      const head = Object.entries({ host: target.host, ...headers }).map(([k, v]) => `${k}: ${v}`).join("\r\n");
      socket.write(`POST ${target.pathname} HTTP/1.1\r\n${head}\r\n\r\n${body}`);
    });
    socket.on("data", (chunk) => {
      data += chunk.toString("latin1");
      const line = data.split("\r\n")[0] ?? "";
      const match = /^HTTP\/1\.1 (\d{3})/.exec(line);
      if (match !== null) {
        resolve({ status: Number(match[1]) });
        socket.destroy();
      }
    });
    socket.on("error", (error) => (data === "" ? reject(error) : undefined));
    socket.on("close", () => resolve({ status: 0 }));
  });
}
