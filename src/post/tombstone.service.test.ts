import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { OutboxRepository } from "../federation/outbound/outbox.repository.ts";
import { newId } from "../lib/id.ts";
import { FollowRepository } from "../social/follow.repository.ts";
import { FollowersRepository } from "../social/followers.repository.ts";
import { createSocialHarness, type SocialHarness } from "../social/testing/social-harness.ts";
import { describeEachEngine } from "../testing/databases.ts";
import { PostAccess } from "./post.access.ts";
import { TombstoneService } from "./tombstone.service.ts";

// Who may learn that a post existed follows the rules of reading it; an activity answers only under
// the account that sent it.
describeEachEngine("TombstoneService", (getDb) => {
  let h: SocialHarness;
  const unsigned = async () => null;
  const signedBy = (uri: string) => async () => uri;

  const service = (authorizedFetch: boolean) => {
    const { accounts, posts } = h.base.repos;
    const access = new PostAccess({ followers: new FollowersRepository(h.base.database.db), posts, authorizedFetch });
    return new TombstoneService({ accounts, posts, outbox: new OutboxRepository(h.base.database.db), access, urls: h.urls });
  };

  before(async () => {
    h = await createSocialHarness(getDb());
  });
  after(async () => {
    await h.close();
  });

  test("a deleted followers-only post: a Tombstone for accepted followers only; 401-worthy when unsigned under authorized fetch", async () => {
    const acme = await h.addAccount("acme");
    const fan = await h.addRemote("fan", "remote.example");
    const stranger = await h.addRemote("stranger", "remote.example");
    const follows = new FollowRepository(h.base.database.db);
    const now = h.clock.now().toISOString();
    const { follow } = await follows.create({ followerId: fan.id, followeeId: acme.actorId, state: "pending", uri: null }, now);
    await follows.accept(follow.id, now);
    const deleted = await h.addPost(acme, { visibility: "followers", state: "deleted" });
    const published = await h.addPost(acme, { visibility: "public" });
    const id = deleted.uri.split("/").at(-1)!;

    const forFan = await service(false).ofPost("acme", id, signedBy(fan.uri));
    assert.equal(forFan.ok && forFan.value.id?.href, deleted.uri);
    assert.deepEqual(await errorOf(service(false).ofPost("acme", id, signedBy(stranger.uri))), "not-found");
    assert.deepEqual(await errorOf(service(false).ofPost("acme", id, unsigned)), "not-found");
    assert.deepEqual(await errorOf(service(true).ofPost("acme", id, unsigned)), "signature-required");
    assert.deepEqual(await errorOf(service(false).ofPost("acme", published.uri.split("/").at(-1)!, signedBy(fan.uri))), "not-found");
    assert.deepEqual(await errorOf(service(false).ofPost("acme", "not-an-id", signedBy(fan.uri))), "not-found");
  });

  test("the Create of a deleted post answers only under the account that sent it", async () => {
    const news = await h.addAccount("news");
    await h.addAccount("other");
    const deleted = await h.addPost(news, { visibility: "public", state: "deleted" });
    const activityId = newId();
    const uri = h.urls.activity("news", activityId);
    await new OutboxRepository(h.base.database.db).insert({
      id: activityId, uri, actorId: news.actorId, type: "Create", objectUri: deleted.uri, visibility: "public", json: "{}", createdAt: h.clock.now().toISOString(),
    });

    const answer = await service(false).ofActivity("news", activityId, unsigned);
    assert.equal(answer.ok && answer.value.id?.href, uri);
    assert.deepEqual(await errorOf(service(false).ofActivity("other", activityId, unsigned)), "not-found");
    assert.deepEqual(await errorOf(service(true).ofActivity("news", activityId, unsigned)), "signature-required");
  });
});

async function errorOf(result: Promise<{ ok: true } | { ok: false; error: string }>): Promise<string | null> {
  const settled = await result;
  return settled.ok ? null : settled.error;
}
