import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { describeEachEngine } from "../testing/databases.ts";
import { createSocialHarness, type SocialHarness } from "./testing/social-harness.ts";

describeEachEngine("moves", (getDb) => {
  let h: SocialHarness;
  before(async () => {
    h = await createSocialHarness(getDb());
  });
  after(async () => {
    await h.close();
  });

  test("a verified Move re-points local follows to the target and carries blocks over", async () => {
    await h.addAccount("news");
    const shy = await h.addAccount("shy");
    const old = await h.addRemote("brand", "old.example");
    // The target as the resolver would fetch it fresh: it lists the old account as an alias.
    const target = await h.addRemote("brand", "new.example", { alsoKnownAs: [old.uri] });
    const followed = await h.social.follows.follow("news", old.uri);
    assert.ok(followed.ok);
    await h.receive(old, { type: "Accept", id: "https://old.example/a/1", actor: old.uri, object: followed.value.follow.uri });
    assert.ok((await h.social.blocks.block("shy", old.uri)).ok);
    const before = (await h.sent()).length;

    const outcome = await h.receive(old, { type: "Move", id: "https://old.example/users/brand#moves/1", actor: old.uri, object: old.uri, target: target.uri });
    assert.deepEqual(outcome, { kind: "processed" });
    assert.deepEqual(h.resolver.refreshes.at(-1), target.uri, "the target is fetched fresh");

    const sent = (await h.sent()).slice(before);
    const summary = sent.map((s) => [s.json.type, typeof s.json.object === "string" ? s.json.object : s.json.object?.type, s.inboxes[0]]);
    assert.deepEqual(summary, [
      ["Undo", "Follow", "https://old.example/inbox"],
      ["Follow", target.uri, "https://new.example/inbox"],
      ["Block", target.uri, "https://new.example/inbox"],
    ]);
    const following = await h.social.follows.listFollowing("news");
    assert.ok(following.ok);
    assert.deepEqual(following.value.items.map((i) => [i.actor.uri, i.follow.state]), [[target.uri, "pending"]]);
    assert.equal((await h.base.repos.actors.findById(old.id))?.movedToUri, target.uri);
    assert.equal(await h.social.blocks.isBlocked(shy.actorId, target.id), true);
    const notes = await h.social.notifications.list("news");
    assert.ok(notes.ok);
    assert.deepEqual(notes.value.map((n) => [n.kind, n.from.uri]), [["move", old.uri]]);
  });

  test("a Move whose job dies before its commit leaves the old follow; the retry moves it", async () => {
    await h.addAccount("weekly");
    const old = await h.addRemote("mag", "old.example");
    const target = await h.addRemote("mag", "new.example", { alsoKnownAs: [old.uri] });
    const followed = await h.social.follows.follow("weekly", old.uri);
    assert.ok(followed.ok);
    await h.receive(old, { type: "Accept", id: "https://old.example/a/weekly", actor: old.uri, object: followed.value.follow.uri });
    const move = { type: "Move", id: "https://old.example/users/mag#moves/1", actor: old.uri, object: old.uri, target: target.uri };
    // The fault point of the outbox transaction that sends the new Follow: its work is done, the commit
    // has not happened (before, the old follow had already ended in a transaction of its own).
    h.bridge.setBeforeCommitHook((_trx, intents) => {
      if (intents.some((i) => i.event.type === "follow.requested")) throw new Error("process killed before the commit (test fault)");
    });
    try {
      await assert.rejects(h.receive(old, move), /test fault/);
    } finally {
      h.bridge.setBeforeCommitHook(undefined);
    }
    const stillFollowing = await h.social.follows.listFollowing("weekly");
    assert.ok(stillFollowing.ok);
    assert.deepEqual(stillFollowing.value.items.map((i) => [i.actor.uri, i.follow.state]), [[old.uri, "accepted"]], "the old follow is not ended without the new one");
    // The queue retries the job: the follow moves, once, and the account is told.
    assert.deepEqual(await h.receive(old, move), { kind: "processed" });
    const following = await h.social.follows.listFollowing("weekly");
    assert.ok(following.ok);
    assert.deepEqual(following.value.items.map((i) => [i.actor.uri, i.follow.state]), [[target.uri, "pending"]]);
    const notes = await h.social.notifications.list("weekly");
    assert.ok(notes.ok);
    assert.deepEqual(notes.value.map((n) => [n.kind, n.from.uri]), [["move", old.uri]]);
  });

  test("a Move is refused unless it comes from the moving actor and the target aliases back without having moved", async () => {
    const daily = await h.addAccount("daily");
    const old = await h.addRemote("paper", "old.example");
    const noAlias = await h.addRemote("paper2", "new.example");
    const movedOn = await h.addRemote("paper3", "new.example", { alsoKnownAs: [old.uri], movedToUri: "https://third.example/users/p" });
    const thief = await h.addRemote("thief", "evil.example", { alsoKnownAs: [old.uri] });
    const followed = await h.social.follows.follow("daily", old.uri);
    assert.ok(followed.ok);
    h.resolver.fail("https://unreachable.example/users/p", "unreachable");
    const before = (await h.sent()).length;

    const cases: [typeof old, Record<string, unknown>][] = [
      [thief, { type: "Move", id: "https://evil.example/m/1", actor: thief.uri, object: old.uri, target: thief.uri }],
      [old, { type: "Move", id: "https://old.example/m/2", actor: old.uri, object: old.uri, target: noAlias.uri }],
      [old, { type: "Move", id: "https://old.example/m/3", actor: old.uri, object: old.uri, target: movedOn.uri }],
      [old, { type: "Move", id: "https://old.example/m/4", actor: old.uri, object: old.uri, target: "https://unreachable.example/users/p" }],
      [old, { type: "Move", id: "https://old.example/m/5", actor: old.uri, object: old.uri }],
      [old, { type: "Move", id: "https://old.example/m/6", actor: old.uri, object: old.uri, target: old.uri }],
      [old, { type: "Move", id: "https://old.example/m/7", actor: old.uri, object: old.uri, target: "https://herold.test/users/nobody" }],
    ];
    for (const [actor, json] of cases) {
      const outcome = await h.receive(actor, json);
      assert.equal(outcome.kind, "rejected", String(json["id"]));
    }
    assert.equal((await h.sent()).length, before, "nothing was sent");
    const following = await h.social.follows.listFollowing("daily");
    assert.ok(following.ok);
    assert.deepEqual(following.value.items.map((i) => i.actor.uri), [old.uri]);
    assert.equal((await h.base.repos.actors.findById(old.id))?.movedToUri, null);
  });

  test("a Move to a local account that aliases the old one follows it locally", async () => {
    const home = await h.addAccount("home");
    const reader = await h.addAccount("reader");
    const old = await h.addRemote("home", "old.example");
    await h.base.repos.accounts.updateProfile(home.id, { alsoKnownAs: [old.uri] }, h.clock.now().toISOString());
    const followed = await h.social.follows.follow("reader", old.uri);
    assert.ok(followed.ok);
    assert.deepEqual(await h.receive(old, { type: "Move", id: "https://old.example/m/l", actor: old.uri, object: old.uri, target: home.uri }), { kind: "processed" });
    assert.equal(await h.social.followers.isAcceptedFollower(home.actorId, reader.actorId), true);
  });
});
