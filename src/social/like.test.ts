import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { describeEachEngine } from "../testing/databases.ts";
import { reactionOf } from "./like.inbox.ts";
import { createSocialHarness, type SocialHarness } from "./testing/social-harness.ts";

test("reactionOf accepts one emoji or a :shortcode: and nothing else", () => {
  assert.equal(reactionOf({ content: "👌" }), "👌");
  assert.equal(reactionOf({ content: " 👍🏽 " }), "👍🏽");
  assert.equal(reactionOf({ content: "🏳️‍🌈" }), "🏳️‍🌈");
  assert.equal(reactionOf({ _misskey_reaction: ":pudding:", content: "ignored" }), ":pudding:");
  assert.equal(reactionOf({ content: ":blobcat@misskey.example:" }), ":blobcat:");
  assert.equal(reactionOf({ content: "\u202e👍" }), "👍", "bidi overrides are stripped");
  for (const bad of ["", "like", "<script>alert(1)</script>", ":a:", ":bad name:", "👍👍👍", "a".repeat(1000), 5, null, ["👍"], { x: 1 }]) {
    assert.equal(reactionOf({ content: bad }), null, JSON.stringify(bad));
  }
  assert.equal(reactionOf({}), null);
});

describeEachEngine("likes and reactions", (getDb) => {
  let h: SocialHarness;
  before(async () => {
    h = await createSocialHarness(getDb());
  });
  after(async () => {
    await h.close();
  });

  test("a Like of a Herold post goes into the ledger once and notifies its author once", async () => {
    const acme = await h.addAccount("acme");
    const post = await h.addPost(acme);
    const fan = await h.addRemote("fan", "remote.example");
    const like = { type: "Like", id: "https://remote.example/likes/1", actor: fan.uri, object: post.uri };

    assert.deepEqual(await h.receive(fan, like), { kind: "processed" });
    assert.equal((await h.receive(fan, like)).kind, "ignored", "a repeated delivery is recorded once");
    // A second Like with a new id (some servers re-send after an undo race) is recorded but does not notify again.
    assert.deepEqual(await h.receive(fan, { ...like, id: "https://remote.example/likes/2" }), { kind: "processed" });

    assert.deepEqual(await h.social.interactions.countsByPost(post.id), { like: { total: 2, active: 2 } });
    const stored = await h.social.interactions.findByActivityUri(like.id);
    assert.equal(stored?.actorId, fan.id);
    assert.equal(stored?.kind, "like");
    const notes = await h.social.notifications.list("acme");
    assert.ok(notes.ok);
    assert.deepEqual(notes.value.map((n) => [n.kind, n.from.handle, n.post?.uri]), [["like", "fan@remote.example", post.uri]]);

    // Undo(Like) records the undo and keeps the entry.
    assert.deepEqual(await h.receive(fan, { type: "Undo", id: "https://remote.example/undo/1", actor: fan.uri, object: like }), { kind: "processed" });
    const undone = await h.social.interactions.findByActivityUri(like.id);
    assert.equal(undone?.undoneAt, h.clock.now().toISOString());
    assert.equal((await h.receive(fan, { type: "Undo", id: "https://remote.example/undo/2", actor: fan.uri, object: like })).kind, "ignored");
    assert.deepEqual(await h.social.interactions.countsByPost(post.id), { like: { total: 2, active: 1 } });

    // An Undo that names the Like only by its id: social's undone-type lookup keys it Undo/Like.
    assert.deepEqual(await h.receive(fan, { type: "Undo", id: "https://remote.example/undo/3", actor: fan.uri, object: "https://remote.example/likes/2" }), { kind: "processed" });
    assert.deepEqual(await h.social.interactions.countsByPost(post.id), { like: { total: 2, active: 0 } });
  });

  test("undoing someone else's Like is refused; an Undo without a known id undoes the actor's latest like of that post", async () => {
    const bolt = await h.addAccount("bolt");
    const post = await h.addPost(bolt);
    const ann = await h.addRemote("ann", "remote.example");
    const ben = await h.addRemote("ben", "remote.example");
    await h.receive(ann, { type: "Like", id: "https://remote.example/likes/a1", actor: ann.uri, object: post.uri });
    const forged = await h.receive(ben, { type: "Undo", id: "https://remote.example/undo/b", actor: ben.uri, object: { type: "Like", id: "https://remote.example/likes/a1" } });
    assert.equal(forged.kind, "rejected");
    const forgedActor = await h.receive(ben, { type: "Undo", id: "https://remote.example/undo/b2", actor: ben.uri, object: { type: "Like", id: "https://remote.example/likes/a1", actor: ann.uri } });
    assert.equal(forgedActor.kind, "rejected");
    assert.equal(await h.social.interactions.undo("https://remote.example/likes/a1", ben.id, h.clock.now().toISOString()), false);
    assert.equal((await h.social.interactions.findByActivityUri("https://remote.example/likes/a1"))?.undoneAt, null);

    const fallback = await h.receive(ann, { type: "Undo", id: "https://remote.example/undo/a", actor: ann.uri, object: { type: "Like", id: "https://remote.example/likes/never-seen", actor: ann.uri, object: post.uri } });
    assert.deepEqual(fallback, { kind: "processed" });
    assert.notEqual((await h.social.interactions.findByActivityUri("https://remote.example/likes/a1"))?.undoneAt, null);
  });

  test("likes of things that are not visible Herold posts are ignored with a reason and store nothing", async () => {
    const cove = await h.addAccount("cove");
    const deleted = await h.addPost(cove, { state: "deleted" });
    const followersOnly = await h.addPost(cove, { visibility: "followers" });
    const direct = await h.addPost(cove, { visibility: "direct", mentions: ["https://remote.example/users/dee"] });
    const dee = await h.addRemote("dee", "remote.example");
    const eli = await h.addRemote("eli", "remote.example");
    const cases = [
      "https://remote.example/notes/1",
      "https://herold.test/users/cove",
      h.urls.post("cove", "01cccccccccccccccccccccccc"),
      h.urls.post("someoneelse", followersOnly.id), // right id, wrong author in the URL
      deleted.uri,
      followersOnly.uri,
      direct.uri,
    ];
    let n = 0;
    for (const object of cases) {
      const outcome = await h.receive(eli, { type: "Like", id: `https://remote.example/likes/e${++n}`, actor: eli.uri, object });
      assert.equal(outcome.kind, "ignored", object);
      assert.ok(outcome.kind === "ignored" && outcome.reason.length > 0);
      assert.equal(await h.social.interactions.findByActivityUri(`https://remote.example/likes/e${n}`), null);
    }
    assert.equal((await h.receive(eli, { type: "Like", id: "https://remote.example/likes/e-none", actor: eli.uri })).kind, "ignored");

    // The mentioned actor may like the direct post; an accepted follower the followers-only one.
    assert.deepEqual(await h.receive(dee, { type: "Like", id: "https://remote.example/likes/d1", actor: dee.uri, object: direct.uri }), { kind: "processed" });
    await h.receive(eli, { type: "Follow", id: "https://remote.example/follows/e", actor: eli.uri, object: cove.uri });
    assert.deepEqual(await h.receive(eli, { type: "Like", id: "https://remote.example/likes/e-ok", actor: eli.uri, object: followersOnly.uri }), { kind: "processed" });
  });

  test("Misskey Like with _misskey_reaction and EmojiReact are reactions with their emoji", async () => {
    const dune = await h.addAccount("dune");
    const post = await h.addPost(dune);
    const mk = await h.addRemote("mk", "misskey.example");
    const pl = await h.addRemote("pl", "pleroma.example");
    assert.deepEqual(
      await h.receive(mk, { type: "Like", id: "https://misskey.example/likes/1", actor: mk.uri, object: post.uri, _misskey_reaction: ":pudding:", content: ":pudding:" }),
      { kind: "processed" },
    );
    assert.deepEqual(await h.receive(pl, { type: "EmojiReact", id: "https://pleroma.example/r/1", actor: pl.uri, object: post.uri, content: "👌" }), { kind: "processed" });
    const bad = await h.receive(pl, { type: "EmojiReact", id: "https://pleroma.example/r/2", actor: pl.uri, object: post.uri, content: "<b>not an emoji</b>" });
    assert.equal(bad.kind, "rejected");
    assert.equal(await h.social.interactions.findByActivityUri("https://pleroma.example/r/2"), null);

    assert.equal((await h.social.interactions.findByActivityUri("https://misskey.example/likes/1"))?.content, ":pudding:");
    assert.equal((await h.social.interactions.findByActivityUri("https://pleroma.example/r/1"))?.kind, "react");
    assert.deepEqual(await h.social.interactions.countsByPost(post.id), { react: { total: 2, active: 2 } });
    const notes = await h.social.notifications.list("dune");
    assert.ok(notes.ok);
    assert.deepEqual(notes.value.map((n) => [n.kind, n.content]).sort(), [["react", ":pudding:"], ["react", "👌"]]);

    assert.deepEqual(await h.receive(pl, { type: "Undo", id: "https://pleroma.example/u/1", actor: pl.uri, object: { type: "EmojiReact", id: "https://pleroma.example/r/1", actor: pl.uri, object: post.uri, content: "👌" } }), { kind: "processed" });
    assert.deepEqual(await h.social.interactions.countsByPost(post.id), { react: { total: 2, active: 1 } });
  });

  test("a Like from an actor the author blocks is not counted and does not notify", async () => {
    const echo = await h.addAccount("echo");
    const post = await h.addPost(echo);
    const troll = await h.addRemote("troll", "remote.example");
    const blocked = await h.social.blocks.block("echo", "troll@remote.example");
    assert.ok(blocked.ok);
    const outcome = await h.receive(troll, { type: "Like", id: "https://remote.example/likes/t1", actor: troll.uri, object: post.uri });
    assert.equal(outcome.kind, "ignored");
    assert.equal(await h.social.interactions.findByActivityUri("https://remote.example/likes/t1"), null);
    const notes = await h.social.notifications.list("echo");
    assert.ok(notes.ok);
    assert.equal(notes.value.length, 0);
  });

  test("the ledger service: idempotent record, undo only by the same actor, no notification for own, vote or mention entries", async () => {
    const fizz = await h.addAccount("fizz");
    const post = await h.addPost(fizz);
    const voter = await h.addRemote("voter", "remote.example");
    const at = h.clock.now().toISOString();
    const first = await h.social.interactions.record({ kind: "reply", postId: post.id, actorId: voter.id, activityUri: "https://remote.example/create/1", objectUri: "https://remote.example/notes/1", at });
    const again = await h.social.interactions.record({ kind: "reply", postId: post.id, actorId: voter.id, activityUri: "https://remote.example/create/1", objectUri: "https://remote.example/notes/1", at });
    assert.equal(first.created, true);
    assert.deepEqual(again, { interactionId: first.interactionId, created: false });
    await h.social.interactions.record({ kind: "vote", postId: post.id, actorId: voter.id, activityUri: "https://remote.example/create/2", objectUri: "https://remote.example/votes/2", at });
    await h.social.interactions.record({ kind: "like", postId: post.id, actorId: fizz.actorId, activityUri: "https://herold.test/users/fizz/activities/self", at });
    await h.social.interactions.record({ kind: "mention", postId: post.id, actorId: voter.id, activityUri: "https://remote.example/create/3#mention", at });
    const notes = await h.social.notifications.list("fizz");
    assert.ok(notes.ok);
    assert.deepEqual(notes.value.map((n) => [n.kind, n.objectUri]), [["reply", "https://remote.example/notes/1"]]);
    assert.equal(await h.social.interactions.undo("https://remote.example/create/1", fizz.actorId, at), false);
    assert.equal(await h.social.interactions.undo("https://remote.example/create/1", voter.id, at), true);
    assert.equal(await h.social.interactions.undo("https://remote.example/create/1", voter.id, at), false);
    await assert.rejects(h.social.interactions.record({ kind: "like", postId: "01dddddddddddddddddddddddd", actorId: voter.id, activityUri: "https://remote.example/x", at }), /unknown post/);
    // Kinds that notify nobody are not looked up first: the foreign keys refuse an unknown post or actor, and nothing is stored.
    await assert.rejects(h.social.interactions.record({ kind: "mention", postId: "01dddddddddddddddddddddddd", actorId: voter.id, activityUri: "https://remote.example/m1", at }));
    await assert.rejects(h.social.interactions.record({ kind: "vote", postId: post.id, actorId: "01eeeeeeeeeeeeeeeeeeeeeeee", activityUri: "https://remote.example/m2", at }));
    for (const uri of ["https://remote.example/m1", "https://remote.example/m2"]) assert.equal(await h.social.interactions.findByActivityUri(uri), null);
    await assert.rejects(h.social.interactions.record({ kind: "frown" as "like", postId: post.id, actorId: voter.id, activityUri: "https://remote.example/y", at }), /unknown interaction kind/);
  });
});
