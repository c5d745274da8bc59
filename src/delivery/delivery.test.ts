import assert from "node:assert/strict";
import { createPublicKey } from "node:crypto";
import { beforeEach, test } from "node:test";
import { ManualClock } from "../lib/time.ts";
import { describeEachEngine } from "../testing/databases.ts";
import { DELIVER_QUEUE } from "./delivery.job.ts";
import { runDue, advanceToNextJob } from "./testing/drive.ts";
import { fedifyVerifier, keyDocumentLoader } from "./testing/fedify-verifier.ts";
import { createDeliveryHarness, type DeliveryHarness, type HarnessOptions } from "./testing/harness.ts";
import { startReceiver, type Receiver } from "./testing/receivers.ts";
import { verifySignedRequest } from "./testing/verify.ts";
import { OPENMETRICS_CONTENT_TYPE } from "./metrics.routes.ts";

const HOUR = 3600_000;
const DAY = 24 * HOUR;

describeEachEngine("delivery engine", (get) => {
  const open: Array<{ close(): Promise<void> }> = [];
  beforeEach(async () => {
    // The tests of one engine share a database: start each from an empty delivery queue.
    await get().database.db.deleteFrom("jobs").where("queue", "in", [DELIVER_QUEUE, `dead:${DELIVER_QUEUE}`]).execute();
  });
  const harness = async (options: HarnessOptions = {}): Promise<DeliveryHarness> => {
    const h = await createDeliveryHarness(get(), { random: () => 0, ...options });
    open.push(h);
    return h;
  };
  const receiver = async (...args: Parameters<typeof startReceiver>): Promise<Receiver> => {
    const r = await startReceiver(...args);
    open.push(r);
    return r;
  };
  const cleanup = async () => {
    while (open.length > 0) await open.pop()!.close();
  };
  const keyOf = (h: DeliveryHarness) => new Map([[h.base.urls.rsaKeyId(h.account.username), createPublicKey(h.publicKeyPem)]]);

  test("a published activity reaches a loopback inbox whose Fedify verifier accepts the signature", async () => {
    try {
      const h = await harness();
      const keyId = h.base.urls.rsaKeyId(h.account.username);
      const r = await receiver({ verify: fedifyVerifier(keyDocumentLoader(keyId, h.account.uri, h.publicKeyPem)) });
      await h.addFollower({ inbox: r.url("/users/bob/inbox") });
      const { uri } = await h.publish();

      const handled = await runDue(h.base.queue, h.delivery.jobs[0]!);
      assert.deepEqual(handled.map((x) => x.outcome.kind), ["done"]);
      assert.equal(r.count(uri), 1);
      assert.deepEqual(r.refusals, []);
      assert.deepEqual(r.deliveries[0], { path: "/users/bob/inbox", activityId: uri, spec: "draft-cavage-http-signatures-12", keyId });
      assert.equal((await h.base.queue.depth())[DELIVER_QUEUE], undefined, "the job is gone");
      assert.equal(h.delivery.metrics.totals().results.ok, 1);

      await h.delivery.flush();
      const row = await get().database.db.selectFrom("hosts").selectAll().where("domain", "=", r.host).executeTakeFirstOrThrow();
      assert.ok(row.last_success_at !== null);
      assert.equal(row.signature_spec, null, "the default spec worked: nothing to remember");
    } finally {
      await cleanup();
    }
  });

  test("one job per distinct inbox: followers behind a shared inbox get one delivery", async () => {
    try {
      const h = await harness();
      const shared = await receiver({ verify: (p) => verifySignedRequest(p, keyOf(h)) });
      const personal = await receiver({ verify: (p) => verifySignedRequest(p, keyOf(h)) });
      for (const name of ["a", "b", "c"]) await h.addFollower({ inbox: shared.url(`/users/${name}/inbox`), sharedInbox: shared.url("/inbox") });
      await h.addFollower({ inbox: personal.url("/users/d/inbox") });
      const { uri, rowId } = await h.publish();

      const jobs = await get().database.db.selectFrom("jobs").select(["payload", "dedupe_key"]).where("queue", "=", DELIVER_QUEUE).execute();
      assert.equal(jobs.length, 2);
      for (const job of jobs) {
        const payload = JSON.parse(job.payload) as Record<string, unknown>;
        // Ids only: no keys, no document in the queue (`reach`: a post's Create keeps its outcome).
        assert.deepEqual(Object.keys(payload).sort(), ["accountId", "activityId", "inbox", "reach"]);
        assert.equal(payload.reach, true);
        assert.equal(payload.activityId, rowId);
        assert.equal(job.dedupe_key, `${rowId}|${payload.inbox as string}`);
        assert.doesNotMatch(job.payload, /PRIVATE KEY/);
      }
      await runDue(h.base.queue, h.delivery.jobs[0]!);
      assert.equal(shared.count(uri), 1);
      assert.equal(shared.deliveries[0]!.path, "/inbox");
      assert.equal(personal.count(uri), 1);
    } finally {
      await cleanup();
    }
  });

  test("enqueue removes duplicate inboxes, dedupes repeats and joins the caller's transaction", async () => {
    try {
      const h = await harness();
      const { rowId } = await h.publish(); // no followers: nothing queued
      const port = h.delivery.port;
      const input = { outboxActivityId: rowId, accountId: h.account.id, inboxes: ["https://a.example/inbox", "https://A.example/inbox", "https://b.example/inbox#x", "not a url"] };
      await assert.rejects(
        get().database.db.transaction().execute(async (trx) => {
          assert.equal(await port.enqueue(input, trx), 2);
          throw new Error("roll back");
        }),
        /roll back/,
      );
      assert.equal((await h.base.queue.depth())[DELIVER_QUEUE], undefined, "rolled back with the caller");
      assert.equal(await port.enqueue(input), 2);
      assert.equal(await port.enqueue(input), 0, "the same activity and inbox are not queued twice");
    } finally {
      await cleanup();
    }
  });

  test("double-knocking: a peer accepting only RFC 9421 gets it on the second knock, and the host remembers", async () => {
    try {
      const h = await harness();
      const r = await receiver({ verify: (p) => verifySignedRequest(p, keyOf(h)), acceptOnly: "rfc9421" });
      await h.addFollower({ inbox: r.url("/inbox") });
      const handler = h.delivery.jobs[0]!;

      const first = await h.publish("one");
      await runDue(h.base.queue, handler);
      assert.equal(r.count(first.uri), 1);
      assert.equal(r.requests(), 2, "draft first, then RFC 9421");
      assert.deepEqual(r.refusals, ["spec draft-cavage-http-signatures-12 not accepted"]);
      const spec = async () => (await get().database.db.selectFrom("hosts").select("signature_spec").where("domain", "=", r.host).executeTakeFirst())?.signature_spec;
      assert.equal(await spec(), "rfc9421");

      const second = await h.publish("two");
      await runDue(h.base.queue, handler);
      assert.equal(r.count(second.uri), 1);
      assert.equal(r.requests(), 3, "RFC 9421 first now: one request");

      // A fresh engine (another process) reads the remembered spec from the database.
      const other = await harness({ account: false });
      const third = await h.publish("three");
      await runDue(h.base.queue, other.delivery.jobs[0]!);
      assert.equal(r.count(third.uri), 1);
      assert.equal(r.requests(), 4);

      // The peer changes its mind: the other spec is found again and remembered.
      r.set({ verify: (p) => verifySignedRequest(p, keyOf(h)), acceptOnly: "draft-cavage-http-signatures-12" });
      const fourth = await h.publish("four");
      await runDue(h.base.queue, handler);
      assert.equal(r.count(fourth.uri), 1);
      assert.equal(r.requests(), 6);
      assert.equal(await spec(), "draft-cavage-http-signatures-12");
    } finally {
      await cleanup();
    }
  });

  test("at most perHostConcurrency deliveries are in flight to one host", async () => {
    try {
      const h = await harness({ env: { HEROLD_DELIVERY_PER_HOST: "3" } });
      const r = await receiver({ delayMs: 30 });
      for (let i = 0; i < 12; i++) await h.addFollower({ inbox: r.url(`/users/u${i}/inbox`) });
      const { uri } = await h.publish();
      const handled = await runDue(h.base.queue, h.delivery.jobs[0]!);
      assert.equal(handled.filter((x) => x.outcome.kind === "done").length, 12);
      assert.equal(r.count(uri), 12);
      assert.equal(r.maxConcurrent(), 3);
    } finally {
      await cleanup();
    }
  });

  test("deliveries beyond what may wait for one host are postponed, not queued behind it", async () => {
    try {
      const h = await harness({ env: { HEROLD_DELIVERY_PER_HOST: "1" } });
      const r = await receiver({ delayMs: 20 });
      for (let i = 0; i < 10; i++) await h.addFollower({ inbox: r.url(`/users/u${i}/inbox`) });
      await h.publish();
      const handled = await runDue(h.base.queue, h.delivery.jobs[0]!);
      // One in flight and four waiting (4 × perHost); the other five go back to the queue.
      assert.deepEqual(handled.map((x) => x.outcome.kind).sort(), ["done", "done", "done", "done", "done", "postpone", "postpone", "postpone", "postpone", "postpone"]);
      assert.equal(h.delivery.metrics.totals().postponed["host-busy"], 5);
      assert.equal(r.maxConcurrent(), 1);
    } finally {
      await cleanup();
    }
  });

  test("a peer that does not answer in time is a timeout, retried as a host failure", async () => {
    try {
      const clock = new ManualClock();
      const h = await harness({ clock, env: { HEROLD_DELIVERY_RESPONSE_TIMEOUT_MS: "200" } });
      const r = await receiver({ delayMs: 3_000 });
      await h.addFollower({ inbox: r.url("/inbox") });
      await h.publish();
      const [handled] = await runDue(h.base.queue, h.delivery.jobs[0]!);
      assert.equal(handled?.outcome.kind, "retry");
      assert.match(handled?.outcome.kind === "retry" ? handled.outcome.error : "", /^timeout: /);
      const host = await get().database.db.selectFrom("hosts").selectAll().where("domain", "=", r.host).executeTakeFirstOrThrow();
      assert.match(host.last_error ?? "", /^timeout: /);
    } finally {
      await cleanup();
    }
  });

  test("a large response body is discarded without failing the delivery", async () => {
    try {
      const h = await harness();
      const r = await receiver({ responseBody: Buffer.alloc(5 * 1024 * 1024, 120) });
      await h.addFollower({ inbox: r.url("/inbox") });
      const { uri } = await h.publish();
      const [handled] = await runDue(h.base.queue, h.delivery.jobs[0]!);
      assert.equal(handled?.outcome.kind, "done");
      assert.equal(r.count(uri), 1);
    } finally {
      await cleanup();
    }
  });

  test("401 to both specs is retried later, not dropped", async () => {
    try {
      const clock = new ManualClock();
      const h = await harness({ clock });
      const r = await receiver({ verify: () => ({ ok: false, reason: "no key" }) });
      await h.addFollower({ inbox: r.url("/inbox") });
      await h.publish();
      const [handled] = await runDue(h.base.queue, h.delivery.jobs[0]!);
      assert.equal(handled?.outcome.kind, "retry");
      assert.equal(r.requests(), 2);
      const host = await get().database.db.selectFrom("hosts").selectAll().where("domain", "=", r.host).executeTakeFirst();
      assert.equal(host?.failure_days_json ?? "[]", "[]", "an answering host is not failing");
    } finally {
      await cleanup();
    }
  });

  test("a 410 from a personal inbox ends that follower, marks it gone and buries the delivery", async () => {
    try {
      const h = await harness();
      const gone = await receiver({ status: 410 });
      const alive = await receiver();
      const deadId = await h.addFollower({ inbox: gone.url("/users/dead/inbox") });
      const aliveId = await h.addFollower({ inbox: alive.url("/users/alive/inbox") });
      const { uri } = await h.publish();

      const handled = await runDue(h.base.queue, h.delivery.jobs[0]!);
      assert.deepEqual(handled.map((x) => x.outcome.kind).sort(), ["done", "fail"]);
      const db = get().database.db;
      const follows = await db.selectFrom("follows").select("follower_id").where("followee_id", "=", h.account.actorId).execute();
      assert.deepEqual(follows.map((f) => f.follower_id), [aliveId]);
      const dead = await db.selectFrom("actors").select("gone_at").where("id", "=", deadId).executeTakeFirstOrThrow();
      assert.ok(dead.gone_at !== null);
      const event = await db.selectFrom("follow_events").selectAll().where("follower_id", "=", deadId).executeTakeFirstOrThrow();
      assert.deepEqual([event.kind, event.reason, event.was_accepted], ["ended", "gone", 1]);
      const letter = await db.selectFrom("jobs").select("last_error").where("queue", "=", `dead:${DELIVER_QUEUE}`).executeTakeFirstOrThrow();
      assert.match(letter.last_error ?? "", /^HTTP 410: inbox gone; 1 follows ended$/);
      assert.equal(alive.count(uri), 1);

      // The next post no longer addresses the gone follower.
      await h.publish("again");
      const jobs = await db.selectFrom("jobs").select("payload").where("queue", "=", DELIVER_QUEUE).execute();
      assert.deepEqual(jobs.map((j) => (JSON.parse(j.payload) as { inbox: string }).inbox), [alive.url("/users/alive/inbox")]);
    } finally {
      await cleanup();
    }
  });

  test("a 410 from a personal inbox is an actor gone like any other: the local account's follow of it ends too", async () => {
    try {
      const h = await harness();
      const gone = await receiver({ status: 410 });
      const deadId = await h.addFollower({ inbox: gone.url("/users/dead/inbox") });
      const db = get().database.db;
      const at = "2026-01-01T00:00:00.000Z";
      // The local account follows the dead actor back: the same rule as a 410 for its document.
      await db
        .insertInto("follows")
        .values({ id: "follow-back", follower_id: h.account.actorId, followee_id: deadId, state: "accepted", uri: null, created_at: at, accepted_at: at, updated_at: at })
        .execute();
      await h.publish();
      await runDue(h.base.queue, h.delivery.jobs[0]!);
      const left = await db.selectFrom("follows").select("id").where((eb) => eb.or([eb("follower_id", "=", deadId), eb("followee_id", "=", deadId)])).execute();
      assert.deepEqual(left, []);
      const letter = await db.selectFrom("jobs").select("last_error").where("queue", "=", `dead:${DELIVER_QUEUE}`).executeTakeFirstOrThrow();
      assert.match(letter.last_error ?? "", /^HTTP 410: inbox gone; 2 follows ended$/);
    } finally {
      await cleanup();
    }
  });

  test("a 404 from a personal inbox ends its follows of local accounts without marking it gone", async () => {
    try {
      const h = await harness();
      const missing = await receiver({ status: 404 });
      const deadId = await h.addFollower({ inbox: missing.url("/users/dead/inbox") });
      await h.publish();
      await runDue(h.base.queue, h.delivery.jobs[0]!);
      const db = get().database.db;
      assert.deepEqual(await db.selectFrom("follows").select("id").where("follower_id", "=", deadId).execute(), []);
      const actor = await db.selectFrom("actors").select("gone_at").where("id", "=", deadId).executeTakeFirstOrThrow();
      assert.equal(actor.gone_at, null);
      const event = await db.selectFrom("follow_events").selectAll().where("follower_id", "=", deadId).executeTakeFirstOrThrow();
      assert.deepEqual([event.kind, event.reason], ["ended", "gone"]);
    } finally {
      await cleanup();
    }
  });

  test("a 410 from a shared inbox keeps the followers behind it", async () => {
    try {
      const h = await harness();
      const r = await receiver({ status: 410 });
      const ids = [];
      for (const name of ["a", "b"]) ids.push(await h.addFollower({ inbox: r.url(`/users/${name}/inbox`), sharedInbox: r.url("/inbox") }));
      await h.publish();
      const [handled] = await runDue(h.base.queue, h.delivery.jobs[0]!);
      assert.equal(handled?.outcome.kind, "fail");
      assert.match(handled?.outcome.kind === "fail" ? handled.outcome.error : "", /shared inbox; 2 followers behind it kept/);
      const follows = await get().database.db.selectFrom("follows").select("follower_id").where("followee_id", "=", h.account.actorId).execute();
      assert.deepEqual(follows.map((f) => f.follower_id).sort(), ids.sort());
    } finally {
      await cleanup();
    }
  });

  test("other 4xx is a permanent failure; 5xx is retried no earlier than a capped Retry-After", async () => {
    try {
      const clock = new ManualClock("2026-05-01T10:00:00.000Z");
      const h = await harness({ clock, env: { HEROLD_DELIVERY_RETRY_AFTER_CAP: "7200" } });
      const refusing = await receiver({ status: 422 });
      const busy = await receiver({ status: 503, headers: { "retry-after": "36000" } });
      await h.addFollower({ inbox: refusing.url("/inbox") });
      await h.addFollower({ inbox: busy.url("/inbox") });
      await h.publish();
      const handled = await runDue(h.base.queue, h.delivery.jobs[0]!, { sequential: true });
      const byInbox = new Map(handled.map((x) => [(x.job.payload as { inbox: string }).inbox, x.outcome]));
      assert.deepEqual(byInbox.get(refusing.url("/inbox")), { kind: "fail", error: "HTTP 422" });
      const retry = byInbox.get(busy.url("/inbox"));
      assert.equal(retry?.kind, "retry");
      // Backoff after the first attempt is 16 s; Retry-After asked for 10 h, capped at 2 h.
      assert.equal(retry?.kind === "retry" ? retry.at.toISOString() : "", "2026-05-01T12:00:00.000Z");
      assert.equal(refusing.requests(), 1, "422 is not a signature refusal: no second knock");
      assert.equal(h.delivery.metrics.totals().retries, 1);
    } finally {
      await cleanup();
    }
  });

  test("a server unreachable for two simulated days receives the activity when it returns", async () => {
    try {
      const clock = new ManualClock("2026-06-01T08:00:00.000Z");
      const start = clock.now().getTime();
      const h = await harness({ clock, random: Math.random });
      const r = await receiver();
      r.down(true);
      await h.addFollower({ inbox: r.url("/users/bob/inbox") });
      const { uri } = await h.publish();
      const handler = h.delivery.jobs[0]!;
      const db = get().database.db;

      let attempts = 0;
      let delivered = false;
      while (!delivered) {
        if (clock.now().getTime() - start >= 2 * DAY) r.down(false);
        for (const { outcome } of await runDue(h.base.queue, handler)) {
          if (outcome.kind === "postpone") continue;
          attempts++;
          assert.notEqual(outcome.kind, "fail", "never given up within two days");
          delivered = outcome.kind === "done";
        }
        if (!delivered) assert.ok(await advanceToNextJob(db, clock, DELIVER_QUEUE), "the delivery is still queued");
        assert.ok(attempts <= 18, "within the configured attempts");
      }
      assert.ok(clock.now().getTime() - start >= 2 * DAY);
      assert.ok(attempts >= 14, `retried through two days (${attempts} attempts)`);
      assert.equal(r.count(uri), 1);
      assert.ok(r.connections() >= attempts, "every attempt reached the (dropping) server");
      assert.equal((await h.base.queue.depth())[DELIVER_QUEUE], undefined);
      // Failures fell on three days; the success cleared them.
      const host = await db.selectFrom("hosts").selectAll().where("domain", "=", r.host).executeTakeFirstOrThrow();
      assert.equal(host.failure_days_json, "[]");
      assert.equal(host.unavailable_since, null);
      assert.equal(h.delivery.metrics.totals().retries, attempts - 1);
    } finally {
      await cleanup();
    }
  });

  test("the circuit breaker opens after repeated failures, postpones without sending, and closes after a probe", async () => {
    try {
      const clock = new ManualClock("2026-06-01T08:00:00.000Z");
      const h = await harness({ clock, env: { HEROLD_DELIVERY_BREAKER_FAILURES: "3", HEROLD_DELIVERY_BREAKER_COOLDOWN: "600" } });
      const r = await receiver();
      r.down(true);
      for (let i = 0; i < 6; i++) await h.addFollower({ inbox: r.url(`/users/u${i}/inbox`) });
      const { uri } = await h.publish();
      const handler = h.delivery.jobs[0]!;

      const first = await runDue(h.base.queue, handler, { sequential: true });
      assert.deepEqual(first.map((x) => x.outcome.kind), ["retry", "retry", "retry", "postpone", "postpone", "postpone"]);
      assert.equal(r.connections(), 3, "no request while the circuit is open");
      assert.deepEqual(h.delivery.metrics.totals().postponed, { "circuit-open": 3, "host-busy": 0 });
      const depth = (await h.base.queue.depth())[DELIVER_QUEUE];
      assert.deepEqual(depth, { ready: 0, delayed: 6, running: 0, dead: 0 });
      const attempts = await get().database.db.selectFrom("jobs").select("attempts").where("queue", "=", DELIVER_QUEUE).execute();
      assert.deepEqual(attempts.map((a) => Number(a.attempts)).sort(), [0, 0, 0, 1, 1, 1], "postponing does not count an attempt");

      // The retries fall due (16 s) while the circuit is still open: postponed again, still no request.
      clock.advance(60_000);
      const during = await runDue(h.base.queue, handler, { sequential: true });
      assert.deepEqual(during.map((x) => x.outcome.kind), ["postpone", "postpone", "postpone"]);
      assert.equal(r.connections(), 3);

      // After the cool-down the server is back: one probe closes the circuit, the rest follow.
      r.down(false);
      clock.advance(600_000);
      const after = await runDue(h.base.queue, handler, { sequential: true });
      assert.ok(after.length === 6 && after.every((x) => x.outcome.kind === "done"), JSON.stringify(after.map((x) => x.outcome)));
      assert.equal(r.count(uri), 6);
    } finally {
      await cleanup();
    }
  });

  test("a half-open probe that fails opens the circuit again", async () => {
    try {
      const clock = new ManualClock("2026-06-01T08:00:00.000Z");
      const h = await harness({ clock, env: { HEROLD_DELIVERY_BREAKER_FAILURES: "2", HEROLD_DELIVERY_BREAKER_COOLDOWN: "600" } });
      const r = await receiver({ status: 502 });
      for (let i = 0; i < 4; i++) await h.addFollower({ inbox: r.url(`/users/u${i}/inbox`) });
      await h.publish();
      const handler = h.delivery.jobs[0]!;
      assert.deepEqual((await runDue(h.base.queue, handler, { sequential: true })).map((x) => x.outcome.kind), ["retry", "retry", "postpone", "postpone"]);
      clock.advance(600_000);
      // One probe (fails: 502), the others stay postponed.
      const probe = await runDue(h.base.queue, handler, { sequential: true });
      assert.deepEqual(probe.map((x) => x.outcome.kind), ["retry", "postpone", "postpone", "postpone"]);
      assert.equal(r.requests(), 3);
    } finally {
      await cleanup();
    }
  });

  test("failures on N distinct days mark a domain unavailable; its deliveries are skipped until it shows life", async () => {
    try {
      const clock = new ManualClock("2026-06-01T22:00:00.000Z");
      const h = await harness({ clock, env: { HEROLD_DELIVERY_UNAVAILABLE_DAYS: "2" } });
      const r = await receiver();
      r.down(true);
      await h.addFollower({ inbox: r.url("/inbox") });
      await h.publish();
      const handler = h.delivery.jobs[0]!;
      const db = get().database.db;
      const host = () => db.selectFrom("hosts").selectAll().where("domain", "=", r.host).executeTakeFirstOrThrow();

      await runDue(h.base.queue, handler); // day 1
      assert.equal((await host()).unavailable_since, null);
      clock.set("2026-06-02T09:00:00.000Z");
      const [day2] = await runDue(h.base.queue, handler); // day 2: the retry is due
      assert.equal(day2?.outcome.kind, "retry");
      const marked = await host();
      assert.ok(marked.unavailable_since !== null);
      assert.deepEqual(JSON.parse(marked.failure_days_json), ["2026-06-01", "2026-06-02"]);

      // The pending retry and a new post are skipped without contacting the host.
      r.down(false);
      const before = r.connections();
      const second = await h.publish("skipped");
      clock.advance(DAY);
      const skipped = await runDue(h.base.queue, handler);
      assert.deepEqual(skipped.map((x) => x.outcome), [
        { kind: "fail", error: "domain unavailable" },
        { kind: "fail", error: "domain unavailable" },
      ]);
      assert.equal(r.connections(), before);
      assert.equal(r.count(second.uri), 0);
      assert.equal(h.delivery.metrics.totals().results.skipped, 2);

      // A signed request from the domain (reported by the inbox) clears the mark.
      await h.delivery.markHostAlive(r.host.toUpperCase());
      const cleared = await host();
      assert.equal(cleared.unavailable_since, null);
      assert.equal(cleared.failure_days_json, "[]");
      const third = await h.publish("back");
      await runDue(h.base.queue, handler);
      assert.equal(r.count(third.uri), 1);
    } finally {
      await cleanup();
    }
  });

  test("a success resets the failure days recorded by another process", async () => {
    try {
      const clock = new ManualClock("2026-06-01T10:00:00.000Z");
      const h = await harness({ clock });
      const r = await receiver();
      await get().database.db
        .insertInto("hosts")
        .values({ domain: r.host, failure_days_json: '["2026-05-30","2026-05-31"]', last_error: "HTTP 503", updated_at: clock.now().toISOString() })
        .execute();
      await h.addFollower({ inbox: r.url("/inbox") });
      await h.publish();
      await runDue(h.base.queue, h.delivery.jobs[0]!);
      const host = await get().database.db.selectFrom("hosts").selectAll().where("domain", "=", r.host).executeTakeFirstOrThrow();
      assert.equal(host.failure_days_json, "[]");
      assert.equal(host.last_success_at, clock.now().toISOString());
    } finally {
      await cleanup();
    }
  });

  test("GET /metrics serves OpenMetrics with delivery counters and queue gauges", async () => {
    try {
      const h = await harness();
      const ok = await receiver();
      const failing = await receiver({ status: 500 });
      await h.addFollower({ inbox: ok.url("/inbox") });
      await h.addFollower({ inbox: failing.url("/inbox") });
      await h.publish();
      await runDue(h.base.queue, h.delivery.jobs[0]!);

      const app = h.delivery.routes[0]!(undefined as never);
      const response = await app.request("/metrics");
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("content-type"), OPENMETRICS_CONTENT_TYPE);
      const text = await response.text();
      const lines = text.trimEnd().split("\n");
      assert.equal(lines.at(-1), "# EOF");
      assert.ok(lines.includes('herold_deliveries_total{result="ok"} 1'), text);
      assert.ok(lines.includes("herold_delivery_retries_total 1"), text);
      assert.ok(lines.includes(`herold_delivery_host_deliveries_total{host="${ok.host}",result="ok"} 1`), text);
      assert.ok(lines.includes(`herold_delivery_host_deliveries_total{host="${failing.host}",result="failed"} 1`), text);
      assert.ok(lines.includes('herold_queue_jobs{queue="deliver",state="delayed"} 1'), text);
      assert.ok(lines.some((l) => /^herold_delivery_rate 0\.0\d\d$/.test(l)), text);
      // Every sample belongs to a family declared before it.
      const families = new Set(lines.filter((l) => l.startsWith("# TYPE ")).map((l) => l.split(" ")[2]!));
      for (const line of lines.filter((l) => !l.startsWith("#"))) {
        const name = line.split(/[{ ]/)[0]!;
        assert.ok(families.has(name) || families.has(name.replace(/_total$/, "")), `undeclared ${name}`);
      }
    } finally {
      await cleanup();
    }
  });

  test("status() reports queue depths, retry backlog, failing hosts and dead letters from the database", async () => {
    try {
      const clock = new ManualClock("2026-06-01T10:00:00.000Z");
      const h = await harness({ clock });
      const failing = await receiver({ status: 503 });
      const gone = await receiver({ status: 400 });
      await h.addFollower({ inbox: failing.url("/inbox") });
      await h.addFollower({ inbox: gone.url("/inbox") });
      await h.publish();
      await runDue(h.base.queue, h.delivery.jobs[0]!);
      const status = await h.delivery.status();
      assert.deepEqual(status.queues[DELIVER_QUEUE], { ready: 0, delayed: 1, running: 0, dead: 1 });
      assert.equal(status.retryBacklog.count, 1);
      assert.ok(status.failing.some((host) => host.domain === failing.host && host.lastError === "HTTP 503"));
      assert.deepEqual(status.dead.reasons, [{ reason: "HTTP 400", count: 1 }]);
    } finally {
      await cleanup();
    }
  });
});

