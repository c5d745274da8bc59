import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Account } from "../account/account.entity.ts";
import type { Actor } from "../actor/actor.entity.ts";
import { AS_PUBLIC } from "../content/validate.ts";
import { createPostHarness, type PostHarness } from "../post/testing/post-harness.ts";
import { describeEachEngine } from "../testing/databases.ts";
import * as migration from "./migrations/0014_home_feed.ts";

/**
 * Migration 0014 fills the home feeds of existing data: a database upgraded from before the feed shows
 * the same timelines as one that wrote the feed all along.
 */
describeEachEngine("migration 0014: home feed of existing data", (getDb) => {
  let h: PostHarness;
  let alice: Account; // follows bob
  let zoe: Account; // asked to follow bob, not accepted
  let bob: Actor;
  let dan: Actor; // remote, follows bob: no feed here

  before(async () => {
    h = await createPostHarness(getDb());
    alice = await h.addAccount("alice");
    zoe = await h.addAccount("zoe");
    bob = await h.addRemote("bob", "remote.example");
    dan = await h.addRemote("dan", "other.example");
    await h.follow(alice.actorId, bob.id);
    await h.follow(zoe.actorId, bob.id, "pending");
    await h.follow(dan.id, bob.id);
    for (let i = 1; i <= 3; i++) {
      const note = { id: `${bob.uri}/statuses/${i}`, type: "Note", attributedTo: bob.uri, content: `<p>${i}</p>`, to: [AS_PUBLIC], cc: [bob.followersUrl], published: `2026-04-01T00:00:0${i}Z` };
      assert.deepEqual(await h.receive(bob, { id: `${note.id}/activity`, type: "Create", actor: bob.uri, object: note }), { kind: "processed" });
    }
  });
  after(() => h.close());

  test("recreated from posts and follows: the rows the writes made, the same timeline", async () => {
    const db = h.ctx.database.db;
    const rows = () => db.selectFrom("home_feed").selectAll().orderBy("feed_id").orderBy("post_id").execute();
    const written = await rows();
    assert.equal(written.length, 3);
    assert.ok(written.every((r) => r.feed_id === alice.actorId && r.author_id === bob.id));
    const shown = await h.posts.timeline.list("alice");
    assert.ok(shown.ok);

    await migration.down(db);
    await migration.up(db);
    assert.deepEqual(await rows(), written);
    const again = await h.posts.timeline.list("alice");
    assert.ok(again.ok);
    assert.deepEqual(again.value.entries.map((e) => e.post.uri), shown.value.entries.map((e) => e.post.uri));
    const empty = await h.posts.timeline.list(zoe.username);
    assert.ok(empty.ok && empty.value.entries.length === 0);
  });
});
