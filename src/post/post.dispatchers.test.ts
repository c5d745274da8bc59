import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Hono } from "hono";
import { httpAppOf } from "../app/routes.ts";
import { createTestDatabase, describeEachEngine, type TestDatabase } from "../testing/databases.ts";
import type { Post } from "./post.entity.ts";
import { createPostHarness, type PostHarness } from "./testing/post-harness.ts";

const AP = { accept: "application/activity+json" };
const list = (value: unknown): unknown[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/**
 * The pull side through the whole HTTP stack (Fedify first, then the module routes, then the pages):
 * what an unsigned fetcher gets. Signed fetches by followers and mentioned actors are exercised
 * between two real instances in post.scenario.test.ts.
 */
describeEachEngine("posts: objects and collections over HTTP", (getDb) => {
  let h: PostHarness;
  let app: Hono;
  const posts: Record<string, Post> = {};

  before(async () => {
    h = await createPostHarness(getDb());
    app = httpAppOf(h.ctx);
    await h.addAccount("alice");
    await h.addRemote("bob", "remote.example");
    for (const visibility of ["public", "unlisted", "followers", "direct"] as const) {
      h.clock.advance(1000);
      const result = await h.posts.service.publish({ username: "alice", text: `A ${visibility} post for @bob@remote.example`, visibility });
      assert.ok(result.ok);
      posts[visibility] = result.value;
    }
  });
  after(() => h.close());

  const get = (url: string, headers: Record<string, string> = AP) => app.request(new URL(url).pathname + new URL(url).search, { headers });

  test("a public post's id answers the Note as ActivityPub JSON", async () => {
    const response = await get(posts["public"]!.uri);
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /^application\/activity\+json/);
    const note = (await response.json()) as Record<string, any>;
    assert.deepEqual([note["id"], note["type"], note["attributedTo"]], [posts["public"]!.uri, "Note", h.ctx.urls.actor("alice")]);
    assert.equal((await get(posts["unlisted"]!.uri)).status, 200);
  });

  test("followers-only and direct posts are not served to an unsigned request, indistinguishable from missing ones", async () => {
    for (const visibility of ["followers", "direct"]) {
      const response = await get(posts[visibility]!.uri);
      assert.equal(response.status, 404, visibility);
      const body = await response.text();
      assert.ok(!body.includes("post for"), `${visibility}: no content leaks`);
    }
    assert.equal((await get(h.ctx.urls.post("alice", "01jzzzzzzzzzzzzzzzzzzzzzzz"))).status, 404);
    assert.equal((await get(h.ctx.urls.post("nobody", posts["public"]!.id))).status, 404, "another account's path");
  });

  test("the outbox: a paged OrderedCollection of public and unlisted Creates and Announces, newest first", async () => {
    const collection = (await (await get(h.ctx.urls.outbox("alice"))).json()) as Record<string, any>;
    assert.equal(collection["type"], "OrderedCollection");
    assert.equal(collection["totalItems"], 2);
    const page = (await (await get(collection["first"])).json()) as Record<string, any>;
    assert.equal(page["type"], "OrderedCollectionPage");
    const items = list(page["orderedItems"]) as Record<string, any>[];
    assert.deepEqual(items.map((i) => [i["type"], i["object"]["id"]]), [["Create", posts["unlisted"]!.uri], ["Create", posts["public"]!.uri]]);
  });

  test("the outbox pages through many posts and leaves deleted posts and undone boosts out", async () => {
    const extra: string[] = [];
    for (let i = 0; i < 23; i++) {
      h.clock.advance(1000);
      const result = await h.posts.service.publish({ username: "alice", text: `Post number ${i}` });
      assert.ok(result.ok);
      extra.push(result.value.uri);
    }
    const deleted = await h.posts.service.delete("alice", extra[22]!);
    assert.ok(deleted.ok);
    const boosted = await h.posts.interactions.boost("alice", posts["public"]!.uri);
    assert.ok(boosted.ok);
    const boostedAgain = await h.posts.service.publish({ username: "alice", text: "to boost and unboost" });
    assert.ok(boostedAgain.ok);
    assert.ok((await h.posts.interactions.boost("alice", boostedAgain.value.uri)).ok);
    assert.ok((await h.posts.interactions.unboost("alice", boostedAgain.value.uri)).ok);

    const collection = (await (await get(h.ctx.urls.outbox("alice"))).json()) as Record<string, any>;
    // 2 + 23 - 1 deleted + 1 boost (the undone one is left out) + the post boosted and unboosted.
    assert.equal(collection["totalItems"], 26);
    const seen: Record<string, any>[] = [];
    let next: string | undefined = collection["first"];
    while (next !== undefined) {
      const page = (await (await get(next)).json()) as Record<string, any>;
      seen.push(...(list(page["orderedItems"]) as Record<string, any>[]));
      next = page["next"];
    }
    assert.equal(seen.length, 26);
    assert.equal(seen[0]!["type"], "Create");
    assert.equal(seen[0]!["object"]["id"], boostedAgain.value.uri);
    assert.deepEqual([seen[1]!["type"], seen[1]!["object"]], ["Announce", posts["public"]!.uri]);
    assert.ok(!seen.some((i) => i["object"]?.["id"] === extra[22]), "the deleted post is gone");
    assert.equal(seen.filter((i) => i["type"] === "Announce").length, 1, "the undone boost is gone");
  });

  test("an outbox page serves a post as it is now: the stored Create while never edited, the edited Note after an edit", async () => {
    h.clock.advance(1000);
    const kept = await h.posts.service.publish({ username: "alice", text: "Never edited" });
    assert.ok(kept.ok);
    h.clock.advance(1000);
    const changed = await h.posts.service.publish({ username: "alice", text: "Before the edit" });
    assert.ok(changed.ok);
    h.clock.advance(1000);
    assert.ok((await h.posts.service.edit("alice", changed.value.uri, "After the edit")).ok);

    const collection = (await (await get(h.ctx.urls.outbox("alice"))).json()) as Record<string, any>;
    const page = (await (await get(collection["first"])).json()) as Record<string, any>;
    const items = list(page["orderedItems"]) as Record<string, any>[];
    const itemOf = (uri: string) => items.find((i) => i["type"] === "Create" && i["object"]["id"] === uri)!;
    const edited = itemOf(changed.value.uri);
    assert.match(String(edited["object"]["content"]), /After the edit/);
    assert.doesNotMatch(JSON.stringify(edited), /Before the edit/);
    assert.ok(typeof edited["object"]["updated"] === "string", "an edited Note carries `updated`");
    // The never-edited post's item is the document the bridge stored and sent, byte for byte.
    const sent = (await h.delivered()).find((a) => a.type === "Create" && a.objectUri === kept.value.uri)!;
    assert.deepEqual(itemOf(kept.value.uri), sent.json);
    assert.equal(itemOf(kept.value.uri)["id"], sent.uri);
  });

  test("a deleted post answers 410 with a Tombstone; browsers get the HTML page", async () => {
    const created = await h.posts.service.publish({ username: "alice", text: "Short-lived" });
    assert.ok(created.ok);
    assert.ok((await h.posts.service.delete("alice", created.value.uri)).ok);
    const response = await get(created.value.uri);
    assert.equal(response.status, 410);
    assert.match(response.headers.get("content-type") ?? "", /^application\/activity\+json/);
    const tombstone = (await response.json()) as Record<string, any>;
    assert.deepEqual([tombstone["type"], tombstone["id"]], ["Tombstone", created.value.uri]);
    assert.ok(typeof tombstone["deleted"] === "string");
    const html = await get(created.value.uri, { accept: "text/html" });
    assert.equal(html.status, 410);
    assert.match(html.headers.get("content-type") ?? "", /text\/html/);

    // A deleted followers-only post says nothing to strangers.
    const hidden = await h.posts.service.publish({ username: "alice", text: "secret", visibility: "followers" });
    assert.ok(hidden.ok);
    assert.ok((await h.posts.service.delete("alice", hidden.value.uri)).ok);
    assert.equal((await get(hidden.value.uri)).status, 404);
  });

  test("activities dereference by id, respecting the visibility of what they carry", async () => {
    const sent = await h.delivered();
    const createOfPublic = sent.find((a) => a.type === "Create" && a.objectUri === posts["public"]!.uri)!;
    const response = await get(createOfPublic.uri);
    assert.equal(response.status, 200);
    const activity = (await response.json()) as Record<string, any>;
    assert.deepEqual([activity["id"], activity["type"], activity["object"]["id"]], [createOfPublic.uri, "Create", posts["public"]!.uri]);

    const createOfDirect = sent.find((a) => a.type === "Create" && a.objectUri === posts["direct"]!.uri)!;
    assert.equal((await get(createOfDirect.uri)).status, 404);
    const announce = sent.find((a) => a.type === "Announce")!;
    assert.equal((await get(announce.uri)).status, 200);
    const createOfDeleted = sent.find((a) => a.type === "Create" && sent.some((d) => d.type === "Delete" && d.objectUri === a.objectUri && d.visibility === "public"))!;
    assert.equal((await get(createOfDeleted.uri)).status, 410);
  });

  test("liked lists the public posts the account likes; featured lists its pinned public posts", async () => {
    await h.ctx.repos.posts.addFeatured((await h.ctx.repos.accounts.findByUsername("alice"))!.actorId, posts["public"]!.uri, h.clock.now().toISOString());
    const liked = await h.posts.interactions.like("alice", posts["unlisted"]!.uri);
    assert.ok(liked.ok);
    const likedCollection = (await (await get(h.ctx.urls.liked("alice"))).json()) as Record<string, any>;
    assert.equal(likedCollection["totalItems"], 1);
    const likedPage = (await (await get(likedCollection["first"])).json()) as Record<string, any>;
    assert.deepEqual(list(likedPage["orderedItems"]), [posts["unlisted"]!.uri]);

    const featured = (await (await get(h.ctx.urls.featured("alice"))).json()) as Record<string, any>;
    assert.equal(featured["type"], "OrderedCollection");
    assert.deepEqual((list(featured["orderedItems"]) as Record<string, any>[]).map((n) => n["id"]), [posts["public"]!.uri]);
  });
});

describe("posts with authorized fetch on", () => {
  let db: TestDatabase;
  let h: PostHarness;
  let app: Hono;
  let post: Post;

  before(async () => {
    db = await createTestDatabase("sqlite");
    h = await createPostHarness(db, { HEROLD_AUTHORIZED_FETCH: "true" });
    app = httpAppOf(h.ctx);
    await h.addAccount("alice");
    const result = await h.posts.service.publish({ username: "alice", text: "Public, but only for signed fetches" });
    assert.ok(result.ok);
    post = result.value;
  });
  after(async () => {
    await h.close();
    await db.close();
  });

  test("unsigned requests for posts, activities and collections get 401", async () => {
    const create = (await h.delivered()).find((a) => a.type === "Create")!;
    for (const url of [post.uri, create.uri, h.ctx.urls.outbox("alice"), `${h.ctx.urls.outbox("alice")}?cursor=latest`, h.ctx.urls.liked("alice"), h.ctx.urls.featured("alice")]) {
      const response = await app.request(new URL(url).pathname + new URL(url).search, { headers: AP });
      assert.equal(response.status, 401, url);
      assert.ok(!(await response.text()).includes("only for signed"), url);
    }
    assert.ok((await h.posts.service.delete("alice", post.uri)).ok);
    assert.equal((await app.request(new URL(post.uri).pathname, { headers: AP })).status, 401, "tombstones too");
  });
});
