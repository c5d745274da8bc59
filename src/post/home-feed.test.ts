import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Account } from "../account/account.entity.ts";
import type { Actor } from "../actor/actor.entity.ts";
import { AS_PUBLIC } from "../content/validate.ts";
import { AcceptedFollows } from "../social/accepted-follows.ts";
import { FollowRepository } from "../social/follow.repository.ts";
import { describeEachEngine } from "../testing/databases.ts";
import { FOLLOW_BACKFILL, homeFeedFollowsListener } from "./home-feed.ts";
import { createPostHarness, type PostHarness } from "./testing/post-harness.ts";

/**
 * The materialised home timelines (home-feed.ts): written when a post arrives, filled when a follow
 * is accepted, emptied of a followee when the follow ends, always through social's follow writes.
 */
describeEachEngine("home feed", (getDb) => {
  let h: PostHarness;
  let follows: FollowRepository;
  let alice: Account;
  let zoe: Account;
  let carol: Account; // a local author with a long history
  let bob: Actor;
  let n = 0;
  const now = () => new Date().toISOString();

  before(async () => {
    h = await createPostHarness(getDb());
    // A repository with what the social module's keeps in step (counters and the home timelines).
    const accepted = new AcceptedFollows();
    accepted.on(homeFeedFollowsListener);
    follows = new FollowRepository(h.ctx.database.db, accepted);
    alice = await h.addAccount("alice");
    zoe = await h.addAccount("zoe");
    carol = await h.addAccount("carol");
    bob = await h.addRemote("bob", "remote.example");
  });
  after(() => h.close());

  const timeline = async (username: string) => {
    const page = await h.posts.timeline.list(username, { limit: 200 });
    assert.ok(page.ok);
    return page.value.entries.map((e) => e.post.uri);
  };
  const feedRows = async (feedId: string, authorId: string) =>
    (await h.ctx.database.db.selectFrom("home_feed").select("post_id").where("feed_id", "=", feedId).where("author_id", "=", authorId).execute()).length;
  const noteBy = (actor: Actor) => {
    const id = `${actor.uri}/statuses/${++n}`;
    return { id, type: "Note", attributedTo: actor.uri, content: `<p>post ${n}</p>`, to: [AS_PUBLIC], cc: [actor.followersUrl], published: `2026-03-01T00:00:${String(n % 60).padStart(2, "0")}Z` };
  };

  test("a post arriving for two local followers is in both their timelines, one feed row each, and in nobody else's", async () => {
    await h.follow(alice.actorId, bob.id);
    await h.follow(zoe.actorId, bob.id);
    const note = noteBy(bob);
    assert.deepEqual(await h.receive(bob, { id: `${note.id}/activity`, type: "Create", actor: bob.uri, object: note }), { kind: "processed" });
    assert.ok((await timeline("alice")).includes(note.id));
    assert.ok((await timeline("zoe")).includes(note.id));
    assert.ok(!(await timeline("carol")).includes(note.id));
    const post = await h.ctx.repos.posts.findByUri(note.id);
    const rows = await h.ctx.database.db.selectFrom("home_feed").select("feed_id").where("post_id", "=", post!.id).execute();
    assert.deepEqual(rows.map((r) => r.feed_id).sort(), [alice.actorId, zoe.actorId].sort());
  });

  test(`a follow accepted later brings the followee's newest ${FOLLOW_BACKFILL} posts into the timeline; ending it takes them out`, async () => {
    const published: string[] = [];
    for (let i = 0; i < FOLLOW_BACKFILL + 5; i++) {
      const result = await h.posts.service.publish({ username: "carol", text: `carol ${i}` });
      assert.ok(result.ok);
      published.push(result.value.uri);
    }
    // Posts written while nobody followed carol are in no timeline.
    assert.equal(await feedRows(alice.actorId, carol.actorId), 0);
    const { follow } = await follows.create({ followerId: alice.actorId, followeeId: carol.actorId, state: "pending", uri: null }, now());
    assert.deepEqual((await timeline("alice")).filter((uri) => published.includes(uri)), [], "nothing while the follow is pending");
    await follows.create({ followerId: zoe.actorId, followeeId: carol.actorId, state: "accepted", uri: null }, now());

    assert.ok((await follows.accept(follow.id, now())) !== null);
    const shown = (await timeline("alice")).filter((uri) => published.includes(uri));
    assert.equal(shown.length, FOLLOW_BACKFILL, "the newest ones, not the whole history");
    const byTime = await h.ctx.database.db.selectFrom("posts").select("uri").where("actor_id", "=", carol.actorId).orderBy("published_at", "desc").orderBy("id", "desc").limit(FOLLOW_BACKFILL).execute();
    assert.deepEqual(shown, byTime.map((r) => r.uri));

    // A new post reaches the follower at once.
    const fresh = await h.posts.service.publish({ username: "carol", text: "after the follow" });
    assert.ok(fresh.ok && (await timeline("alice"))[0] === fresh.value.uri);

    assert.ok((await follows.end(follow.id, "unfollow", now())) !== null);
    assert.equal(await feedRows(alice.actorId, carol.actorId), 0, "the unfollowed account's rows are gone");
    assert.deepEqual((await timeline("alice")).filter((uri) => published.includes(uri) || uri === fresh.value.uri), []);
    // Another follower of carol keeps hers; alice keeps what she still follows.
    assert.equal(await feedRows(zoe.actorId, carol.actorId), FOLLOW_BACKFILL + 1);
    assert.ok((await feedRows(alice.actorId, bob.id)) > 0);
  });
});
