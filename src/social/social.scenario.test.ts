import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ENGINES } from "../testing/databases.ts";
import { eventually, type TestInstance, startTestInstances } from "../testing/instance.ts";

/**
 * Follows, approvals, unfollows, blocks and likes between three real Herold instances on loopback
 * ports (each with its own database), driven by the CLI as an operator would. Every scenario checks
 * what the other side stored and what it must not have received. Nothing leaves 127.0.0.1.
 */

interface FollowView {
  readonly handle: string;
  readonly uri: string;
  readonly state: string;
}

const WAIT_MS = 20_000;

for (const engine of ENGINES) {
  describe(`social federation between instances [${engine}]`, () => {
    let a: TestInstance;
    let b: TestInstance;
    let c: TestInstance;

    const run = async (instance: TestInstance, ...argv: string[]): Promise<string> => {
      const result = await instance.cli(...argv);
      assert.equal(result.code, 0, `${argv.join(" ")} on ${instance.domain}: ${result.err}`);
      return result.out;
    };
    const following = async (instance: TestInstance, username: string): Promise<FollowView[]> => JSON.parse(await run(instance, "following", username, "--json")) as FollowView[];
    const followers = async (instance: TestInstance, username: string, pending = false): Promise<FollowView[]> =>
      JSON.parse(await run(instance, "followers", username, ...(pending ? ["--pending"] : []), "--json")) as FollowView[];
    const stateOf = (list: readonly FollowView[], handle: string) => list.find((f) => f.handle === `@${handle}`)?.state ?? null;
    const kinds = async (instance: TestInstance, username: string) =>
      (JSON.parse(await run(instance, "notifications", username, "--json")) as { kind: string; from: { handle: string } }[]).map((n) => `${n.kind} ${n.from.handle}`);
    const account = async (instance: TestInstance, username: string, options: { manuallyApprovesFollowers?: boolean } = {}) => {
      await run(instance, "account", "create", username);
      if (options.manuallyApprovesFollowers) {
        const found = await instance.ctx.repos.accounts.findByUsername(username);
        assert.ok(found);
        await instance.ctx.repos.accounts.updateProfile(found.id, { manuallyApprovesFollowers: true }, new Date().toISOString());
      }
      return `${username}@${instance.domain}`;
    };
    /** Whether an instance holds a copy of a post (by its id). */
    const has = async (instance: TestInstance, uri: string) => (await instance.ctx.repos.posts.findByUri(uri)) !== null;
    /**
     * Waits until no instance has deliveries or inbound activities left to process, so "must not have
     * received" is checked after everything that was sent has arrived (not after a guessed delay).
     */
    const quiet = async () => {
      await eventually(
        async () => {
          for (const instance of [a, b, c]) {
            const depth = await instance.ctx.queue.depth();
            for (const queue of ["deliver", "inbox"]) {
              const d = depth[queue];
              if (d !== undefined && d.ready + d.delayed + d.running > 0) return false;
            }
          }
          return true;
        },
        WAIT_MS,
        "all deliveries and inbound activities to be processed",
      );
    };

    before(async () => {
      [a, b, c] = (await startTestInstances([{ engine }, { engine }, { engine }])) as [TestInstance, TestInstance, TestInstance];
    });
    after(async () => {
      await Promise.all([a, b, c].map((instance) => instance?.close()));
    });

    test("follow is accepted; unfollow removes it on both sides", async () => {
      const alice = await account(a, "alice");
      const bob = await account(b, "bob");

      assert.equal(await run(a, "follow", "alice", `@${bob}`), `follow request sent to @${bob}; pending until it is accepted`);
      await eventually(async () => stateOf(await followers(b, "bob"), alice) === "accepted", WAIT_MS, "bob's server to store alice as follower");
      await eventually(async () => stateOf(await following(a, "alice"), bob) === "accepted", WAIT_MS, "alice's server to receive the Accept");
      assert.deepEqual(await kinds(b, "bob"), [`follow @${alice}`]);
      assert.deepEqual(await followers(b, "bob", true), [], "an open account has no pending requests");
      assert.deepEqual(await followers(a, "alice"), [], "the follow is one-way: bob does not follow alice");
      assert.deepEqual(await kinds(a, "alice"), [], "alice was not notified of anything");

      assert.equal(await run(a, "unfollow", "alice", `${bob}`), `alice no longer follows @${bob}`);
      assert.deepEqual(await following(a, "alice"), []);
      await eventually(async () => (await followers(b, "bob")).length === 0, WAIT_MS, "bob's server to process the Undo(Follow)");
    });

    test("a pending follow is approved; a followers-only post reaches the follower only after approval", async () => {
      const carol = await account(b, "carol", { manuallyApprovesFollowers: true });
      const dave = await account(a, "dave");

      await run(a, "follow", "dave", carol);
      await eventually(async () => stateOf(await followers(b, "carol", true), dave) === "pending", WAIT_MS, "carol's server to store the request");
      assert.deepEqual(await followers(b, "carol"), [], "a request is not a follower");
      assert.deepEqual(await kinds(b, "carol"), [`follow_request @${dave}`]);
      assert.equal(stateOf(await following(a, "dave"), carol), "pending");

      // Before approval a followers-only post must not reach dave's server.
      const early = (await run(b, "post", "carol", "for followers, before approval", "--visibility", "followers")).trim();
      const publicPost = (await run(b, "post", "carol", "public, before approval")).trim();
      await quiet();
      assert.equal(await has(a, early), false, "a pending follower must not receive followers-only posts");
      assert.equal(await has(a, publicPost), false, "nor any post: dave does not follow carol yet");

      assert.equal(await run(b, "followers", "approve", "carol", `@${dave}`), `@${dave} now follows carol`);
      await eventually(async () => stateOf(await following(a, "dave"), carol) === "accepted", WAIT_MS, "dave's server to receive the Accept");
      assert.equal(stateOf(await followers(b, "carol"), dave), "accepted");

      const late = (await run(b, "post", "carol", "for followers, after approval", "--visibility", "followers")).trim();
      await eventually(() => has(a, late), WAIT_MS, "the followers-only post to reach the accepted follower");
      await quiet();
      assert.equal(await has(a, early), false, "approval does not deliver what was posted before it");
      assert.equal(await has(c, late), false, "a server with no follower must not receive it");
    });

    test("a pending follow is rejected", async () => {
      const erin = await account(b, "erin", { manuallyApprovesFollowers: true });
      const fred = await account(a, "fred");
      await run(a, "follow", "fred", erin);
      await eventually(async () => stateOf(await followers(b, "erin", true), fred) === "pending", WAIT_MS, "erin's server to store the request");
      assert.equal(await run(b, "followers", "reject", "erin", fred), `follow request from @${fred} rejected`);
      assert.deepEqual(await followers(b, "erin", true), []);
      assert.deepEqual(await kinds(b, "erin"), [], "the request notification is gone with the request");
      await eventually(async () => (await following(a, "fred")).length === 0, WAIT_MS, "fred's server to drop the rejected request");
      assert.deepEqual(await followers(b, "erin"), [], "a rejected request never becomes a follower");
    });

    test("a block ends follows on both sides and the blocked side receives no more posts", async () => {
      const gina = await account(b, "gina");
      const hank = await account(a, "hank");
      const ivan = await account(c, "ivan");
      await run(a, "follow", "hank", gina);
      await run(b, "follow", "gina", hank);
      await run(c, "follow", "ivan", gina);
      await eventually(async () => stateOf(await following(a, "hank"), gina) === "accepted", WAIT_MS, "hank → gina accepted");
      await eventually(async () => stateOf(await following(b, "gina"), hank) === "accepted", WAIT_MS, "gina → hank accepted");
      await eventually(async () => stateOf(await following(c, "ivan"), gina) === "accepted", WAIT_MS, "ivan → gina accepted");

      assert.equal(await run(b, "block", "gina", hank), `gina now blocks @${hank}`);
      assert.deepEqual(await following(b, "gina"), []);
      assert.equal(stateOf(await followers(b, "gina"), hank), null);
      await eventually(async () => (await following(a, "hank")).length === 0 && (await followers(a, "hank")).length === 0, WAIT_MS, "hank's server to drop both follows");
      const hankActor = await a.ctx.repos.accounts.findByUsername("hank");
      const ginaActor = await a.ctx.repos.actors.findByHandle("gina", b.domain);
      assert.ok(hankActor && ginaActor);
      // The Undo(Follow) and Reject that end the follows are sent before the Block and may be processed first.
      await eventually(() => a.ctx.social.blocks.isBlocked(hankActor.actorId, ginaActor.id), WAIT_MS, "hank's server to record the block");

      // Hank cannot follow again; his server refuses before sending anything.
      const refollow = await a.cli("follow", "hank", gina);
      assert.equal(refollow.code, 1);
      assert.match(refollow.err, /blocks the other/);

      // Gina posts: her remaining follower gets it, the blocked account's server does not.
      const after = (await run(b, "post", "gina", "after the block")).trim();
      await eventually(() => has(c, after), WAIT_MS, "the post to reach ivan's server (control)");
      await quiet();
      assert.equal(await has(a, after), false, "the blocked side must not receive the blocker's posts");
      assert.equal(stateOf(await followers(b, "gina"), ivan), "accepted");
    });

    test("a like reaches the author's ledger and notifications; unlike is recorded as an undo", async () => {
      await account(b, "jill");
      const kate = await account(a, "kate");
      const post = (await run(b, "post", "jill", "please like this")).trim();
      await run(a, "like", "kate", post);

      const postRow = await b.ctx.repos.posts.findByUri(post);
      assert.ok(postRow);
      await eventually(async () => (await b.ctx.social.interactions.countsByPost(postRow.id)).like?.active === 1, WAIT_MS, "the like to reach jill's ledger");
      const notes = JSON.parse(await run(b, "notifications", "jill", "--json")) as { kind: string; from: { handle: string }; post: { uri: string } }[];
      assert.deepEqual(notes.map((n) => [n.kind, n.from.handle, n.post.uri]), [["like", `@${kate}`, post]]);
      await quiet();
      const elsewhere = await c.ctx.database.db.selectFrom("interactions").select("id").execute();
      assert.deepEqual(elsewhere, [], "a server not involved recorded no interaction");

      await run(a, "unlike", "kate", post);
      await eventually(async () => (await b.ctx.social.interactions.countsByPost(postRow.id)).like?.active === 0, WAIT_MS, "the undo to reach jill's ledger");
      assert.deepEqual(await b.ctx.social.interactions.countsByPost(postRow.id), { like: { total: 1, active: 0 } }, "the like is kept, marked undone");
    });
  });
}
