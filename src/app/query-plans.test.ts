import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { CompiledQuery, createQueryId, type Kysely, type KyselyPlugin, type PluginTransformQueryArgs, type PluginTransformResultArgs, type QueryResult, type RootOperationNode, type UnknownRow } from "kysely";
import type { DB } from "../db/schema.ts";
import { newId } from "../lib/id.ts";
import { describeEachEngine } from "../testing/databases.ts";
import { PostRepository } from "../post/post.repository.ts";
import { outboxPageQuery } from "../post/post.dispatchers.ts";
import { DraftRepository } from "../post/schedule/draft.repository.ts";
import { FollowRepository } from "../social/follow.repository.ts";
import { NotificationRepository } from "../social/notification.repository.ts";
import { InteractionRepository } from "../social/interaction.repository.ts";
import { createSocialHarness, type SocialHarness } from "../social/testing/social-harness.ts";

// Issue #15: every list query the pages run is an index range scan in the order it pages. The
// queries are captured from the real repositories, then explained against a database with enough
// rows (and fresh statistics) that the planner's choice is the one it makes at scale. A full scan
// of a table, or a sort of the result (a temp B-tree; PostgreSQL's Sort node), fails the test.

/** Records every SELECT a repository executes (not the subqueries built on the way), so the test explains exactly what runs. */
class Capture implements KyselyPlugin {
  readonly #pending = new Map<unknown, RootOperationNode>();
  readonly nodes: RootOperationNode[] = [];
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    if (args.node.kind === "SelectQueryNode") this.#pending.set(args.queryId, args.node);
    return args.node;
  }
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    const node = this.#pending.get(args.queryId);
    if (node !== undefined) this.nodes.push(node);
    return args.result;
  }
}

/** The tables the lists read in bulk; small lookup tables (actors by id, blocks) may be scanned while tiny. */
const LIST_TABLES = new Set(["posts", "p", "home_feed", "f", "follows", "notifications", "n", "outbox_activities", "sa", "su", "a", "drafts", "post_tags", "t", "interactions"]);

const ACTORS = 20;
const POSTS_PER_ACTOR = 150;

describeEachEngine("query plans of the list queries", (getDb) => {
  let h: SocialHarness;
  let db: Kysely<DB>;
  let acme: { id: string; actorId: string };
  const others: string[] = [];
  let feedCursor: { publishedAt: string; id: string };

  before(async () => {
    h = await createSocialHarness(getDb());
    db = h.base.database.db;
    acme = await h.addAccount("acme");
    for (let i = 0; i < ACTORS; i++) others.push((await h.addRemote(`r${i}`, `r${i}.example`)).id);
    const follows = new FollowRepository(db);
    const now = "2026-01-01T00:00:00.000Z";
    // acme follows half of them; all of them follow acme.
    for (const [i, other] of others.entries()) {
      if (i % 2 === 0) await follows.create({ followerId: acme.actorId, followeeId: other, state: "accepted", uri: null }, now);
      await follows.create({ followerId: other, followeeId: acme.actorId, state: "accepted", uri: null }, now);
    }
    // Many more followers and followees (bulk, as a restore would), so the follow lists are not tiny.
    const extra: { id: string; uri: string; is_local: number; type: string; username: string; domain: string; created_at: string; updated_at: string }[] = [];
    for (let i = 0; i < 600; i++) {
      const id = newId();
      extra.push({ id, uri: `https://crowd${i % 30}.example/users/u${i}`, is_local: 0, type: "Person", username: `u${i}`, domain: `crowd${i % 30}.example`, created_at: now, updated_at: now });
    }
    await db.insertInto("actors").values(extra).execute();
    await db.insertInto("follows").values(extra.map((a) => ({ id: newId(), follower_id: a.id, followee_id: acme.actorId, state: "accepted", uri: null, created_at: now, accepted_at: now, updated_at: now }))).execute();
    await db.insertInto("follows").values(extra.slice(0, 300).map((a) => ({ id: newId(), follower_id: acme.actorId, followee_id: a.id, state: "accepted", uri: null, created_at: now, accepted_at: now, updated_at: now }))).execute();
    await db.insertInto("follows").values(extra.slice(300).map((a, i) => ({ id: newId(), follower_id: a.id, followee_id: extra[i]!.id, state: "accepted", uri: null, created_at: now, accepted_at: now, updated_at: now }))).execute();
    const base = Date.parse(now);
    let n = 0;
    for (const actorId of [acme.actorId, ...others]) {
      const rows = [];
      const activities = [];
      for (let i = 0; i < POSTS_PER_ACTOR; i++) {
        const at = new Date(base + n++ * 1000).toISOString();
        const id = newId();
        const uri = `https://x.example/${id}`;
        rows.push({ id, uri, actor_id: actorId, is_local: actorId === acme.actorId ? 1 : 0, type: "Note", state: "published", visibility: i % 5 === 0 ? "unlisted" : "public", content_html: "<p>x</p>", published_at: at, created_at: at, updated_at: at });
        activities.push({ id: newId(), uri: `${uri}/activity`, actor_id: actorId, type: "Create", object_uri: uri, visibility: "public", json: "{}", created_at: at });
      }
      await db.insertInto("posts").values(rows).execute();
      // Hashtags: one of ten on every post, local and remote.
      await db.insertInto("post_tags").values(rows.map((r, i) => ({ post_id: r.id, tag: `tag${i % 10}`, is_local: r.is_local }))).execute();
      // Ledger entries on every post (likes from the crowd), so the counts read a part of interactions.
      await db.insertInto("interactions").values(rows.flatMap((r, i) => [0, 1, 2].map((k) => ({ id: newId(), kind: k === 2 ? "boost" : "like", post_id: r.id, actor_id: extra[(i + k) % extra.length]!.id, activity_uri: `${r.uri}/like/${k}`, created_at: r.created_at })))).execute();
      if (activities.length > 0) await db.insertInto("outbox_activities").values(activities).execute();
    }
    // A second local account's campaign: 2,000 posts with #launch (and one tag in ten with remote
    // posts), so a hashtag page reads a range of a tag with many posts.
    const campaign = (await h.addAccount("campaign")).actorId;
    const campaignPosts = Array.from({ length: 2000 }, (_, i) => {
      const at = new Date(base + n++ * 1000).toISOString();
      const id = newId();
      return { id, uri: `https://x.example/${id}`, actor_id: campaign, is_local: 1, type: "Note", state: "published", visibility: i % 7 === 0 ? "unlisted" : "public", content_html: "<p>x</p>", published_at: at, created_at: at, updated_at: at };
    });
    for (let i = 0; i < campaignPosts.length; i += 500) {
      const chunk = campaignPosts.slice(i, i + 500);
      await db.insertInto("posts").values(chunk).execute();
      await db.insertInto("post_tags").values(chunk.flatMap((r, j) => [{ post_id: r.id, tag: "launch", is_local: 1 }, { post_id: r.id, tag: `tag${j % 10}`, is_local: 1 }])).execute();
    }
    // acme's home feed, in bulk as the data generator writes it: the entries of the actors it follows.
    const followed = (await db.selectFrom("posts").select(["id", "published_at", "actor_id"]).where("actor_id", "in", others.filter((_, i) => i % 2 === 0)).execute()) as { id: string; published_at: string; actor_id: string }[];
    await db.insertInto("home_feed").values(followed.map((p) => ({ feed_id: acme.actorId, published_at: p.published_at, post_id: p.id, author_id: p.actor_id }))).execute();
    // Other local accounts' feeds, so acme's is a small part of the table.
    for (let i = 0; i < 4; i++) {
      const feed = (await h.addAccount(`reader${i}`)).actorId;
      await db.insertInto("home_feed").values(followed.map((p) => ({ feed_id: feed, published_at: p.published_at, post_id: p.id, author_id: p.actor_id }))).execute();
    }
    const notifications = [];
    for (let i = 0; i < 1000; i++) notifications.push({ id: newId(), actor_id: others[i % ACTORS]!, kind: "follow", from_actor_id: acme.actorId, created_at: now });
    for (let i = 0; i < 200; i++) notifications.push({ id: newId(), actor_id: acme.actorId, kind: "follow", from_actor_id: others[i % ACTORS]!, created_at: now });
    await db.insertInto("notifications").values(notifications).execute();
    // Drafts of several accounts, so one account's calendar is a small part of the table.
    const accounts = [acme.id];
    for (let i = 0; i < 7; i++) accounts.push((await h.addAccount(`team${i}`)).id);
    const drafts = [];
    for (let i = 0; i < 2400; i++) {
      const at = new Date(base + Math.floor(i / accounts.length) * 3600_000).toISOString();
      drafts.push({ id: newId(), account_id: accounts[i % accounts.length]!, state: i % 3 === 0 ? "draft" : "scheduled", text: "x", visibility: "public", scheduled_at: i % 3 === 0 ? null : at, created_at: now, updated_at: now });
    }
    await db.insertInto("drafts").values(drafts).execute();
    // The timeline's second page: after the first 20 entries of acme's feed.
    const feedRow = await db.selectFrom("home_feed").select(["published_at", "post_id"]).where("feed_id", "=", acme.actorId).orderBy("published_at", "desc").orderBy("post_id", "desc").offset(20).limit(1).executeTakeFirstOrThrow();
    feedCursor = { publishedAt: feedRow.published_at, id: feedRow.post_id };
    await db.executeQuery(CompiledQuery.raw("ANALYZE"));
  });
  after(async () => {
    await h.close();
  });

  /** The plan problems of every SELECT that `run` compiles (empty when all are index range scans in order). */
  const problems = async (run: (db: Kysely<DB>) => Promise<unknown>): Promise<string[]> => {
    const capture = new Capture();
    await run(db.withPlugin(capture));
    assert.ok(capture.nodes.length > 0, "the query ran");
    const found: string[] = [];
    for (const node of capture.nodes) {
      const compiled = db.getExecutor().compileQuery(node, createQueryId());
      if (h.base.database.kind === "sqlite") {
        const plan = await db.executeQuery<{ detail: string }>(CompiledQuery.raw(`EXPLAIN QUERY PLAN ${compiled.sql}`, [...compiled.parameters]));
        for (const { detail } of plan.rows) {
          // "SCAN posts" reads the whole table; "SCAN p USING INDEX …" walks an index in order.
          const scan = /^SCAN (\w+)( AS \w+)?$/.exec(detail);
          if ((scan !== null && LIST_TABLES.has(scan[1]!)) || /TEMP B-TREE/.test(detail)) found.push(`${detail} in ${compiled.sql}`);
        }
      } else {
        const plan = await db.executeQuery<{ "QUERY PLAN": unknown }>(CompiledQuery.raw(`EXPLAIN (FORMAT JSON) ${compiled.sql}`, [...compiled.parameters]));
        const paged = /\blimit \$\d+$/.test(compiled.sql);
        const walk = (n: Record<string, unknown>): void => {
          const type = n["Node Type"];
          // A sort under a LIMIT reads every matching row to return the first page. A query without
          // one (the calendar's bounded time range) may sort the range it read through an index: for
          // a few dozen rows PostgreSQL rightly prefers a bitmap scan and a sort to an ordered index scan.
          if ((type === "Sort" || type === "Incremental Sort") && paged) found.push(`${type} in ${compiled.sql}`);
          if (type === "Seq Scan" && LIST_TABLES.has(String(n["Relation Name"]))) found.push(`Seq Scan on ${String(n["Relation Name"])} in ${compiled.sql}`);
          for (const child of (n["Plans"] as Record<string, unknown>[] | undefined) ?? []) walk(child);
        };
        const root = plan.rows[0]!["QUERY PLAN"];
        const doc = (typeof root === "string" ? JSON.parse(root) : root) as { Plan: Record<string, unknown> }[];
        walk(doc[0]!.Plan);
      }
    }
    return found;
  };

  /** The plan of the first SELECT that `run` compiles, as text (SQLite's details, PostgreSQL's JSON). */
  const planText = async (run: (db: Kysely<DB>) => Promise<unknown>): Promise<string> => {
    const capture = new Capture();
    await run(db.withPlugin(capture));
    const compiled = db.getExecutor().compileQuery(capture.nodes[0]!, createQueryId());
    const explain = h.base.database.kind === "sqlite" ? `EXPLAIN QUERY PLAN ${compiled.sql}` : `EXPLAIN (FORMAT JSON) ${compiled.sql}`;
    const plan = await db.executeQuery(CompiledQuery.raw(explain, [...compiled.parameters]));
    return JSON.stringify(plan.rows);
  };

  /** PostgreSQL's Sort nodes anywhere in the plan (the check above looks for them only under a final LIMIT); none on SQLite's side (TEMP B-TREE is caught above). */
  const plainSorts = async (run: (db: Kysely<DB>) => Promise<unknown>): Promise<string[]> => {
    if (h.base.database.kind === "sqlite") return [];
    const capture = new Capture();
    await run(db.withPlugin(capture));
    const found: string[] = [];
    for (const node of capture.nodes) {
      const compiled = db.getExecutor().compileQuery(node, createQueryId());
      const plan = await db.executeQuery<{ "QUERY PLAN": unknown }>(CompiledQuery.raw(`EXPLAIN (FORMAT JSON) ${compiled.sql}`, [...compiled.parameters]));
      const root = plan.rows[0]!["QUERY PLAN"];
      const walk = (n: Record<string, unknown>): void => {
        if (n["Node Type"] === "Sort" || n["Node Type"] === "Incremental Sort") found.push(`${String(n["Node Type"])} in ${compiled.sql.slice(0, 200)}`);
        for (const child of (n["Plans"] as Record<string, unknown>[] | undefined) ?? []) walk(child);
      };
      walk(((typeof root === "string" ? JSON.parse(root) : root) as { Plan: Record<string, unknown> }[])[0]!.Plan);
    }
    return found;
  };

  /** The table each SELECT that `run` compiles reads first (SQLite: the first plan line; PostgreSQL: the first leaf scan). */
  const drivingTable = async (run: (db: Kysely<DB>) => Promise<unknown>): Promise<string[]> => {
    const capture = new Capture();
    await run(db.withPlugin(capture));
    const tables: string[] = [];
    // Only the main query (the boosted posts' lookup by id follows it).
    const node = capture.nodes[0]!;
    const compiled = db.getExecutor().compileQuery(node, createQueryId());
    if (h.base.database.kind === "sqlite") {
      const plan = await db.executeQuery<{ detail: string; parent: number }>(CompiledQuery.raw(`EXPLAIN QUERY PLAN ${compiled.sql}`, [...compiled.parameters]));
      const first = plan.rows.find((r) => /^(SCAN|SEARCH) /.test(r.detail) && r.parent === 0)!;
      const alias = /^(?:SCAN|SEARCH) (\w+)/.exec(first.detail)![1]!;
      tables.push(alias === "f" ? "home_feed" : alias);
      if (!/USING (PRIMARY KEY|INDEX|COVERING INDEX) \S+ \(feed_id=/.test(first.detail)) tables.push(`not a feed range: ${first.detail}`);
    } else {
      const plan = await db.executeQuery<{ "QUERY PLAN": unknown }>(CompiledQuery.raw(`EXPLAIN (FORMAT JSON) ${compiled.sql}`, [...compiled.parameters]));
      const root = plan.rows[0]!["QUERY PLAN"];
      let n = ((typeof root === "string" ? JSON.parse(root) : root) as { Plan: Record<string, unknown> }[])[0]!.Plan;
      while (Array.isArray(n["Plans"]) && (n["Plans"] as unknown[]).length > 0) n = (n["Plans"] as Record<string, unknown>[])[0]!;
      tables.push(String(n["Relation Name"]));
    }
    return tables;
  };

  test("profile page: the account's posts, first and later pages", async () => {
    assert.deepEqual(await problems((d) => new PostRepository(d).listByActor(acme.actorId, { visibilities: ["public", "unlisted"], limit: 20 })), []);
    const some = await new PostRepository(db).listByActor(acme.actorId, { visibilities: ["public", "unlisted"], limit: 20 });
    assert.deepEqual(await problems((d) => new PostRepository(d).listByActor(acme.actorId, { visibilities: ["public", "unlisted"], limit: 20, before: some.next, includeReplies: false })), []);
  });

  test("home timeline, page 1 and page 2: a range of the account's feed, not a walk of all posts", async () => {
    const uri = `https://social.example.org/users/acme`;
    const page1 = (d: Kysely<DB>) => new PostRepository(d).timeline(acme.actorId, uri, { limit: 20 });
    const page2 = (d: Kysely<DB>) => new PostRepository(d).timeline(acme.actorId, uri, { limit: 20, before: feedCursor });
    for (const run of [page1, page2]) {
      assert.deepEqual(await problems(run), []);
      // Walking posts' (published_at, id) index newest first is "in order" too, but reads every
      // post of every actor not followed: the timeline must read the feed's key range first.
      assert.ok((await drivingTable(run)).every((table) => table === "home_feed"), "the timeline is read from home_feed");
    }
    assert.equal((await page1(db)).length, 20, "the query found the feed's rows");
  });

  test("outbox page", async () => {
    const page = await outboxPageQuery(db, acme.actorId, null).execute();
    assert.deepEqual(await problems((d) => outboxPageQuery(d, acme.actorId, page.at(-1)!.id).execute()), []);
    // Whether an activity was undone is a lookup by its uri: PostgreSQL walked all of (object_uri,
    // type) for type = 'Undo' until the partial index of Undos (0015), a cost growing with the
    // outbox; SQLite searches (object_uri, type) per activity, or the partial index.
    assert.match(
      await planText((d) => outboxPageQuery(d, acme.actorId, page.at(-1)!.id).execute()),
      /outbox_activities_undo|SEARCH su USING (COVERING )?INDEX outbox_activities_object \(object_uri=\? AND type=\?\)/,
    );
  });

  test("followers and following pages", async () => {
    assert.deepEqual(await problems((d) => new FollowRepository(d).listFollowers(acme.actorId, { state: "accepted", limit: 20 })), []);
    assert.deepEqual(await problems((d) => new FollowRepository(d).listFollowing(acme.actorId, { state: "accepted", limit: 20 })), []);
  });

  test("notifications", async () => {
    assert.deepEqual(await problems((d) => new NotificationRepository(d).list(acme.actorId, { limit: 20 })), []);
    assert.deepEqual(await problems((d) => new NotificationRepository(d).countUnread(acme.actorId, 100)), []);
  });

  test("hashtag page, first and later pages: a range of (tag, is_local, post_id), newest first", async () => {
    const posts = new PostRepository(db);
    assert.deepEqual(await problems((d) => new PostRepository(d).listPublicByTag("launch", { limit: 20 })), []);
    const first = await posts.listPublicByTag("launch", { limit: 20 });
    assert.equal(first.items.length, 20, "the campaign's posts carry the tag");
    // A tag that local and remote posts share: the remote ones are read and left out.
    assert.deepEqual(await problems((d) => new PostRepository(d).listPublicByTag("tag3", { limit: 20 })), []);
    assert.deepEqual(await problems((d) => new PostRepository(d).listPublicByTag("launch", { before: first.next, limit: 20 })), []);
  });

  test("sent posts, with and without a text search, and their counts in one query", async () => {
    const posts = new PostRepository(db);
    assert.deepEqual(await problems((d) => new PostRepository(d).listSent(acme.actorId, { limit: 20 })), []);
    const first = await posts.listSent(acme.actorId, { limit: 20 });
    assert.deepEqual(await problems((d) => new PostRepository(d).listSent(acme.actorId, { text: "x", before: first.next, limit: 20 })), []);
    assert.deepEqual(await problems((d) => new InteractionRepository(d).activeCountsOf(first.items.map((p) => p.id))), []);
  });

  test("a post's public replies", async () => {
    assert.deepEqual(await problems((d) => new PostRepository(d).publicRepliesOf("https://x.example/some-post", 40)), []);
  });

  test("calendar", async () => {
    assert.deepEqual(await problems((d) => new DraftRepository(d).scheduledBetween(acme.id, "2026-01-02T00:00:00.000Z", "2026-01-09T00:00:00.000Z")), []);
    // The published posts: one short range of the account's posts per day of the grid (six weeks),
    // each read in published_at order and cut at the day's limit, not the window read and sorted.
    const day0 = Date.parse("2026-01-01T00:00:00.000Z");
    const days = Array.from({ length: 42 }, (_, i) => ({ from: new Date(day0 + i * 600_000), to: new Date(day0 + (i + 1) * 600_000) }));
    assert.deepEqual(await problems((d) => new PostRepository(d).listLocalPublishedByDay(acme.actorId, days, 4)), []);
    assert.ok((await new PostRepository(db).listLocalPublishedByDay(acme.actorId, days, 4)).some((day) => day.length === 4), "the query found posts");
    assert.deepEqual(await plainSorts((d) => new PostRepository(d).listLocalPublishedByDay(acme.actorId, days, 4)), []);
  });

  test("outbox page: the posts of its Creates in one lookup by uri", async () => {
    const uris = (await outboxPageQuery(db, acme.actorId, null).execute()).map((r) => r.object_uri!);
    assert.deepEqual(await problems((d) => new PostRepository(d).findManyByUris(uris)), []);
  });
});
