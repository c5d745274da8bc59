import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Account } from "../account/account.entity.ts";
import type { Actor } from "../actor/actor.entity.ts";
import type { Job } from "../queue/queue.ts";
import { describeEachEngine } from "../testing/databases.ts";
import { POLL_UPDATE_QUEUE, pollUpdateHandler } from "./poll.job.ts";
import type { Post } from "./post.entity.ts";
import { createPostHarness, type PostHarness } from "./testing/post-harness.ts";

/**
 * Local polls end to end inside one instance: published as a Question, votes in Mastodon's shape
 * (Create of a Note with `name` and `inReplyTo`, no content) through the posts inbox handler,
 * counted once, and the debounced Update(Question) the followers get.
 */
describeEachEngine("local polls", (getDb) => {
  let h: PostHarness;
  let alice: Account;
  let bob: Actor; // follows alice
  let carol: Actor;
  let mallory: Actor; // blocked by alice
  let n = 0;

  before(async () => {
    h = await createPostHarness(getDb());
    alice = await h.addAccount("alice");
    bob = await h.addRemote("bob", "remote.example");
    carol = await h.addRemote("carol", "other.example");
    mallory = await h.addRemote("mallory", "evil.example");
    await h.follow(bob.id, alice.actorId);
    await h.block(alice.actorId, mallory.id);
  });
  after(() => h.close());

  const publishPoll = async (multiple: boolean): Promise<Post> => {
    const result = await h.posts.service.publish({ username: "alice", text: "Which launch day?", poll: { options: ["Monday", "Friday"], multiple, durationSeconds: 3600 } });
    assert.ok(result.ok, result.ok ? "" : result.message);
    return result.value;
  };
  /** A vote as Mastodon sends it (ActivityPub::VoteSerializer). */
  const vote = (actor: Actor, post: Post, name: string) => {
    const id = `${actor.uri}#votes/${++n}`;
    return { id: `${id}/activity`, type: "Create", actor: actor.uri, to: [alice.uri], object: { id, type: "Note", name, attributedTo: actor.uri, inReplyTo: post.uri, to: alice.uri } };
  };
  const poll = async (post: Post) => (await h.ctx.repos.posts.findById(post.id))?.poll;
  const updateJobs = (post: Post) =>
    h.ctx.database.db.selectFrom("jobs").selectAll().where("queue", "=", POLL_UPDATE_QUEUE).where("payload", "like", `%${post.id}%`).orderBy("run_at").execute();

  test("a poll is published as a Question in Mastodon's shape", async () => {
    const post = await publishPoll(false);
    const create = (await h.delivered()).find((d) => d.type === "Create" && d.objectUri === post.uri);
    assert.ok(create);
    const q = create.json["object"];
    // What Mastodon's ActivityPub::NoteSerializer writes for a poll and reads back
    // (ActivityPub::Parser::PollParser): oneOf Notes with name and replies.totalItems, endTime, votersCount.
    assert.equal(q.type, "Question");
    assert.deepEqual(q.oneOf, [
      { type: "Note", name: "Monday", replies: { type: "Collection", totalItems: 0 } },
      { type: "Note", name: "Friday", replies: { type: "Collection", totalItems: 0 } },
    ]);
    assert.equal(q.anyOf, undefined);
    assert.equal(q.endTime, "2026-03-01T11:00:00Z");
    assert.equal(q.votersCount, 0);
    assert.equal(q.closed, undefined);
    assert.equal(q.content, "<p>Which launch day?</p>");
    assert.ok(create.inboxes.includes("https://remote.example/inbox"));
    // The final Update is queued with the post, due when the poll ends.
    assert.deepEqual((await updateJobs(post)).map((j) => [j.dedupe_key, j.run_at]), [[`poll-end:${post.id}`, "2026-03-01T11:00:00.000Z"]]);
  });

  test("single choice: one vote per actor; unknown options, blocked voters and late votes are refused; votes are not posts", async () => {
    const post = await publishPoll(false);
    const posts = async () => Number((await h.ctx.database.db.selectFrom("posts").select((eb) => eb.fn.countAll().as("n")).executeTakeFirst())?.n);
    const before = await posts();
    const first = vote(bob, post, "Friday");
    assert.equal((await h.receive(bob, first)).kind, "processed");
    assert.equal((await h.receive(bob, first)).kind, "ignored", "the same activity again");
    assert.equal((await h.receive(bob, vote(bob, post, "Monday"))).kind, "ignored", "a second vote on a single-choice poll");
    assert.equal((await h.receive(carol, vote(carol, post, "Sunday"))).kind, "rejected");
    assert.equal((await h.receive(mallory, vote(mallory, post, "Monday"))).kind, "rejected");
    assert.equal((await h.receive(carol, vote(carol, post, "Monday"))).kind, "processed");
    assert.deepEqual(await poll(post), { options: [{ name: "Monday", votes: 1 }, { name: "Friday", votes: 1 }], multiple: false, endsAt: "2026-03-01T11:00:00.000Z", voters: 2 });
    assert.equal(await posts(), before, "no vote became a post");
    const ledger = await h.ctx.database.db.selectFrom("interactions").select(["actor_id", "content"]).where("post_id", "=", post.id).where("kind", "=", "vote").orderBy("created_at").orderBy("id").execute();
    assert.deepEqual(ledger.map((v) => [v.actor_id, v.content]), [[bob.id, "Friday"], [carol.id, "Monday"]], "kept in the ledger");
    h.clock.advance(3_600_000);
    try {
      const late = await h.addRemote("late", "late.example");
      assert.equal((await h.receive(late, vote(late, post, "Monday"))).kind, "ignored", "after the end");
      assert.equal((await poll(post))?.voters, 2);
    } finally {
      h.clock.advance(-3_600_000);
    }
  });

  test("multiple choice: one vote per actor and option, voters counted once", async () => {
    const post = await publishPoll(true);
    const create = (await h.delivered()).find((d) => d.type === "Create" && d.objectUri === post.uri);
    assert.equal(create?.json["object"].oneOf, undefined);
    assert.equal(create?.json["object"].anyOf.length, 2);
    assert.equal((await h.receive(bob, vote(bob, post, "Monday"))).kind, "processed");
    assert.equal((await h.receive(bob, vote(bob, post, "Friday"))).kind, "processed");
    assert.equal((await h.receive(bob, vote(bob, post, "Friday"))).kind, "ignored");
    assert.equal((await h.receive(carol, vote(carol, post, "Friday"))).kind, "processed");
    const counted = await poll(post);
    assert.deepEqual(counted?.options, [{ name: "Monday", votes: 1 }, { name: "Friday", votes: 2 }]);
    assert.equal(counted?.voters, 2);
  });

  test("votes queue one debounced Update(Question) with the new counts, sent to the followers", async () => {
    const post = await publishPoll(false);
    await h.receive(bob, vote(bob, post, "Monday"));
    await h.receive(carol, vote(carol, post, "Monday"));
    const jobs = await updateJobs(post);
    const soon = jobs.filter((j) => j.dedupe_key === `poll-update:${post.id}`);
    assert.equal(soon.length, 1, "two votes, one pending Update");
    assert.equal(soon[0]!.run_at, "2026-03-01T10:01:00.000Z");
    const job: Job<{ postId: string }> = { id: soon[0]!.id, queue: POLL_UPDATE_QUEUE, payload: JSON.parse(soon[0]!.payload), attempts: 1, runAt: soon[0]!.run_at };
    assert.deepEqual(await pollUpdateHandler(h.bridge).handle(job, new AbortController().signal), { kind: "done" });
    const update = (await h.delivered()).filter((d) => d.type === "Update" && d.objectUri === post.uri).at(-1);
    assert.ok(update, "an Update was stored and queued");
    assert.equal(update.json["object"].type, "Question");
    assert.deepEqual(update.json["object"].oneOf.map((o: any) => o.replies.totalItems), [2, 0]);
    assert.equal(update.json["object"].votersCount, 2);
    assert.equal(update.json["object"].updated, undefined, "counts are not an edit");
    assert.ok(update.inboxes.includes("https://remote.example/inbox"));
  });

  test("when the poll ends, the queued job sends the final counts with closed", async () => {
    const post = await publishPoll(false);
    await h.receive(bob, vote(bob, post, "Friday"));
    const end = (await updateJobs(post)).find((j) => j.dedupe_key === `poll-end:${post.id}`);
    assert.ok(end);
    h.clock.advance(3_600_000);
    try {
      const job: Job<{ postId: string }> = { id: end.id, queue: POLL_UPDATE_QUEUE, payload: JSON.parse(end.payload), attempts: 1, runAt: end.run_at };
      await pollUpdateHandler(h.bridge).handle(job, new AbortController().signal);
      const update = (await h.delivered()).filter((d) => d.type === "Update" && d.objectUri === post.uri).at(-1);
      assert.equal(update?.json["object"].closed, "2026-03-01T11:00:00Z");
      assert.deepEqual(update?.json["object"].oneOf.map((o: any) => o.replies.totalItems), [0, 1]);
    } finally {
      h.clock.advance(-3_600_000);
    }
  });
});
