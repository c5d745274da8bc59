import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { describeEachEngine } from "../testing/databases.ts";
import { FollowRepository } from "./follow.repository.ts";
import { createSocialHarness, type SocialHarness } from "./testing/social-harness.ts";

describeEachEngine("blocks", (getDb) => {
  let h: SocialHarness;
  before(async () => {
    h = await createSocialHarness(getDb());
  });
  after(async () => {
    await h.close();
  });

  test("blocking ends follows both ways (Undo and Reject), then sends the Block; unblocking sends Undo(Block)", async () => {
    const alpha = await h.addAccount("alpha");
    const spam = await h.addRemote("spam", "remote.example");
    const followed = await h.social.follows.follow("alpha", spam.uri);
    assert.ok(followed.ok);
    await h.receive(spam, { type: "Accept", id: "https://remote.example/a/s", actor: spam.uri, object: followed.value.follow.uri });
    await h.receive(spam, { type: "Follow", id: "https://remote.example/follows/s", actor: spam.uri, object: alpha.uri });
    assert.equal(await h.social.followers.isAcceptedFollower(alpha.actorId, spam.id), true);
    const before = (await h.sent()).length;

    const blocked = await h.social.blocks.block("alpha", "@spam@remote.example");
    assert.ok(blocked.ok, !blocked.ok ? blocked.message : "");
    const sent = (await h.sent()).slice(before);
    assert.deepEqual(sent.map((s) => s.json.type), ["Undo", "Reject", "Block"]);
    assert.deepEqual(sent[0]?.json.object, { id: followed.value.follow.uri, type: "Follow", actor: alpha.uri, object: spam.uri });
    assert.deepEqual(sent[1]?.json.object, { id: "https://remote.example/follows/s", type: "Follow", actor: spam.uri, object: alpha.uri });
    assert.equal(sent[2]?.json.actor, alpha.uri);
    assert.equal(sent[2]?.json.object, spam.uri);
    for (const activity of sent) assert.deepEqual(activity.inboxes, ["https://remote.example/inbox"]);
    assert.equal(blocked.value.block.uri, sent[2]?.uri);

    assert.equal(await h.social.blocks.isBlocked(alpha.actorId, spam.id), true);
    assert.equal(await h.social.blocks.isBlocked(spam.id, alpha.actorId), true, "either direction");
    assert.equal(await h.social.followers.isAcceptedFollower(alpha.actorId, spam.id), false);
    const following = await h.social.follows.listFollowing("alpha");
    assert.ok(following.ok);
    assert.equal(following.value.items.length, 0);
    const history = await new FollowRepository(h.base.database.db).eventsOfFollowee(alpha.actorId);
    assert.deepEqual(history.at(-1) && [history.at(-1)!.kind, history.at(-1)!.reason, history.at(-1)!.wasAccepted], ["ended", "block", true]);

    // While blocked: no following, and the blocked actor's Follow is answered with Reject.
    const refollow = await h.social.follows.follow("alpha", spam.uri);
    assert.equal(!refollow.ok && refollow.error, "blocked");
    const theirFollow = await h.receive(spam, { type: "Follow", id: "https://remote.example/follows/s2", actor: spam.uri, object: alpha.uri });
    assert.equal(theirFollow.kind, "rejected");
    const reject = (await h.sent()).at(-1);
    assert.equal(reject?.json.type, "Reject");
    assert.equal(reject?.json.object.id, "https://remote.example/follows/s2");
    assert.equal(await h.social.followers.isAcceptedFollower(alpha.actorId, spam.id), false);
    const again = await h.social.blocks.block("alpha", spam.uri);
    assert.equal(!again.ok && again.error, "already-blocked");
    const list = await h.social.blocks.listBlocked("alpha");
    assert.ok(list.ok);
    assert.deepEqual(list.value.map((b) => b.actor.uri), [spam.uri]);

    const unblocked = await h.social.blocks.unblock("alpha", "spam@remote.example");
    assert.ok(unblocked.ok);
    const undo = (await h.sent()).at(-1);
    assert.equal(undo?.json.type, "Undo");
    assert.deepEqual(undo?.json.object, { id: blocked.value.block.uri, type: "Block", actor: alpha.uri, object: spam.uri, to: spam.uri });
    assert.equal(await h.social.blocks.isBlocked(alpha.actorId, spam.id), false);
    const twice = await h.social.blocks.unblock("alpha", spam.uri);
    assert.equal(!twice.ok && twice.error, "not-blocked");
  });

  test("block errors are typed and change nothing", async () => {
    await h.addAccount("bravo");
    const before = (await h.sent()).length;
    const cases = [
      [await h.social.blocks.block("nobody", "x@remote.example"), "unknown-account"],
      [await h.social.blocks.block("bravo", "bravo@herold.test"), "self"],
      [await h.social.blocks.block("bravo", "::"), "invalid-target"],
      [await h.social.blocks.block("bravo", "ghost@remote.example"), "unresolvable"],
      [await h.social.blocks.unblock("bravo", "ghost@remote.example"), "not-blocked"],
    ] as const;
    for (const [result, expected] of cases) assert.equal(!result.ok && result.error, expected);
    assert.equal((await h.sent()).length, before);
  });

  test("a remote Block removes follows both ways, is recorded, and Undo(Block) lifts it", async () => {
    const charlie = await h.addAccount("charlie");
    const grump = await h.addRemote("grump", "remote.example");
    const followed = await h.social.follows.follow("charlie", grump.uri);
    assert.ok(followed.ok);
    await h.receive(grump, { type: "Accept", id: "https://remote.example/a/g", actor: grump.uri, object: followed.value.follow.uri });
    await h.receive(grump, { type: "Follow", id: "https://remote.example/follows/g", actor: grump.uri, object: charlie.uri });
    const before = (await h.sent()).length;

    const block = { type: "Block", id: "https://remote.example/blocks/1", actor: grump.uri, object: charlie.uri };
    assert.deepEqual(await h.receive(grump, block), { kind: "processed" });
    assert.equal(await h.social.blocks.isBlocked(charlie.actorId, grump.id), true);
    assert.equal(await h.social.followers.isAcceptedFollower(charlie.actorId, grump.id), false);
    const following = await h.social.follows.listFollowing("charlie");
    assert.ok(following.ok);
    assert.equal(following.value.items.length, 0);
    const sent = (await h.sent()).slice(before);
    assert.deepEqual(sent.map((s) => [s.json.type, s.json.object?.type]), [["Undo", "Follow"]], "only our own follow is undone towards the blocker");

    assert.equal((await h.receive(grump, block)).kind, "processed", "a repeated Block is harmless");
    const mallory = await h.addRemote("mallory2", "remote.example");
    const forged = await h.receive(mallory, { type: "Undo", id: "https://remote.example/u/m", actor: mallory.uri, object: { type: "Block", id: block.id } });
    assert.equal(forged.kind, "rejected");
    assert.equal(await h.social.blocks.isBlocked(charlie.actorId, grump.id), true);
    assert.deepEqual(await h.receive(grump, { type: "Undo", id: "https://remote.example/u/g", actor: grump.uri, object: block }), { kind: "processed" });
    assert.equal(await h.social.blocks.isBlocked(charlie.actorId, grump.id), false);
  });

  test("Lemmy bans (Block with a target) and Blocks of non-local actors are ignored", async () => {
    const delta = await h.addAccount("delta");
    const mod = await h.addRemote("mod", "lemmy.example");
    const ban = await h.receive(mod, { type: "Block", id: "https://lemmy.example/activities/block/1", actor: mod.uri, object: delta.uri, target: "https://lemmy.example/c/main" });
    assert.equal(ban.kind, "ignored");
    const elsewhere = await h.receive(mod, { type: "Block", id: "https://lemmy.example/activities/block/2", actor: mod.uri, object: "https://other.example/users/x" });
    assert.equal(elsewhere.kind, "ignored");
    assert.equal(await h.social.blocks.isBlocked(delta.actorId, mod.id), false);
  });
});
