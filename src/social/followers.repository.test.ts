import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { describeEachEngine } from "../testing/databases.ts";
import { FollowRepository } from "./follow.repository.ts";
import { repairFollowCounters } from "./follow.counters.ts";
import { endFollowsWhere } from "./follow-history.ts";
import { acceptedFolloweesOf, FollowersRepository } from "./followers.repository.ts";
import { AcceptedFollows } from "./accepted-follows.ts";
import { createSocialHarness, type SocialHarness } from "./testing/social-harness.ts";

// The ports other modules use instead of querying `follows`: only accepted follows count.
describeEachEngine("FollowersRepository (social's follower ports)", (getDb) => {
  let h: SocialHarness;
  let followers: FollowersRepository;
  let follows: FollowRepository;

  const follow = async (followerId: string, followeeId: string, state: "pending" | "accepted") => {
    const now = h.clock.now().toISOString();
    const { follow: created } = await follows.create({ followerId, followeeId, state: "pending", uri: null }, now);
    if (state === "accepted") await follows.accept(created.id, now);
  };

  before(async () => {
    h = await createSocialHarness(getDb());
    followers = new FollowersRepository(h.base.database.db);
    follows = new FollowRepository(h.base.database.db);
  });
  after(async () => {
    await h.close();
  });

  test("follower checks, local followers, counts and the followee subquery see accepted follows only", async () => {
    const acme = await h.addAccount("acme");
    const local = await h.addAccount("reader");
    const fan = await h.addRemote("fan", "remote.example");
    const asking = await h.addRemote("asking", "remote.example");
    await follow(fan.id, acme.actorId, "accepted");
    await follow(local.actorId, acme.actorId, "accepted");
    await follow(asking.id, acme.actorId, "pending");
    await follow(acme.actorId, fan.id, "accepted");

    assert.equal(await followers.isAcceptedFollower(acme.actorId, fan.id), true);
    assert.equal(await followers.isAcceptedFollower(acme.actorId, asking.id), false);
    assert.equal(await followers.isAcceptedFollower(fan.id, asking.id), false);
    assert.equal(await followers.isAcceptedFollowerUri(acme.actorId, fan.uri), true);
    assert.equal(await followers.isAcceptedFollowerUri(acme.actorId, asking.uri), false);
    assert.deepEqual(await followers.localFollowerIds(acme.actorId), [local.actorId]);
    assert.deepEqual(await followers.counts(acme.actorId), { followers: 2, following: 1 });
    const followees = await acceptedFolloweesOf(h.base.database.db, local.actorId).execute();
    assert.deepEqual(followees.map((r) => r.followee_id), [acme.actorId]);
    assert.deepEqual(await acceptedFolloweesOf(h.base.database.db, asking.id).execute(), []);
  });

  test("remote inboxes: accepted remote followers that are not gone, shared inbox preferred, each once", async () => {
    const news = await h.addAccount("news");
    const one = await h.addRemote("one", "shared.example");
    const two = await h.addRemote("two", "shared.example");
    const gone = await h.addRemote("gone", "gone.example");
    const pending = await h.addRemote("pending", "pending.example");
    const local = await h.addAccount("neighbour");
    for (const actor of [one, two, gone]) await follow(actor.id, news.actorId, "accepted");
    await follow(pending.id, news.actorId, "pending");
    await follow(local.actorId, news.actorId, "accepted");
    await h.base.database.db.updateTable("actors").set({ gone_at: h.clock.now().toISOString() }).where("id", "=", gone.id).execute();

    const expected = [...new Set([one, two].map((a) => a.sharedInboxUrl ?? a.inboxUrl))];
    assert.ok(expected.every((inbox) => inbox !== null));
    assert.deepEqual((await followers.remoteInboxes(news.actorId)).sort(), expected.sort());
  });

  // Issue #15: counts come from counters kept in each follow write's transaction.
  test("counters follow create, accept, end and bulk ends; repair recounts after plain SQL", async () => {
    const org = await h.addAccount("counted");
    const a = await h.addRemote("ca", "count.example");
    const b = await h.addRemote("cb", "count.example");
    const c = await h.addRemote("cc", "count.example");
    const now = h.clock.now().toISOString();
    const direct = await follows.create({ followerId: a.id, followeeId: org.actorId, state: "accepted", uri: null }, now);
    await follow(b.id, org.actorId, "accepted");
    await follow(c.id, org.actorId, "pending");
    await follow(org.actorId, a.id, "accepted");
    // Accepting twice or creating the pair again changes nothing.
    await follows.accept(direct.follow.id, now);
    await follows.create({ followerId: a.id, followeeId: org.actorId, state: "accepted", uri: null }, now);
    assert.deepEqual(await followers.counts(org.actorId), { followers: 2, following: 1 });
    assert.equal(await follows.countFollowers(org.actorId, "accepted"), 2);
    assert.equal(await follows.countFollowing(a.id, "accepted"), 1);
    assert.equal(await follows.countFollowers(org.actorId, "pending"), 1);

    assert.notEqual(await follows.end(direct.follow.id, "unfollow", now), null);
    assert.equal(await follows.end(direct.follow.id, "unfollow", now), null);
    assert.deepEqual(await followers.counts(org.actorId), { followers: 1, following: 1 });
    assert.deepEqual(await followers.counts(a.id), { followers: 1, following: 0 });
    // Bulk ends (an actor gone) count each accepted follow they end, in both directions.
    await h.base.database.db.transaction().execute((trx) => endFollowsWhere(trx, (eb) => eb.or([eb("follower_id", "=", b.id), eb("followee_id", "=", a.id)]), "gone", now, new AcceptedFollows()));
    assert.deepEqual(await followers.counts(org.actorId), { followers: 0, following: 0 });
    assert.deepEqual(await repairFollowCounters(h.base.database.db), []);

    // Plain SQL (a restore, manual fixes) bypasses the counters; repair sets them right and says so.
    await h.base.database.db.updateTable("follows").set({ state: "accepted" }).where("follower_id", "=", c.id).execute();
    const corrections = await repairFollowCounters(h.base.database.db);
    assert.deepEqual(
      [...corrections].sort((x, y) => (x.name < y.name ? -1 : 1)),
      [
        { scope: org.actorId, name: "social.followers", from: 0, to: 1 },
        { scope: c.id, name: "social.following", from: 0, to: 1 },
      ],
    );
    assert.deepEqual(await followers.counts(org.actorId), { followers: 1, following: 0 });
  });
});
