import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startHostileEnv, type HostileEnv } from "../hostile-inputs/harness.ts";
import { ENGINES } from "../testing/databases.ts";
import { POLL_UPDATE_QUEUE, pollUpdateHandler } from "./poll.job.ts";

/**
 * A poll published on a real Herold instance, voted on by actors of fake peers on
 * 127.0.0.1 through the signed HTTP inbox (verification, queue, dispatcher): Mastodon-shaped votes are
 * counted once, a repeat is not, and the Update with the counts goes out.
 */
for (const engine of ENGINES) {
  describe(`polls through the inbox [${engine}]`, () => {
    let env: HostileEnv;
    before(async () => {
      env = await startHostileEnv(engine);
    });
    after(() => env?.close());

    test("a poll, votes from two servers over HTTP, one Update(Question) with the counts", async () => {
      const { herold } = env;
      const published = await herold.ctx.posts.service.publish({ username: "carol", text: "Which colour for the new logo?", poll: { options: ["Teal", "Orange", "Plum"], multiple: true, durationSeconds: 86400 } });
      assert.ok(published.ok);
      const uri = published.value.uri;
      const post = await herold.ctx.repos.posts.findByUri(uri);
      assert.ok(post?.poll);
      assert.equal(post.poll.multiple, true);
      assert.equal(Date.parse(post.poll.endsAt!) - Date.parse(post.publishedAt!), 86_400_000);

      const vote = (who: typeof env.alice, name: string) => {
        const n = env.next();
        return {
          "@context": "https://www.w3.org/ns/activitystreams",
          id: `${who.id}#votes/${n}/activity`,
          type: "Create",
          actor: who.id,
          to: [env.carol.uri],
          object: { id: `${who.id}#votes/${n}`, type: "Note", name, attributedTo: who.id, inReplyTo: uri, to: env.carol.uri },
        };
      };
      for (const [who, name] of [[env.alice, "Teal"], [env.alice, "Plum"], [env.mallory, "Teal"], [env.alice, "Teal"]] as const) {
        const response = await env.deliver(who, vote(who, name));
        assert.equal(response.status, 202);
      }
      const outcomes = (await env.drain()).map((r) => r.outcome.kind);
      assert.deepEqual(outcomes, ["processed", "processed", "processed", "ignored"], "alice's second Teal is not counted");
      const counted = (await herold.ctx.repos.posts.findById(post.id))?.poll;
      assert.deepEqual(counted?.options, [{ name: "Teal", votes: 2 }, { name: "Orange", votes: 0 }, { name: "Plum", votes: 1 }]);
      assert.equal(counted?.voters, 2);

      // Due a minute after the first vote: run it as the worker would then, not by waiting.
      const queued = await herold.ctx.database.db.selectFrom("jobs").selectAll().where("queue", "=", POLL_UPDATE_QUEUE).where("dedupe_key", "=", `poll-update:${post.id}`).execute();
      assert.equal(queued.length, 1, "one debounced Update for three votes");
      const job = { id: queued[0]!.id, queue: POLL_UPDATE_QUEUE, payload: JSON.parse(queued[0]!.payload) as { postId: string }, attempts: 1, runAt: queued[0]!.run_at };
      assert.deepEqual(await pollUpdateHandler(herold.ctx.federationModule.bridge).handle(job, new AbortController().signal), { kind: "done" });
      const row = await herold.ctx.database.db.selectFrom("outbox_activities").select("json").where("type", "=", "Update").where("object_uri", "=", uri).executeTakeFirst();
      assert.ok(row, "the Update is stored");
      const object = JSON.parse(row.json).object;
      assert.equal(object.type, "Question");
      assert.deepEqual(object.anyOf.map((o: { name: string; replies: { totalItems: number } }) => [o.name, o.replies.totalItems]), [["Teal", 2], ["Orange", 0], ["Plum", 1]]);
      assert.equal(object.votersCount, 2);
    });
  });
}
