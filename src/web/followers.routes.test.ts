import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startTestInstance, type TestInstance } from "../testing/instance.ts";
import { setUpOwner, WebClient } from "./testing/web-client.ts";
import { insertFollow, remoteActorData } from "../pages/testing/seed-rows.ts";

/**
 * Follower approval and unfollowing map each expected failure to its own status (not one status
 * for all): a malformed target is the client's mistake (400), a request or follow that does not
 * exist conflicts with the current state (409). Nothing changes either way.
 */
describe("followers and following: failures by kind", { timeout: 120_000 }, () => {
  let a: TestInstance;
  let owner: WebClient;

  before(async () => {
    a = await startTestInstance();
    owner = await setUpOwner(a, { email: "owner@acme.example", password: "owner's long password", account_username: "acme", account_name: "ACME" });
    assert.ok((await a.ctx.services.accounts.create({ username: "brand", name: "Brand" })).ok);
    await owner.get("/app/followers");
  });

  after(async () => {
    await a?.close();
  });

  for (const path of ["/app/followers/approve", "/app/followers/reject"]) {
    test(`${path}: a malformed actor is 400, a known actor without a request is 409`, async () => {
      assert.equal((await owner.post(path, { actor: "not a handle at all" })).status, 400);
      await owner.get("/app/followers");
      const known = await owner.post(path, { actor: "@brand@" + a.domain });
      assert.equal(known.status, 409);
      assert.match(known.html, /brand/);
      const followers = await a.ctx.social.follows.listFollowers("acme", { limit: 10 });
      assert.ok(followers.ok && followers.value.items.length === 0);
    });
  }

  test("/app/unfollow: a malformed target is 400, an account not followed is 409", async () => {
    await owner.get("/app/following");
    assert.equal((await owner.post("/app/unfollow", { target: "not a handle at all" })).status, 400);
    await owner.get("/app/following");
    const notFollowed = await owner.post("/app/unfollow", { target: "@brand@" + a.domain });
    assert.equal(notFollowed.status, 409);
    assert.match(notFollowed.html, /does not follow/);
  });
  test("the followers page shows the count, the avatars through this server and links to each profile", async () => {
    const acme = (await a.ctx.services.accounts.get("acme"))!;
    for (const name of ["fan1", "fan2"]) {
      const fan = await a.ctx.repos.actors.upsertRemote(remoteActorData("fans.example", name), new Date().toISOString());
      await insertFollow(a.ctx.database.db, fan.id, acme.actorId, "accepted");
    }
    const page = await owner.get("/app/followers");
    assert.match(page.html, /<h2 id="accepted">Followers <span class="badge">2<\/span><\/h2>/);
    assert.ok(page.html.includes('<a href="https://fans.example/@fan1" rel="nofollow noopener noreferrer"><strong>'), "a link to the follower's profile");
    // Remote avatars only through the media proxy: nothing loads from the follower's server.
    assert.ok(!page.html.includes('src="https://fans.example/'));
    assert.match(page.html, /<img src="\/media\/proxy\/[^"]+" alt="" width="40" height="40">/);
  });
});
