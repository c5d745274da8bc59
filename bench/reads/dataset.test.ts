import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { createAppContext } from "../../src/app/context.ts";
import { loadConfig } from "../../src/config/config.ts";
import { describeEachEngine } from "../../src/testing/databases.ts";
import { buildDataset, USERNAME } from "./dataset.ts";
import { timeOfId } from "./ids.ts";
import { shapeFor } from "./shape.ts";

/**
 * The read benchmark's data set honours what Herold relies on: ids time-ordered by their rows' own
 * times, every follow accepted, one Create per local post, the planned counts, and Herold's own
 * code reads it (timeline, profile paging, NodeInfo counts, outbox activities that parse).
 */
const ORIGIN = "http://127.0.0.1";

describeEachEngine("bench reads data set", (get) => {
  const shape = shapeFor(1000);

  test("is built with the planned rows, ids of their own times, and reads through Herold", async () => {
    await buildDataset(get().config, shape, ORIGIN, () => {});
    const db = get().database.db;
    const count = async (table: "posts" | "interactions" | "notifications" | "follows" | "outbox_activities") =>
      Number((await db.selectFrom(table).select((eb) => eb.fn.countAll().as("n")).executeTakeFirstOrThrow()).n);
    const mentions = Math.floor(shape.remoteNotes / shape.mentionEvery);
    assert.equal(await count("posts"), shape.posts);
    assert.equal(await count("outbox_activities"), shape.acmePosts);
    assert.equal(await count("interactions"), shape.acmePosts * shape.interactionsPerPost + mentions);
    assert.equal(await count("follows"), shape.followers + shape.followees);
    assert.ok((await count("notifications")) > shape.followers + mentions);
    const pending = await db.selectFrom("follows").select("id").where("state", "!=", "accepted").execute();
    assert.deepEqual(pending, []);
    // The home feeds are what Herold writes on arrival: every post and boost row of a followee of a local account.
    const feed = await db.selectFrom("home_feed").select(["feed_id", "post_id", "published_at", "author_id"]).orderBy("feed_id").orderBy("post_id").execute();
    const expected = await db
      .selectFrom("follows")
      .innerJoin("actors", "actors.id", "follows.follower_id")
      .innerJoin("posts", "posts.actor_id", "follows.followee_id")
      .select(["follows.follower_id as feed_id", "posts.id as post_id", "posts.published_at", "posts.actor_id as author_id"])
      .where("actors.is_local", "=", 1)
      .where("follows.state", "=", "accepted")
      .orderBy("follows.follower_id")
      .orderBy("posts.id")
      .execute();
    assert.ok(expected.length > shape.remoteNotes / 2, `${expected.length} feed entries expected`);
    assert.deepEqual(feed, expected);

    // Ids carry the time of their row: local posts their publication, remote rows their arrival.
    const ms = (text: string | null) => Date.parse(text!);
    for (const p of await db.selectFrom("posts").select(["id", "is_local", "published_at", "created_at"]).execute()) {
      assert.equal(timeOfId(p.id), p.is_local === 1 ? ms(p.published_at) : ms(p.created_at), `post ${p.id}`);
    }
    // acme's own actor is Herold's (AccountService), which reads the clock and mints the id apart.
    for (const a of await db.selectFrom("actors").select(["id", "is_local", "created_at"]).execute()) {
      if (a.is_local === 1) assert.ok(Math.abs(timeOfId(a.id) - ms(a.created_at)) < 1_000, `local actor ${a.id}`);
      else assert.equal(timeOfId(a.id), ms(a.created_at), `actor ${a.id}`);
    }
    for (const table of ["follows", "notifications"] as const) {
      for (const r of await db.selectFrom(table).select(["id", "created_at"]).execute()) assert.equal(timeOfId(r.id), ms(r.created_at), `${table} ${r.id}`);
    }
    for (const r of await db.selectFrom("interactions").select(["id", "created_at"]).execute()) assert.equal(timeOfId(r.id), ms(r.created_at) + 1_000, `interaction ${r.id}`);

    const dataDir = mkdtempSync(join(tmpdir(), "herold-bench-reads-test-"));
    const ctx = await createAppContext(loadConfig({ HEROLD_ORIGIN: ORIGIN, HEROLD_DATABASE_URL: get().url, HEROLD_DATA_DIR: dataDir, HEROLD_LOG_LEVEL: "error" }));
    try {
      const account = (await ctx.repos.accounts.findByUsername(USERNAME))!;
      // Profile paging by id walks every post of acme, newest first, each with its Create activity.
      const seen: string[] = [];
      for (let before: string | null = null; ; ) {
        const page = await ctx.repos.posts.listByActor(account.actorId, { visibilities: ["public"], before, limit: 40 });
        seen.push(...page.items.map((p) => p.publishedAt!));
        if (page.next === null) break;
        before = page.next;
      }
      assert.equal(seen.length, shape.acmePosts);
      assert.deepEqual(seen, [...seen].sort().reverse());
      assert.equal(await ctx.repos.posts.countLocalPublished(), shape.acmePosts);
      const timeline = await ctx.posts.timeline.list(USERNAME, { limit: 30 });
      assert.ok(timeline.ok && timeline.value.entries.length === 30 && timeline.value.next !== null);
      const activity = await db.selectFrom("outbox_activities").select(["json", "object_uri"]).orderBy("id", "desc").executeTakeFirstOrThrow();
      const parsed = JSON.parse(activity.json) as { type: string; object: { id: string; published: string } };
      assert.equal(parsed.type, "Create");
      assert.equal(parsed.object.id, activity.object_uri);
      const post = (await ctx.repos.posts.findByUri(activity.object_uri!))!;
      assert.equal(Date.parse(parsed.object.published), Date.parse(post.publishedAt!));
    } finally {
      await ctx.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
