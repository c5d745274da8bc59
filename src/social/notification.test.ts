import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { describeEachEngine } from "../testing/databases.ts";
import { createSocialHarness, type SocialHarness } from "./testing/social-harness.ts";

describeEachEngine("notifications", (getDb) => {
  let h: SocialHarness;
  before(async () => {
    h = await createSocialHarness(getDb());
  });
  after(async () => {
    await h.close();
  });

  test("notify stores only what a local account should hear about; list pages newest first with who and which post", async () => {
    const org = await h.addAccount("org");
    const post = await h.addPost(org);
    const a = await h.addRemote("nfa", "remote.example");
    const b = await h.addRemote("nfb", "remote.example");
    const blocked = await h.addRemote("nfc", "remote.example");
    assert.ok((await h.social.blocks.block("org", blocked.uri)).ok);

    assert.equal(await h.social.notifications.notify({ recipientActorId: a.id, kind: "follow", fromActorId: b.id }), null, "remote recipients get nothing");
    assert.equal(await h.social.notifications.notify({ recipientActorId: org.actorId, kind: "like", fromActorId: org.actorId, postId: post.id }), null, "nor does oneself");
    assert.equal(await h.social.notifications.notify({ recipientActorId: org.actorId, kind: "mention", fromActorId: blocked.id, postId: post.id }), null, "nor a blocked actor");

    const ids: string[] = [];
    for (const [kind, from] of [["follow", a], ["boost", b], ["quote", a]] as const) {
      h.clock.advance(1000);
      const stored = await h.social.notifications.notify({ recipientActorId: org.actorId, kind, fromActorId: from.id, ...(kind === "follow" ? {} : { postId: post.id }) });
      assert.ok(stored !== null);
      ids.push(stored.id);
    }
    const all = await h.social.notifications.list("org");
    assert.ok(all.ok);
    assert.deepEqual(all.value.map((n) => [n.kind, n.from.handle, n.post?.uri ?? null]), [
      ["quote", "nfa@remote.example", post.uri],
      ["boost", "nfb@remote.example", post.uri],
      ["follow", "nfa@remote.example", null],
    ]);
    const firstPage = await h.social.notifications.list("org", { limit: 2 });
    assert.ok(firstPage.ok);
    assert.equal(firstPage.value.length, 2);
    const next = await h.social.notifications.list("org", { limit: 2, before: firstPage.value.at(-1)!.id });
    assert.ok(next.ok);
    assert.deepEqual(next.value.map((n) => n.id), [ids[0]]);
    const clamped = await h.social.notifications.list("org", { limit: 0 });
    assert.ok(clamped.ok);
    assert.equal(clamped.value.length, 1);
    const unknown = await h.social.notifications.list("nobody");
    assert.equal(!unknown.ok && unknown.error, "unknown-account");
  });
});
