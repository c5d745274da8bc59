import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { INBOX_QUEUE } from "../federation/inbox/inbox.receiver.ts";
import { ENGINES } from "../testing/databases.ts";
import { startHostileEnv, type HostileEnv } from "./harness.ts";

/**
 * Issue #10 item 10: peers that reuse activity ids. Hollo names its Accepts after the follower alone
 * (`…#accepts/<follower>`), so the Accept of a second Follow has the id of the first; it also sends
 * `#update-undefined` for more than one Update. A loopback peer does the same here. Herold drops
 * redeliveries of the same activity (same id, same content) and nothing else; an Accept of a Follow
 * that is still pending is never dropped as a repeat.
 */
const AS = "https://www.w3.org/ns/activitystreams";

for (const engine of ENGINES) {
  describe(`a peer that reuses activity ids [${engine}]`, () => {
    let env: HostileEnv;

    before(async () => {
      env = await startHostileEnv(engine);
      assert.ok((await env.herold.ctx.federationModule.actors.resolveUri(env.alice.id)).ok);
    });
    after(async () => {
      await env?.close();
    });

    const followOfAlice = async () => {
      const alice = await env.herold.ctx.repos.actors.findByUri(env.alice.id);
      return (
        (await env.herold.ctx.database.db.selectFrom("follows").select(["state", "uri"]).where("follower_id", "=", env.carol.actorId).where("followee_id", "=", alice!.id).executeTakeFirst()) ??
        null
      );
    };
    /** Alice's Accept of `followUri` the way Hollo builds it: the id names the follower, not the Follow. */
    const holloAccept = (followUri: string) => ({
      "@context": AS,
      id: `${env.alice.id}#accepts/${env.carol.uri}`,
      type: "Accept",
      actor: env.alice.id,
      object: { id: followUri, type: "Follow", actor: env.carol.uri, object: env.alice.id },
    });
    const follow = async (): Promise<string> => {
      assert.ok((await env.herold.ctx.social.follows.follow("carol", env.alice.id)).ok);
      const pending = await followOfAlice();
      assert.equal(pending?.state, "pending");
      return pending!.uri!;
    };

    test("unfollow, follow again: the second Accept, with the first one's id, accepts the new Follow", async () => {
      const first = await follow();
      assert.equal((await env.deliver(env.alice, holloAccept(first))).status, 202);
      await env.drain();
      assert.equal((await followOfAlice())?.state, "accepted");

      assert.ok((await env.herold.ctx.social.follows.unfollow("carol", env.alice.id)).ok);
      assert.equal(await followOfAlice(), null);
      const second = await follow();
      assert.notEqual(second, first);
      const accept = holloAccept(second);
      assert.equal(accept.id, holloAccept(first).id, "the peer reuses the id");
      assert.equal((await env.deliver(env.alice, accept)).status, 202);
      const outcomes = await env.drain();
      assert.deepEqual(outcomes.map((o) => [o.key, o.outcome.kind]), [["Accept", "processed"]]);
      assert.equal((await followOfAlice())?.state, "accepted");

      // The same Accept once more (a redelivery): a repeat, answered 202 and not queued again.
      const again = await env.deliver(env.alice, accept);
      assert.equal(again.status, 202);
      assert.deepEqual(await env.drain(), [], "a redelivery of the same activity is not processed twice");
    });

    test("an Accept whose first delivery was lost before processing is processed when the peer sends it again", async () => {
      assert.ok((await env.herold.ctx.social.follows.unfollow("carol", env.alice.id)).ok);
      const uri = await follow();
      const accept = holloAccept(uri);
      assert.equal((await env.deliver(env.alice, accept)).status, 202);
      // The job is gone (dead-lettered after its retries ran out), its id already marked as seen.
      const removed = await env.herold.ctx.database.db.deleteFrom("jobs").where("queue", "=", INBOX_QUEUE).executeTakeFirst();
      assert.equal(Number(removed.numDeletedRows), 1);
      assert.equal((await followOfAlice())?.state, "pending");
      // The identical redelivery answers a Follow that is still pending: never dropped as a repeat.
      assert.equal((await env.deliver(env.alice, accept)).status, 202);
      assert.deepEqual((await env.drain()).map((o) => [o.key, o.outcome.kind]), [["Accept", "processed"]]);
      assert.equal((await followOfAlice())?.state, "accepted");
    });

    test("two different Creates under one id are both processed; a redelivery of either is not", async () => {
      // One id for different activities, the way Hollo sends `#update-undefined` for every such Update.
      const id = `${env.alice.id}#create-undefined`;
      const first = env.create(env.alice, { content: "<p>first under a reused id</p>" }, { id });
      const second = env.create(env.alice, { content: "<p>second under the same id</p>" }, { id });
      for (const activity of [first, second]) assert.equal((await env.deliver(env.alice, activity)).status, 202);
      assert.deepEqual((await env.drain()).map((o) => [o.key, o.outcome.kind]), [["Create", "processed"], ["Create", "processed"]]);
      assert.ok(await env.herold.ctx.repos.posts.findByUri(first.object.id));
      assert.ok(await env.herold.ctx.repos.posts.findByUri(second.object.id));
      // Redelivered, also with the keys in another order and to another inbox: the same activity.
      const reordered = Object.fromEntries(Object.entries(first).reverse());
      for (const [activity, path] of [[first, undefined], [reordered, "/inbox"], [second, "/inbox"]] as const) {
        assert.equal((await env.deliver(env.alice, activity, path !== undefined ? { path } : {})).status, 202);
      }
      assert.deepEqual(await env.drain(), [], "redeliveries are not processed again");
    });
  });
}
