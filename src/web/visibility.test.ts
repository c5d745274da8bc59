import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Account } from "../account/account.entity.ts";
import type { Post } from "../post/post.entity.ts";
import { startTestInstance, type TestInstance } from "../testing/instance.ts";
import { signIn, WebClient } from "./testing/web-client.ts";

/**
 * Issue #10, item 3: members of one account must not read another account's private posts through
 * anything the app shows or derives from posts: the composer's reply and quote context, hashtag
 * suggestions, notifications. Each place applies PostRepository.canSee for the account acted for.
 */
describe("one visibility rule everywhere in the app", { timeout: 120_000 }, () => {
  let a: TestInstance;
  let acme: Account;
  let brand: Account;
  let owner: WebClient; // acts for @acme only
  const posts: Record<string, Post> = {};

  const publish = async (key: string, input: { username: string; text: string; visibility: string; mentions?: string[] }) => {
    const result = await a.ctx.posts.service.publish(input);
    assert.ok(result.ok, result.ok ? "" : result.message);
    posts[key] = result.value;
  };

  before(async () => {
    a = await startTestInstance({ worker: false });
    for (const username of ["acme", "brand", "cara"]) assert.ok((await a.ctx.services.accounts.create({ username, name: username })).ok);
    acme = (await a.ctx.services.accounts.get("acme"))!;
    brand = (await a.ctx.services.accounts.get("brand"))!;
    const cara = (await a.ctx.services.accounts.get("cara"))!;
    assert.ok((await a.ctx.web.users.create({ email: "owner@acme.example", password: "owner's long password", accountUsername: "acme", role: "owner" })).ok);
    owner = await signIn(a, "owner@acme.example", "owner's long password");

    await publish("public", { username: "brand", text: "Brand public news #opennews", visibility: "public" });
    await publish("followers", { username: "brand", text: "Brand followers secret #closedtopic", visibility: "followers" });
    await publish("dmToCara", { username: "brand", text: "Brand whispers to cara #whispertopic", visibility: "direct", mentions: [cara.uri] });
    await publish("dmToAcme", { username: "brand", text: "Brand whispers to acme #acmetopic", visibility: "direct", mentions: [acme.uri] });
    await publish("acmeOwn", { username: "acme", text: "ACME news", visibility: "public" });
  });

  after(async () => {
    await a?.close();
  });

  test("compose ?reply_to= shows the text of visible posts only", async () => {
    for (const key of ["followers", "dmToCara"]) {
      const page = await owner.get(`/app/compose?reply_to=${encodeURIComponent(posts[key]!.uri)}`);
      assert.equal(page.status, 200);
      assert.doesNotMatch(page.html, /Brand (followers secret|whispers to cara)/, key);
      assert.match(page.html, /Replying to a post at /, key);
    }
    // By its web address too (the lookup by url).
    const byUrl = await owner.get(`/app/compose?reply_to=${encodeURIComponent(posts.followers!.url ?? posts.followers!.uri)}`);
    assert.doesNotMatch(byUrl.html, /followers secret/);
    // What acme may see still shows.
    assert.match((await owner.get(`/app/compose?reply_to=${encodeURIComponent(posts.dmToAcme!.uri)}`)).html, /Replying to @brand@[^:]+:\d+: “@acme Brand whispers to acme/);
    assert.match((await owner.get(`/app/compose?reply_to=${encodeURIComponent(posts.public!.uri)}`)).html, /Brand public news/);
  });

  test("compose ?quote= shows the text of visible posts only, also in a saved draft's preview", async () => {
    for (const key of ["followers", "dmToCara"]) {
      const page = await owner.get(`/app/compose?quote=${encodeURIComponent(posts[key]!.uri)}`);
      assert.doesNotMatch(page.html, /Brand (followers secret|whispers to cara)/, key);
      assert.match(page.html, /Quoting a post at /, key);
    }
    const preview = await owner.post("/app/compose", { text: "A look", quote: posts.dmToCara!.uri, reply_to: posts.followers!.uri, action: "preview" }, { files: {} });
    assert.equal(preview.status, 200);
    assert.doesNotMatch(preview.html, /Brand (followers secret|whispers to cara)/);
    assert.match((await owner.get(`/app/compose?quote=${encodeURIComponent(posts.public!.uri)}`)).html, /Quoting @brand@[^:]+:\d+: “Brand public news/);
  });

  test("hashtag suggestions count only posts the account acted for may see", async () => {
    const tags = async (q: string) => ((await (await owner.request(`/app/api/suggest?q=${encodeURIComponent(q)}`)).json()) as { items: { insert: string }[] }).items.map((i) => i.insert);
    assert.deepEqual(await tags("#closed"), []);
    assert.deepEqual(await tags("#whisper"), []);
    assert.deepEqual(await tags("#opennews"), ["#opennews"]);
    assert.deepEqual(await tags("#acmet"), ["#acmetopic"]); // a direct message to acme
    // Once acme follows brand, brand's followers-only tags are acme's to see.
    const now = new Date().toISOString();
    await a.ctx.database.db.insertInto("follows").values({ id: "01jzzzzzzzzzzzzzzzzzzzzzzz", follower_id: acme.actorId, followee_id: brand.actorId, state: "accepted", created_at: now, updated_at: now }).execute();
    try {
      assert.deepEqual(await tags("#closed"), ["#closedtopic"]);
    } finally {
      await a.ctx.database.db.deleteFrom("follows").where("id", "=", "01jzzzzzzzzzzzzzzzzzzzzzzz").execute();
    }
  });

  test("notifications show the reply only when the account may see it", async () => {
    // A followers-only reply that reached this server through another account's follow, without
    // mentioning acme: acme hears about it, but its text is not acme's to read.
    await a.ctx.social.interactions.record({ kind: "reply", postId: posts.acmeOwn!.id, actorId: brand.actorId, activityUri: posts.followers!.uri, objectUri: posts.followers!.uri, at: new Date().toISOString() });
    await a.ctx.social.interactions.record({ kind: "quote", postId: posts.acmeOwn!.id, actorId: brand.actorId, activityUri: `${posts.dmToAcme!.uri}#quote`, objectUri: posts.dmToAcme!.uri, at: new Date().toISOString() });
    for (const path of ["/app/notifications", "/app/mentions"]) {
      const page = await owner.get(path);
      assert.equal(page.status, 200);
      assert.match(page.html, /replied to your post/, path);
      assert.doesNotMatch(page.html, /followers secret/, path);
      assert.match(page.html, /Brand whispers to acme/, path);
    }
  });

  test("a page of notifications loads its posts in one query, not one or two per notification", async () => {
    // Counts calls on the repository the app was wired with (the previous test recorded two
    // notifications with posts); a lookup per row would show as findByUri/findById/canSee calls.
    const repo = a.ctx.repos.posts as unknown as Record<string, (...args: unknown[]) => unknown>;
    const calls: Record<string, number> = {};
    const originals = new Map<string, (...args: unknown[]) => unknown>();
    for (const name of ["findVisible", "findByUri", "findById", "findByUriOrUrl", "canSee"]) {
      const original = repo[name];
      if (typeof original !== "function") continue;
      originals.set(name, original);
      calls[name] = 0;
      repo[name] = function (this: unknown, ...args: unknown[]) {
        calls[name]!++;
        return original.apply(this, args);
      };
    }
    try {
      const page = await owner.get("/app/notifications");
      assert.equal(page.status, 200);
      assert.match(page.html, /Brand whispers to acme/);
      assert.deepEqual(calls, { findVisible: 1, findByUri: 0, findById: 0, findByUriOrUrl: 0, canSee: 0 });
    } finally {
      for (const [name, original] of originals) repo[name] = original;
    }
  });
});
