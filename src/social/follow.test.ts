import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { describeEachEngine } from "../testing/databases.ts";
import { FollowRepository } from "./follow.repository.ts";
import { createSocialHarness, type SocialHarness } from "./testing/social-harness.ts";

describeEachEngine("follows", (getDb) => {
  let h: SocialHarness;
  before(async () => {
    h = await createSocialHarness(getDb());
  });
  after(async () => {
    await h.close();
  });

  test("following a remote account sends a Follow and stays pending until the followee accepts", async () => {
    const alice = await h.addAccount("alice");
    const bob = await h.addRemote("bob", "remote.example");
    const accepted: { followerActorId: string; followeeActorId: string }[] = [];
    h.social.follows.onAccepted(async (event) => {
      accepted.push(event);
    });
    const before = (await h.sent()).length;

    const result = await h.social.follows.follow("alice", "@bob@remote.example");
    assert.ok(result.ok, !result.ok ? result.message : "");
    assert.equal(result.value.follow.state, "pending");
    const sent = (await h.sent()).slice(before);
    assert.equal(sent.length, 1);
    const follow = sent[0]!;
    assert.equal(follow.json.type, "Follow");
    assert.equal(follow.json.actor, alice.uri);
    assert.equal(follow.json.object, bob.uri);
    assert.deepEqual(follow.inboxes, ["https://remote.example/inbox"]);
    assert.equal(result.value.follow.uri, follow.uri, "the follow remembers the id of the Follow it sent");
    assert.equal(await h.social.followers.isAcceptedFollower(bob.id, alice.actorId), false);

    const again = await h.social.follows.follow("alice", bob.uri);
    assert.equal(!again.ok && again.error, "already-requested");

    // An Accept by someone other than the followee is refused and changes nothing.
    const mallory = await h.addRemote("mallory", "evil.example");
    const forged = await h.receive(mallory, { type: "Accept", id: "https://evil.example/a/1", actor: mallory.uri, object: follow.uri });
    assert.equal(forged.kind, "rejected");
    const stillPending = await h.social.follows.listFollowing("alice");
    assert.ok(stillPending.ok);
    assert.deepEqual(stillPending.value.items.map((i) => i.follow.state), ["pending"]);

    const outcome = await h.receive(bob, {
      type: "Accept",
      id: "https://remote.example/users/bob#accepts/follows/1",
      actor: bob.uri,
      object: { id: follow.uri, type: "Follow", actor: alice.uri, object: bob.uri },
    });
    assert.deepEqual(outcome, { kind: "processed" });
    const following = await h.social.follows.listFollowing("alice");
    assert.ok(following.ok);
    assert.deepEqual(following.value.items.map((i) => [i.actor.uri, i.follow.state]), [[bob.uri, "accepted"]]);
    assert.deepEqual(accepted, [{ followerActorId: alice.actorId, followeeActorId: bob.id }]);

    // A repeated Accept changes nothing and does not fire the listener again.
    const repeat = await h.receive(bob, { type: "Accept", id: "https://remote.example/users/bob#accepts/follows/2", actor: bob.uri, object: follow.uri });
    assert.equal(repeat.kind, "ignored");
    assert.equal(accepted.length, 1);
    const already = await h.social.follows.follow("alice", "bob@remote.example");
    assert.equal(!already.ok && already.error, "already-following");
  });

  test("an Accept that names only a Follow this server never sent is ignored", async () => {
    await h.addAccount("amber");
    const carl = await h.addRemote("carl", "remote.example");
    const outcome = await h.receive(carl, { type: "Accept", id: "https://remote.example/a/9", actor: carl.uri, object: "https://herold.test/users/amber/activities/01aaaaaaaaaaaaaaaaaaaaaaaa" });
    assert.equal(outcome.kind, "ignored");
    const accept = await h.receive(carl, { type: "Accept", id: "https://remote.example/a/10", actor: carl.uri, object: { type: "QuoteRequest", id: "https://x.example/q/1" } });
    assert.equal(accept.kind, "ignored");
  });

  test("an Accept that overtook the stored Follow id is matched by the embedded follower and followee", async () => {
    const anna = await h.addAccount("anna");
    const dora = await h.addRemote("dora", "remote.example");
    // The state between creating the follow and storing the sent Follow's id.
    await new FollowRepository(h.base.database.db).create(
      { followerId: anna.actorId, followeeId: dora.id, state: "pending", uri: null },
      h.clock.now().toISOString(),
    );
    const followId = h.urls.activity("anna", "01bbbbbbbbbbbbbbbbbbbbbbbb");
    const outcome = await h.receive(dora, { type: "Accept", id: "https://remote.example/a/11", actor: dora.uri, object: followId });
    assert.deepEqual(outcome, { kind: "processed" });
    assert.equal(await h.social.followers.isAcceptedFollower(dora.id, anna.actorId), true);
  });

  test("a Reject of our Follow ends it and is kept in the follow history", async () => {
    const ada = await h.addAccount("ada");
    const eve = await h.addRemote("eve", "remote.example");
    const result = await h.social.follows.follow("ada", eve.uri);
    assert.ok(result.ok);
    const outcome = await h.receive(eve, { type: "Reject", id: "https://remote.example/r/1", actor: eve.uri, object: { id: result.value.follow.uri, type: "Follow", actor: ada.uri, object: eve.uri } });
    assert.deepEqual(outcome, { kind: "processed" });
    const following = await h.social.follows.listFollowing("ada");
    assert.ok(following.ok);
    assert.equal(following.value.items.length, 0);
    const history = await new FollowRepository(h.base.database.db).eventsOfFollowee(eve.id);
    assert.deepEqual(history.map((e) => [e.kind, e.reason, e.wasAccepted]), [["requested", null, false], ["ended", "reject", false]]);
  });

  test("unfollow sends Undo(Follow) embedding the original Follow, and a second unfollow is refused", async () => {
    const abe = await h.addAccount("abe");
    const fay = await h.addRemote("fay", "other.example");
    const result = await h.social.follows.follow("abe", "fay@other.example");
    assert.ok(result.ok);
    await h.receive(fay, { type: "Accept", id: "https://other.example/a/1", actor: fay.uri, object: result.value.follow.uri });
    const before = (await h.sent()).length;

    const unfollowed = await h.social.follows.unfollow("abe", "@fay@other.example");
    assert.ok(unfollowed.ok);
    const [undo] = (await h.sent()).slice(before);
    assert.equal(undo?.json.type, "Undo");
    assert.equal(undo?.json.actor, abe.uri);
    assert.deepEqual(undo?.json.object, { id: result.value.follow.uri, type: "Follow", actor: abe.uri, object: fay.uri });
    assert.deepEqual(undo?.inboxes, ["https://other.example/inbox"]);

    const again = await h.social.follows.unfollow("abe", fay.uri);
    assert.equal(!again.ok && again.error, "not-following");
  });

  test("a handle typed in another case still finds the stored actor (through WebFinger)", async () => {
    await h.addAccount("case");
    const zed = await h.addRemote("Zed", "remote.example");
    assert.ok((await h.social.follows.follow("case", zed.uri)).ok);
    const unfollowed = await h.social.follows.unfollow("case", "@zed@REMOTE.example");
    assert.ok(unfollowed.ok, !unfollowed.ok ? unfollowed.message : "");
    assert.equal(unfollowed.value.target.id, zed.id);
  });

  test("bad input gets a typed error and changes nothing", async () => {
    await h.addAccount("bea");
    h.resolver.fail("gone@remote.example", "gone");
    const before = (await h.sent()).length;
    const cases = [
      [await h.social.follows.follow("nobody", "bob@remote.example"), "unknown-account"],
      [await h.social.follows.follow("bea", "not a handle"), "invalid-target"],
      [await h.social.follows.follow("bea", "ftp://remote.example/users/x"), "invalid-target"],
      [await h.social.follows.follow("bea", "a@b@c"), "invalid-target"],
      [await h.social.follows.follow("bea", "x@host.example/path"), "invalid-target"],
      [await h.social.follows.follow("bea", "ghost@remote.example"), "unresolvable"],
      [await h.social.follows.follow("bea", "gone@remote.example"), "unresolvable"],
      [await h.social.follows.follow("bea", "bea@herold.test"), "self"],
      [await h.social.follows.follow("bea", "nobody@herold.test"), "unresolvable"],
      [await h.social.follows.unfollow("bea", "ghost@remote.example"), "not-following"],
      [await h.social.follows.approve("bea", "ghost@remote.example"), "no-request"],
      [await h.social.follows.reject("bea", "ghost@remote.example"), "not-a-follower"],
    ] as const;
    for (const [result, expected] of cases) {
      assert.equal(result.ok, false);
      if (!result.ok) {
        assert.equal(result.error, expected, result.message);
        assert.ok(result.message.length > 0 && !result.message.includes("\n"));
      }
    }
    const following = await h.social.follows.listFollowing("bea");
    assert.ok(following.ok);
    assert.equal(following.value.items.length, 0);
    assert.equal((await h.sent()).length, before);
    const listed = await h.social.follows.listFollowers("nobody");
    assert.equal(!listed.ok && listed.error, "unknown-account");
  });

  test("an inbound Follow of an open account is accepted at once, answered with Accept, and idempotent", async () => {
    const cara = await h.addAccount("cara");
    const gus = await h.addRemote("gus", "remote.example");
    const before = (await h.sent()).length;
    const followJson = { type: "Follow", id: "https://remote.example/follows/1", actor: gus.uri, object: cara.uri };

    assert.deepEqual(await h.receive(gus, followJson, cara), { kind: "processed" });
    assert.equal(await h.social.followers.isAcceptedFollower(cara.actorId, gus.id), true);
    const [accept] = (await h.sent()).slice(before);
    assert.equal(accept?.json.type, "Accept");
    assert.equal(accept?.json.actor, cara.uri);
    assert.deepEqual(accept?.json.object, { id: followJson.id, type: "Follow", actor: gus.uri, object: cara.uri });
    assert.deepEqual(accept?.inboxes, ["https://remote.example/inbox"]);

    // The follower's server asks again (it lost our Accept): one follow, one notification, a new Accept for the new id.
    assert.deepEqual(await h.receive(gus, { ...followJson, id: "https://remote.example/follows/2" }), { kind: "processed" });
    const sent = (await h.sent()).slice(before);
    assert.equal(sent.length, 2);
    assert.equal(sent[1]?.json.object.id, "https://remote.example/follows/2");
    const followers = await h.social.follows.listFollowers("cara");
    assert.ok(followers.ok);
    assert.deepEqual(followers.value.items.map((i) => i.actor.uri), [gus.uri]);
    const notes = await h.social.notifications.list("cara");
    assert.ok(notes.ok);
    assert.deepEqual(notes.value.map((n) => [n.kind, n.from.handle]), [["follow", "gus@remote.example"]]);

    // Undo(Follow) of the newest Follow ends it; the history says a follower was lost.
    assert.deepEqual(await h.receive(gus, { type: "Undo", id: "https://remote.example/undo/1", actor: gus.uri, object: { ...followJson, id: "https://remote.example/follows/2" } }), { kind: "processed" });
    assert.equal(await h.social.followers.isAcceptedFollower(cara.actorId, gus.id), false);
    const history = await new FollowRepository(h.base.database.db).eventsOfFollowee(cara.actorId);
    assert.deepEqual(history.map((e) => [e.kind, e.reason, e.wasAccepted]), [["requested", null, false], ["accepted", null, false], ["ended", "unfollow", true]]);
  });

  test("a follow and its notification commit in one transaction (inbound open, inbound pending, local)", async (t) => {
    const open = await h.addAccount("opal");
    const manual = await h.addAccount("mona", { manuallyApprovesFollowers: true });
    const quinn = await h.addAccount("quinn");
    const remote = await h.addRemote("rex", "remote.example");
    // What the follow's transaction holds just before it commits: a crash after the commit must
    // not leave a follow whose notification was never written.
    const seen: string[][] = [];
    h.bridge.setBeforeCommitHook(async (trx) => {
      const rows = await trx.selectFrom("notifications").select(["kind", "actor_id"]).where("from_actor_id", "in", [remote.id, quinn.actorId]).orderBy("id").execute();
      seen.push(rows.map((r) => `${r.kind}:${r.actor_id}`));
    });
    t.after(() => h.bridge.setBeforeCommitHook(undefined));

    assert.deepEqual(await h.receive(remote, { type: "Follow", id: "https://remote.example/follows/o1", actor: remote.uri, object: open.uri }, open), { kind: "processed" });
    assert.deepEqual(seen.at(-1), [`follow:${open.actorId}`]);
    assert.deepEqual(await h.receive(remote, { type: "Follow", id: "https://remote.example/follows/m1", actor: remote.uri, object: manual.uri }, manual), { kind: "processed" });
    assert.deepEqual(seen.at(-1), [`follow:${open.actorId}`, `follow_request:${manual.actorId}`]);
    const local = await h.social.follows.follow("quinn", "opal@herold.test");
    assert.ok(local.ok, local.ok ? "" : local.message);
    assert.deepEqual(seen.at(-1)?.filter((n) => n.startsWith("follow:")).length, 2, "the local follow's notification is in its transaction");
    // A withdrawn request's notification goes in the transaction that ends the follow.
    assert.deepEqual(await h.receive(remote, { type: "Undo", id: "https://remote.example/undo/m1", actor: remote.uri, object: { type: "Follow", id: "https://remote.example/follows/m1", actor: remote.uri, object: manual.uri } }), { kind: "processed" });
    assert.equal(seen.at(-1)?.includes(`follow_request:${manual.actorId}`), false);
  });

  test("a Follow of an account that approves followers manually stays pending until approved", async () => {
    const dana = await h.addAccount("dana", { manuallyApprovesFollowers: true });
    const hal = await h.addRemote("hal", "remote.example");
    const before = (await h.sent()).length;
    assert.deepEqual(await h.receive(hal, { type: "Follow", id: "https://remote.example/follows/h1", actor: hal.uri, object: dana.uri }), { kind: "processed" });
    assert.equal((await h.sent()).length, before, "no Accept before the account approves");
    assert.equal(await h.social.followers.isAcceptedFollower(dana.actorId, hal.id), false);
    const accepted = await h.social.follows.listFollowers("dana");
    assert.ok(accepted.ok);
    assert.equal(accepted.value.items.length, 0, "a pending request is nobody's follower yet");
    const pending = await h.social.follows.listFollowers("dana", { pending: true });
    assert.ok(pending.ok);
    assert.deepEqual(pending.value.items.map((i) => i.actor.handle), ["hal@remote.example"]);
    const notes = await h.social.notifications.list("dana");
    assert.ok(notes.ok);
    assert.deepEqual(notes.value.map((n) => n.kind), ["follow_request"]);

    // A followers-only delivery (here: Update of the actor to followers) must not reach a pending follower.
    await h.bridge.publish({ type: "account.updated", accountId: dana.id });
    const update = (await h.sent()).at(-1);
    assert.equal(update?.json.type, "Update");
    assert.deepEqual(update?.inboxes, []);

    const approved = await h.social.follows.approve("dana", "@hal@remote.example");
    assert.ok(approved.ok, !approved.ok ? approved.message : "");
    assert.equal(await h.social.followers.isAcceptedFollower(dana.actorId, hal.id), true);
    const accept = (await h.sent()).at(-1);
    assert.equal(accept?.json.type, "Accept");
    assert.equal(accept?.json.object.id, "https://remote.example/follows/h1");
    const twice = await h.social.follows.approve("dana", hal.uri);
    assert.equal(!twice.ok && twice.error, "no-request");
  });

  test("rejecting a pending request sends Reject(Follow) and clears the request notification", async () => {
    const ella = await h.addAccount("ella", { manuallyApprovesFollowers: true });
    const ivy = await h.addRemote("ivy", "remote.example");
    await h.receive(ivy, { type: "Follow", id: "https://remote.example/follows/i1", actor: ivy.uri, object: ella.uri });
    const rejected = await h.social.follows.reject("ella", "ivy@remote.example");
    assert.ok(rejected.ok);
    assert.equal(rejected.value.wasAccepted, false);
    const reject = (await h.sent()).at(-1);
    assert.equal(reject?.json.type, "Reject");
    assert.equal(reject?.json.actor, ella.uri);
    assert.deepEqual(reject?.json.object, { id: "https://remote.example/follows/i1", type: "Follow", actor: ivy.uri, object: ella.uri });
    const pending = await h.social.follows.listFollowers("ella", { pending: true });
    assert.ok(pending.ok);
    assert.equal(pending.value.items.length, 0);
    const notes = await h.social.notifications.list("ella");
    assert.ok(notes.ok);
    assert.equal(notes.value.length, 0);
  });

  test("Undo(Follow) must come from the follower; an unknown id falls back to the embedded pair", async () => {
    const fern = await h.addAccount("fern");
    const jon = await h.addRemote("jon", "remote.example");
    const kim = await h.addRemote("kim", "remote.example");
    await h.receive(jon, { type: "Follow", id: "https://remote.example/follows/j1", actor: jon.uri, object: fern.uri });
    const forged = await h.receive(kim, { type: "Undo", id: "https://remote.example/u/k", actor: kim.uri, object: { id: "https://remote.example/follows/j1", type: "Follow", actor: jon.uri, object: fern.uri } });
    assert.equal(forged.kind, "rejected");
    const forgedById = await h.receive(kim, { type: "Undo", id: "https://remote.example/u/k2", actor: kim.uri, object: { id: "https://remote.example/follows/j1", type: "Follow" } });
    assert.equal(forgedById.kind, "rejected");
    assert.equal(await h.social.followers.isAcceptedFollower(fern.actorId, jon.id), true);
    const undo = await h.receive(jon, { type: "Undo", id: "https://remote.example/u/j", actor: jon.uri, object: { id: "https://remote.example/follows/other", type: "Follow", actor: jon.uri, object: fern.uri } });
    assert.deepEqual(undo, { kind: "processed" });
    assert.equal(await h.social.followers.isAcceptedFollower(fern.actorId, jon.id), false);
  });

  test("Follows of actors that are not local accounts are ignored", async () => {
    const lou = await h.addRemote("lou", "remote.example");
    const outcome = await h.receive(lou, { type: "Follow", id: "https://remote.example/follows/l1", actor: lou.uri, object: "https://elsewhere.example/users/x" });
    assert.equal(outcome.kind, "ignored");
    const missing = await h.receive(lou, { type: "Follow", id: "https://remote.example/follows/l2", actor: lou.uri, object: "https://herold.test/users/nobody" });
    assert.equal(missing.kind, "ignored");
    const noObject = await h.receive(lou, { type: "Follow", id: "https://remote.example/follows/l3", actor: lou.uri, object: 5 });
    assert.equal(noObject.kind, "rejected");
  });

  test("local accounts follow each other without federation", async () => {
    const gina = await h.addAccount("gina");
    await h.addAccount("hugo");
    await h.addAccount("iris", { manuallyApprovesFollowers: true });
    const before = (await h.sent()).length;
    const open = await h.social.follows.follow("gina", "hugo@herold.test");
    assert.ok(open.ok);
    assert.equal(open.value.follow.state, "accepted");
    const closed = await h.social.follows.follow("gina", "https://herold.test/users/iris");
    assert.ok(closed.ok);
    assert.equal(closed.value.follow.state, "pending");
    const approved = await h.social.follows.approve("iris", "@gina@herold.test");
    assert.ok(approved.ok);
    assert.equal(await h.social.followers.isAcceptedFollower(approved.value.follow.followeeId, gina.actorId), true);
    assert.equal((await h.sent()).length, before, "nothing leaves the server for local follows");
    const notes = await h.social.notifications.list("hugo");
    assert.ok(notes.ok);
    assert.deepEqual(notes.value.map((n) => [n.kind, n.from.handle]), [["follow", "gina@herold.test"]]);
  });
});
