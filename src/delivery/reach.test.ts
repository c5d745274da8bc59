import assert from "node:assert/strict";
import { Follow } from "@fedify/vocab";
import { beforeEach, test } from "node:test";
import { newId } from "../lib/id.ts";
import { ManualClock } from "../lib/time.ts";
import { describeEachEngine } from "../testing/databases.ts";
import { DELIVER_QUEUE } from "./delivery.job.ts";
import { advanceToNextJob, runDue } from "./testing/drive.ts";
import { createDeliveryHarness, type DeliveryHarness, type HarnessOptions } from "./testing/harness.ts";
import { startReceiver, type Receiver } from "./testing/receivers.ts";

/**
 * Per-post delivery outcomes (issue #14): recorded pending with the deliver jobs, settled by them,
 * answered per post by `DeliveryModule.reach`. Loopback receivers play the remote servers.
 */
describeEachEngine("delivery reach", (get) => {
  const open: Array<{ close(): Promise<void> }> = [];
  beforeEach(async () => {
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
  /** The post id behind a published activity: what the bridge derived from its object. */
  const postOf = async (h: DeliveryHarness, rowId: string): Promise<string> => {
    const row = await get().database.db.selectFrom("outbox_activities").select("object_uri").where("id", "=", rowId).executeTakeFirstOrThrow();
    const parsed = h.base.urls.parsePost(row.object_uri ?? "");
    assert.ok(parsed);
    return parsed.postId;
  };
  const outcomes = (rowId: string) =>
    get().database.db.selectFrom("delivery_outcomes").select(["inbox", "host", "state"]).where("activity_id", "=", rowId).orderBy("inbox").execute();

  test("2xx is delivered, 500 then 2xx stays pending until it is delivered, 410 is failed; a host counts once", async () => {
    try {
      const clock = new ManualClock("2026-05-01T10:00:00.000Z");
      const h = await harness({ clock });
      const ok = await receiver({ status: 202 });
      const flaky = await receiver({ status: 500 });
      const gone = await receiver({ status: 410 });
      // Two personal inboxes on one server: two outcomes, one server.
      const mixed = await receiver({ status: 202 });
      await h.addFollower({ inbox: ok.url("/inbox") });
      await h.addFollower({ inbox: flaky.url("/inbox") });
      await h.addFollower({ inbox: gone.url("/users/dead/inbox") });
      await h.addFollower({ inbox: mixed.url("/users/a/inbox") });
      await h.addFollower({ inbox: mixed.url("/users/b/inbox") });
      const { uri, rowId } = await h.publish();
      const postId = await postOf(h, rowId);

      // Committed with the jobs: one pending outcome per queued inbox.
      const jobs = await get().database.db.selectFrom("jobs").select("payload").where("queue", "=", DELIVER_QUEUE).execute();
      assert.equal(jobs.length, 5);
      assert.deepEqual((await outcomes(rowId)).map((o) => o.state), ["pending", "pending", "pending", "pending", "pending"]);
      assert.deepEqual(await h.delivery.reach.reachOf([postId]), new Map([[postId, { deliveredServers: 0, failedServers: 0, pendingServers: 4, deliveredHosts: [] }]]));

      const first = await runDue(h.base.queue, h.delivery.jobs[0]!, { sequential: true });
      assert.deepEqual(first.map((x) => x.outcome.kind).sort(), ["done", "done", "done", "fail", "retry"]);
      assert.equal(ok.count(uri), 1);
      let reach = (await h.delivery.reach.reachOf([postId])).get(postId);
      assert.deepEqual(reach, { deliveredServers: 2, failedServers: 1, pendingServers: 1, deliveredHosts: [ok.host, mixed.host].sort() });

      // The retry answers 2xx: nothing is pending any more.
      flaky.set({ status: 202 });
      assert.ok(await advanceToNextJob(get().database.db, clock, DELIVER_QUEUE));
      const second = await runDue(h.base.queue, h.delivery.jobs[0]!);
      assert.deepEqual(second.map((x) => x.outcome.kind), ["done"]);
      reach = (await h.delivery.reach.reachOf([postId])).get(postId);
      assert.deepEqual(reach, { deliveredServers: 3, failedServers: 1, pendingServers: 0, deliveredHosts: [flaky.host, ok.host, mixed.host].sort() });
      const byHost = new Map((await outcomes(rowId)).map((o) => [o.inbox, o.state]));
      assert.equal(byHost.get(gone.url("/users/dead/inbox")), "failed");
      assert.equal(byHost.get(flaky.url("/inbox")), "delivered");
    } finally {
      await cleanup();
    }
  });

  test("a server that keeps failing is pending while retried and failed once the engine gives up", async () => {
    try {
      const clock = new ManualClock("2026-05-01T10:00:00.000Z");
      const h = await harness({ clock, env: { HEROLD_DELIVERY_MAX_ATTEMPTS: "3" } });
      const down = await receiver({ status: 503 });
      await h.addFollower({ inbox: down.url("/inbox") });
      const { rowId } = await h.publish();
      const postId = await postOf(h, rowId);
      const kinds: string[] = [];
      for (let i = 0; i < 3; i++) {
        for (const { outcome } of await runDue(h.base.queue, h.delivery.jobs[0]!)) kinds.push(outcome.kind);
        const reach = (await h.delivery.reach.reachOf([postId])).get(postId);
        if (i < 2) assert.equal(reach?.pendingServers, 1, `pending after attempt ${i + 1}`);
        await advanceToNextJob(get().database.db, clock, DELIVER_QUEUE);
      }
      assert.deepEqual(kinds, ["retry", "retry", "fail"]);
      assert.deepEqual((await h.delivery.reach.reachOf([postId])).get(postId), { deliveredServers: 0, failedServers: 1, pendingServers: 0, deliveredHosts: [] });
    } finally {
      await cleanup();
    }
  });

  test("outcomes commit with the caller's transaction, a repeated enqueue keeps a settled outcome, unknown posts are absent", async () => {
    try {
      const h = await harness();
      const r = await receiver({ status: 202 });
      const { rowId } = await h.publish(); // no followers yet: nothing queued, nothing kept
      assert.deepEqual(await outcomes(rowId), []);
      const postId = newId();
      const input = { outboxActivityId: rowId, accountId: h.account.id, inboxes: [r.url("/inbox"), r.url("/inbox")], reach: { postId } };
      await assert.rejects(
        get().database.db.transaction().execute(async (trx) => {
          assert.equal(await h.delivery.port.enqueue(input, trx), 1);
          throw new Error("roll back");
        }),
        /roll back/,
      );
      assert.deepEqual(await outcomes(rowId), [], "rolled back with the jobs");
      assert.equal(await h.delivery.port.enqueue(input), 1);
      assert.deepEqual(await outcomes(rowId), [{ inbox: r.url("/inbox"), host: r.host, state: "pending" }]);
      await runDue(h.base.queue, h.delivery.jobs[0]!);
      assert.equal(await h.delivery.port.enqueue(input), 1, "the job was done, so it is queued again");
      assert.deepEqual(await outcomes(rowId), [{ inbox: r.url("/inbox"), host: r.host, state: "delivered" }], "the delivered outcome is kept");
      assert.deepEqual(await h.delivery.reach.reachOf([newId(), postId, postId]), new Map([[postId, { deliveredServers: 1, failedServers: 0, pendingServers: 0, deliveredHosts: [r.host] }]]));
    } finally {
      await cleanup();
    }
  });

  test("only a local post's Create keeps outcomes: other activities queue their jobs and nothing else", async () => {
    try {
      const h = await harness();
      const r = await receiver({ status: 202 });
      const followee = await h.addFollower({ inbox: r.url("/users/bob/inbox") });
      const actor = new URL(h.base.urls.actor(h.account.username));
      const uri = await h.bridge.send({
        account: h.account,
        activity: new Follow({ actor, object: new URL(r.url("/users/bob")) }),
        visibility: "direct",
        // Even an object URI that looks like a local post keeps nothing when the activity is no Create.
        objectUri: h.base.urls.post(h.account.username, newId()),
        audience: { followers: false, actorIds: [followee] },
      });
      const row = await get().database.db.selectFrom("outbox_activities").select("id").where("uri", "=", uri).executeTakeFirstOrThrow();
      const jobs = await get().database.db.selectFrom("jobs").select("payload").where("queue", "=", DELIVER_QUEUE).execute();
      assert.equal(jobs.length, 1);
      assert.equal((JSON.parse(jobs[0]!.payload) as { reach?: boolean }).reach, undefined);
      assert.deepEqual(await outcomes(row.id), []);
      assert.deepEqual((await runDue(h.base.queue, h.delivery.jobs[0]!)).map((x) => x.outcome.kind), ["done"]);
      assert.deepEqual(await outcomes(row.id), []);
    } finally {
      await cleanup();
    }
  });
});
