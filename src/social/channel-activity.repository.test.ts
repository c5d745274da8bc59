import assert from "node:assert/strict";
import { before, test } from "node:test";
import type { Kysely } from "kysely";
import { addToCounters } from "../db/counters.ts";
import type { DB } from "../db/schema.ts";
import { newId } from "../lib/id.ts";
import { describeEachEngine } from "../testing/databases.ts";
import { ChannelActivityRepository } from "./channel-activity.repository.ts";
import { FOLLOWERS } from "./follow.counters.ts";

/** The home's questions to social, one statement each, on both engines. */
describeEachEngine("ChannelActivityRepository", (get) => {
  let db: Kysely<DB>;
  let repo: ChannelActivityRepository;
  const acme = newId();
  const fans = [newId(), newId(), newId()];

  before(async () => {
    db = get().database.db;
    repo = new ChannelActivityRepository(db);
    const now = new Date().toISOString();
    for (const [i, id] of [acme, ...fans].entries()) {
      await db.insertInto("actors").values({ id, uri: `https://example.org/users/u${i}`, is_local: i === 0 ? 1 : 0, type: "Person", username: `u${i}`, domain: "example.org", created_at: now, updated_at: now }).execute();
    }
  });

  test("followers from the counter; gained and lost since an instant from the follow history", async () => {
    assert.deepEqual(await repo.followerTrend(acme, "2026-01-01T00:00:00.000Z"), { followers: 0, gained: 0, lost: 0 });
    const event = (follower: string, kind: string, wasAccepted: boolean, at: string) =>
      db.insertInto("follow_events").values({ id: newId(), follower_id: follower, followee_id: acme, kind, reason: null, was_accepted: wasAccepted ? 1 : 0, created_at: at }).execute();
    await event(fans[0]!, "accepted", false, "2026-01-01T10:00:00.000Z"); // before the window
    await event(fans[1]!, "accepted", false, "2026-01-08T10:00:00.000Z");
    await event(fans[2]!, "accepted", false, "2026-01-08T11:00:00.000Z");
    await event(fans[2]!, "ended", true, "2026-01-09T11:00:00.000Z");
    await event(fans[0]!, "ended", false, "2026-01-09T12:00:00.000Z"); // a request withdrawn: no follower lost
    await addToCounters(db, [{ scope: acme, name: FOLLOWERS, delta: 2 }]);
    assert.deepEqual(await repo.followerTrend(acme, "2026-01-05T00:00:00.000Z"), { followers: 2, gained: 2, lost: 1 });
  });

  test("notifications since an instant, counted by kind", async () => {
    const note = (kind: string, from: string, at: string) =>
      db.insertInto("notifications").values({ id: newId(), actor_id: acme, kind, from_actor_id: from, post_id: null, interaction_id: null, created_at: at, read_at: null }).execute();
    await note("follow", fans[0]!, "2026-02-01T09:00:00.000Z");
    await note("like", fans[0]!, "2026-02-02T09:00:00.000Z");
    await note("like", fans[1]!, "2026-02-02T10:00:00.000Z");
    await note("reply", fans[2]!, "2026-02-03T10:00:00.000Z");
    const since = await repo.since(acme, "2026-02-01T12:00:00.000Z");
    assert.equal(since.counts.like, 2);
    assert.equal(since.counts.reply, 1);
    assert.equal(since.counts.follow, 0);
    assert.equal(since.people, 2);
    assert.equal(since.latestAt, "2026-02-03T10:00:00.000Z");
    const nothing = await repo.since(acme, "2026-03-01T00:00:00.000Z");
    assert.equal(Object.values(nothing.counts).reduce((a, b) => a + b, 0), 0);
    assert.equal(nothing.latestAt, null);
  });
});
