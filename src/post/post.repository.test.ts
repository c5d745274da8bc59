import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import type { Kysely } from "kysely";
import { ActorRepository } from "../actor/actor.repository.ts";
import type { DB } from "../db/schema.ts";
import { newId } from "../lib/id.ts";
import { describeEachEngine } from "../testing/databases.ts";
import type { PostState, Visibility } from "./post.entity.ts";
import { PostRepository, visibleTo } from "./post.repository.ts";

// Core repository behaviour the profile pages, NodeInfo and collections rely on. Kept in its own
// describe block: the posts module adds its own blocks for writes, edits and timelines.

interface Row {
  visibility?: Visibility;
  state?: PostState;
  inReplyToUri?: string | null;
  boostOfId?: string | null;
  isLocal?: boolean;
  actorId?: string;
  publishedAt?: string;
}

describeEachEngine("PostRepository (core: lookups, listing by actor, counts, media)", (get) => {
  let db: Kysely<DB>;
  let repo: PostRepository;
  let local: string;
  let remote: string;

  const insert = async (row: Row = {}): Promise<string> => {
    const id = newId();
    const now = new Date().toISOString();
    const state = row.state ?? "published";
    await db
      .insertInto("posts")
      .values({
        id,
        uri: `https://social.example.org/users/acme/posts/${id}`,
        actor_id: row.actorId ?? local,
        is_local: row.isLocal === false ? 0 : 1,
        type: row.boostOfId ? "Announce" : "Note",
        state,
        visibility: row.visibility ?? "public",
        content_html: `<p>${id}</p>`,
        to_json: JSON.stringify(["https://www.w3.org/ns/activitystreams#Public"]),
        poll_json: null,
        in_reply_to_uri: row.inReplyToUri ?? null,
        boost_of_id: row.boostOfId ?? null,
        published_at: state === "published" ? (row.publishedAt ?? now) : null,
        created_at: now,
        updated_at: now,
      })
      .execute();
    return id;
  };

  before(async () => {
    db = get().database.db;
    repo = new PostRepository(db);
    const actors = new ActorRepository(db);
    const now = new Date().toISOString();
    local = newId();
    await db.insertInto("actors").values({ id: local, uri: "https://social.example.org/users/acme", is_local: 1, type: "Organization", username: "acme", domain: "social.example.org", created_at: now, updated_at: now }).execute();
    remote = (
      await actors.upsertRemote(
        {
          uri: "https://remote.example/users/bob", type: "Person", username: "bob", domain: "remote.example", name: null, summaryHtml: null, url: null,
          inboxUrl: null, sharedInboxUrl: null, outboxUrl: null, followersUrl: null, followingUrl: null, featuredUrl: null, publicKeyId: null,
          publicKeyPem: null, iconUrl: null, imageUrl: null, fields: [], alsoKnownAs: [], movedToUri: null, manuallyApprovesFollowers: false,
          discoverable: true, emojis: [], publishedAt: null, rawJson: "{}",
        },
        now,
      )
    ).id;
  });

  describe("lookups", () => {
    test("findById and findByUri map the row to a post", async () => {
      const id = await insert({ visibility: "unlisted" });
      const post = (await repo.findById(id))!;
      assert.equal(post.id, id);
      assert.equal(post.actorId, local);
      assert.equal(post.isLocal, true);
      assert.equal(post.visibility, "unlisted");
      assert.equal(post.state, "published");
      assert.equal(post.contentHtml, `<p>${id}</p>`);
      assert.deepEqual(post.to, ["https://www.w3.org/ns/activitystreams#Public"]);
      assert.deepEqual(post.cc, []);
      assert.equal(post.poll, null);
      assert.equal(post.sensitive, false);
      assert.equal((await repo.findByUri(post.uri))?.id, id);
      assert.equal(await repo.findById(newId()), null);
      assert.equal(await repo.findByUri("https://social.example.org/users/acme/posts/nothing"), null);
    });
  });

  describe("visibility: canSee and its SQL form agree", () => {
    test("for every visibility, mention and follow state, visibleTo selects exactly the posts canSee allows", async () => {
      const viewer = { id: local, uri: "https://social.example.org/users/acme" };
      const ids: string[] = [];
      for (const visibility of ["public", "unlisted", "followers", "direct"] as const) {
        for (const mentioned of [false, true]) {
          const id = await insert({ visibility, actorId: remote, isLocal: false });
          if (mentioned) await db.insertInto("post_mentions").values({ post_id: id, actor_uri: viewer.uri, handle: "acme@social.example.org" }).execute();
          ids.push(id);
        }
      }
      ids.push(await insert({ visibility: "direct" })); // the viewer's own
      const followId = newId();
      const now = new Date().toISOString();
      let followers = 0;
      for (const follow of ["none", "pending", "accepted"] as const) {
        if (follow === "pending") await db.insertInto("follows").values({ id: followId, follower_id: local, followee_id: remote, state: "pending", created_at: now, updated_at: now }).execute();
        if (follow === "accepted") await db.updateTable("follows").set({ state: "accepted" }).where("id", "=", followId).execute();
        const allowed: string[] = [];
        for (const id of ids) if (await repo.canSee((await repo.findById(id))!, viewer)) allowed.push(id);
        const selected = await db.selectFrom("posts as p").select("p.id").where("p.id", "in", ids).where((eb) => visibleTo(eb, viewer)).orderBy("p.id").execute();
        assert.deepEqual(selected.map((r) => r.id), allowed.sort(), follow);
        if (follow === "accepted") followers = allowed.length;
        else assert.equal(allowed.length, 2 + 2 + 1 + 1 + 1, follow); // public ×2, unlisted ×2, mentioned followers/direct, own
      }
      assert.equal(followers, 8, "an accepted follower also sees the unmentioned followers-only post");
      // Leave the shared rows as they were for the counting tests.
      await db.deleteFrom("follows").where("id", "=", followId).execute();
      await db.deleteFrom("post_mentions").where("post_id", "in", ids).execute();
      await db.deleteFrom("posts").where("id", "in", ids).execute();
    });
  });

  describe("listing by actor", () => {
    let listed: string[];
    let replies: string[];

    before(async () => {
      // A fresh actor, so earlier tests' posts do not interfere.
      const now = new Date().toISOString();
      const author = newId();
      await db.insertInto("actors").values({ id: author, uri: "https://social.example.org/users/lister", is_local: 1, type: "Person", username: "lister", domain: "social.example.org", created_at: now, updated_at: now }).execute();
      local = author;
      listed = [];
      replies = [];
      for (let i = 0; i < 7; i++) {
        listed.push(await insert({ visibility: i % 2 === 0 ? "public" : "unlisted" }));
        if (i === 3) replies.push(await insert({ inReplyToUri: "https://remote.example/notes/1" }));
      }
      await insert({ visibility: "followers" });
      await insert({ visibility: "direct" });
      await insert({ state: "draft" });
      await insert({ state: "scheduled" });
      await insert({ state: "deleted" });
      await insert({ boostOfId: listed[0] });
      await insert({ actorId: remote, isLocal: false });
    });

    test("only published posts of the actor with the asked visibilities, newest first, without boosts", async () => {
      const page = await repo.listByActor(local, { visibilities: ["public", "unlisted"], limit: 50 });
      const all = [...listed.slice(0, 4), ...replies, ...listed.slice(4)];
      assert.deepEqual(page.items.map((p) => p.id), [...all].reverse());
      assert.equal(page.next, null);
      const publicOnly = await repo.listByActor(local, { visibilities: ["public"], limit: 50, includeReplies: false });
      assert.deepEqual(publicOnly.items.map((p) => p.id), listed.filter((_, i) => i % 2 === 0).reverse());
    });

    test("includeReplies: false leaves replies out", async () => {
      const page = await repo.listByActor(local, { visibilities: ["public", "unlisted"], limit: 50, includeReplies: false });
      assert.deepEqual(page.items.map((p) => p.id), [...listed].reverse());
    });

    test("pages by id: each cursor continues exactly where the last page ended", async () => {
      const seen: string[] = [];
      let before: string | null = null;
      let pages = 0;
      do {
        const page = await repo.listByActor(local, { visibilities: ["public", "unlisted"], limit: 3, before, includeReplies: false });
        assert.ok(page.items.length <= 3);
        seen.push(...page.items.map((p) => p.id));
        before = page.next;
        pages++;
      } while (before !== null);
      assert.equal(pages, 3);
      assert.deepEqual(seen, [...listed].reverse());
      // A cursor of exactly `limit` remaining posts reports no further page.
      const last = await repo.listByActor(local, { visibilities: ["public", "unlisted"], limit: 3, before: listed[3], includeReplies: false });
      assert.deepEqual(last.items.map((p) => p.id), [listed[2], listed[1], listed[0]]);
      assert.equal(last.next, null);
    });

    test("counts published posts by visibility, and local published posts overall", async () => {
      // The rows above were written with plain SQL, past the counters: repair recounts them (issue #15).
      await repo.repairCounters();
      assert.equal(await repo.countByActor(local, ["public", "unlisted"]), 8);
      assert.equal(await repo.countByActor(local, ["public"]), 5);
      assert.equal(await repo.countByActor(local, ["followers", "direct"]), 2);
      assert.equal(await repo.countByActor(remote, ["public"]), 1);
      // Everything local and published: 1 from the lookup test, 8 + 2 here, and the boost row.
      assert.equal(await repo.countLocalPublished(), 12);
    });
  });

  describe("media", () => {
    test("mediaOf groups attachments by post in their position order", async () => {
      const a = await insert();
      const b = await insert();
      const now = new Date().toISOString();
      const media = (postId: string, position: number) => ({ id: newId(), actor_id: local, post_id: postId, position, kind: "image", file_path: `media/${postId}/${position}.png`, created_at: now });
      await db.insertInto("media").values([media(a, 2), media(a, 0), media(b, 0), media(a, 1)]).execute();
      const found = await repo.mediaOf([a, b, newId()]);
      assert.deepEqual(found.get(a)?.map((m) => m.position), [0, 1, 2]);
      assert.deepEqual(found.get(b)?.map((m) => m.file_path), [`media/${b}/0.png`]);
      assert.equal(found.size, 2);
      assert.equal((await repo.mediaOf([])).size, 0);
    });
  });

  describe("findVisible (many related posts in one query)", () => {
    test("finds published posts by uri and by id, only those the viewer may see", async () => {
      const publicId = await insert();
      const followersId = await insert({ visibility: "followers" });
      const draftId = await insert({ state: "draft" });
      const otherFollowersId = await insert({ visibility: "followers", actorId: remote, isLocal: false });
      const uriOf = (id: string) => `https://social.example.org/users/acme/posts/${id}`;
      // The author sees its own followers-only post; a stranger does not; drafts never show.
      const own = await repo.findVisible({ uris: [uriOf(publicId), uriOf(draftId)], ids: [followersId, otherFollowersId] }, { id: local, uri: "https://social.example.org/users/acme" });
      assert.deepEqual([...own.byUri.keys()].sort(), [uriOf(publicId), uriOf(followersId)].sort());
      assert.deepEqual([...own.byId.keys()].sort(), [publicId, followersId].sort());
      const stranger = await repo.findVisible({ uris: [uriOf(followersId)], ids: [publicId, otherFollowersId] }, { id: remote, uri: "https://remote.example/users/bob" });
      assert.deepEqual([...stranger.byId.keys()].sort(), [publicId, otherFollowersId].sort()); // bob's own post, and the public one
      assert.deepEqual((await repo.findVisible({ uris: [], ids: [] }, { id: local, uri: "x" })).byId.size, 0);
    });

    test("listLocalPublishedByDay: own published posts of each day, oldest first, at most perDay a day, no boosts or drafts", async () => {
      const day1 = Date.parse("2031-05-01T00:00:00.000Z");
      const day2 = day1 + 86_400_000;
      const at = (ms: number) => new Date(ms).toISOString();
      // Day 1: five posts (inserted newest first, so the order comes from the query), a boost, a draft.
      const firsts: string[] = [];
      for (let i = 4; i >= 0; i--) firsts.unshift(await insert({ publishedAt: at(day1 + 3_600_000 * (i + 1)) }));
      await insert({ boostOfId: firsts[0]!, publishedAt: at(day1 + 60_000) });
      await insert({ state: "draft" });
      await insert({ actorId: remote, isLocal: false, publishedAt: at(day1 + 120_000) });
      // Day 2: one post at its very start; the next day starts with a post that belongs to neither.
      const second = await insert({ publishedAt: at(day2) });
      await insert({ publishedAt: at(day2 + 86_400_000) });
      const days = [
        { from: new Date(day1), to: new Date(day2) },
        { from: new Date(day2), to: new Date(day2 + 86_400_000) },
      ];
      const listed = await repo.listLocalPublishedByDay(local, days, 3);
      assert.deepEqual(listed.map((d) => d.map((p) => p.id)), [firsts.slice(0, 3), [second]]);
      assert.equal(listed[0]![0]!.publishedAt, at(day1 + 3_600_000));
      assert.deepEqual((await repo.listLocalPublishedByDay(local, days, 10))[0]!.map((p) => p.id), firsts);
      assert.deepEqual(await repo.listLocalPublishedByDay(local, [], 3), []);
    });
  });
});
