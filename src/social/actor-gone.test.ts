import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { ActorGoneAnnouncer } from "../actor/actor-gone.ts";
import type { Actor } from "../actor/actor.entity.ts";
import { ActorRepository } from "../actor/actor.repository.ts";
import { newId } from "../lib/id.ts";
import { describeEachEngine } from "../testing/databases.ts";
import { remoteActorData } from "../testing/fixtures.ts";
import { AcceptedFollows } from "./accepted-follows.ts";
import { endFollowsOfGoneActors } from "./follow-history.ts";

// Moved from actor.repository.test.ts: ending follows is social's part of an actor going.
describeEachEngine("actors gone (actor module announces, social ends the follows)", (get) => {
  const t1 = "2026-03-01T12:00:00.000Z";
  const t2 = "2026-03-02T12:00:00.000Z";
  let actors: ActorRepository;
  let announcer: ActorGoneAnnouncer;
  const observed: Actor[] = [];

  before(() => {
    actors = new ActorRepository(get().database.db);
    announcer = new ActorGoneAnnouncer(get().database.db, actors);
    announcer.subscribe(endFollowsOfGoneActors(new AcceptedFollows()));
    announcer.observe((actor) => observed.push(actor));
  });

  const follow = (follower: string, followee: string, state: string) => ({
    id: newId(), follower_id: follower, followee_id: followee, state, uri: null, created_at: t1, accepted_at: null, updated_at: t1,
  });

  describe("announce", () => {
    test("an actor gone: marked gone, follows both ways end and are recorded in the follow history, observers told after", async () => {
      const { db } = get().database;
      const gone = await actors.upsertRemote(remoteActorData("gone.example", "carol"), t1);
      const other = await actors.upsertRemote(remoteActorData("other.example", "dave"), t1);
      await db.insertInto("follows").values([follow(gone.id, other.id, "accepted"), follow(other.id, gone.id, "pending")]).execute();
      assert.equal(await announcer.announce([gone.id], "actor", t2), 2);
      assert.equal((await actors.findById(gone.id))?.goneAt, t2);
      const left = await db.selectFrom("follows").select("id").where((eb) => eb.or([eb("follower_id", "=", gone.id), eb("followee_id", "=", gone.id)])).execute();
      assert.deepEqual(left, []);
      const events = await db
        .selectFrom("follow_events")
        .select(["follower_id", "followee_id", "kind", "reason", "was_accepted"])
        .where((eb) => eb.or([eb("follower_id", "=", gone.id), eb("followee_id", "=", gone.id)]))
        .execute();
      assert.equal(events.length, 2);
      assert.ok(events.every((e) => e.kind === "ended" && e.reason === "gone"));
      assert.deepEqual(events.map((e) => [e.follower_id === gone.id, e.was_accepted]).sort(), [[false, 0], [true, 1]]);
      assert.deepEqual(observed.map((a) => [a.id, a.goneAt]), [[gone.id, t2]]);
    });

    test("unknown ids are never touched from remote input", async () => {
      observed.length = 0;
      assert.equal(await announcer.announce(["no-such-actor"], "actor", t2), 0);
      assert.deepEqual(observed, []);
    });
  });
});
