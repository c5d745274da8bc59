import assert from "node:assert/strict";
import { test } from "node:test";
import { describeEachEngine } from "../testing/databases.ts";
import { DeliveryReachRepository } from "./reach.repository.ts";

/**
 * Raw-data retention of delivery outcomes: after the period, personal inbox URLs (which name remote
 * actors) are folded into one row per server, and every post's reach reads the same as before.
 */
describeEachEngine("delivery outcomes folded to servers", (get) => {
  test("settled outcomes before the cutoff fold per server; reach is unchanged; pending and recent rows stay", async () => {
    const repo = new DeliveryReachRepository(get().database);
    const old = "2026-01-01T00:00:00.000Z";
    const recent = "2026-12-01T00:00:00.000Z";
    const rows = [
      { activityId: "a1", inbox: "https://one.example/users/ann/inbox", host: "one.example", postId: "p1" },
      { activityId: "a1", inbox: "https://one.example/users/bob/inbox", host: "one.example", postId: "p1" },
      { activityId: "a1", inbox: "https://two.example/users/cy/inbox", host: "two.example", postId: "p1" },
      { activityId: "a1", inbox: "https://three.example/inbox", host: "three.example", postId: "p1" },
      { activityId: "a2", inbox: "https://one.example/users/ann/inbox", host: "one.example", postId: "p2" },
    ];
    await repo.insertPending(rows, old);
    await repo.settleMany([
      { activityId: "a1", inbox: rows[0]!.inbox, state: "failed", at: old },
      { activityId: "a1", inbox: rows[1]!.inbox, state: "delivered", at: old },
      { activityId: "a1", inbox: rows[2]!.inbox, state: "failed", at: old },
      { activityId: "a2", inbox: rows[4]!.inbox, state: "delivered", at: recent },
    ]);
    const before = await repo.reachOf(["p1", "p2"]);
    assert.equal(await repo.foldSettledBefore("2026-06-01T00:00:00.000Z"), 3);
    assert.deepEqual(await repo.reachOf(["p1", "p2"]), before);
    assert.deepEqual(before.get("p1"), { deliveredServers: 1, failedServers: 1, pendingServers: 1, deliveredHosts: ["one.example"] });
    const inboxes = (await get().database.db.selectFrom("delivery_outcomes").select(["activity_id", "inbox", "state"]).orderBy("activity_id").orderBy("inbox").execute()).map((r) => `${r.activity_id} ${r.inbox} ${r.state}`);
    assert.deepEqual(inboxes, [
      "a1 host:one.example delivered",
      "a1 host:two.example failed",
      "a1 https://three.example/inbox pending",
      "a2 https://one.example/users/ann/inbox delivered",
    ]);
    assert.equal(await repo.foldSettledBefore("2026-06-01T00:00:00.000Z"), 0, "folding twice changes nothing");
  });
});
