import assert from "node:assert/strict";
import { before, test } from "node:test";
import { sql, type Kysely } from "kysely";
import type { DB } from "../db/schema.ts";
import { newId } from "../lib/id.ts";
import { describeEachEngine } from "../testing/databases.ts";
import type { Visibility } from "./post.entity.ts";
import { boostWrite, PostRepository, type PostWrite } from "./post.repository.ts";

// Issue #15: the profile's post count and NodeInfo's localPosts come from counters kept in the
// transaction of each write, with the same definitions as the COUNT(*) they replace; `herold repair`
// (repairCounters) sets them right after writes that bypassed the repository.
describeEachEngine("PostRepository counters", (get) => {
  let db: Kysely<DB>;
  let repo: PostRepository;
  let acme: string;
  let remote: string;
  const now = "2026-01-01T00:00:00.000Z";

  const actor = async (username: string, isLocal: boolean): Promise<string> => {
    const id = newId();
    const domain = isLocal ? "social.example.org" : "remote.example";
    await db.insertInto("actors").values({ id, uri: `https://${domain}/users/${username}`, is_local: isLocal ? 1 : 0, type: "Person", username, domain, created_at: now, updated_at: now }).execute();
    return id;
  };

  const note = (actorId: string, isLocal: boolean, visibility: Visibility): PostWrite => ({
    ...boostWrite({ uri: `https://social.example.org/posts/${newId()}`, actorId, isLocal, boostOfId: "x", visibility, to: [], cc: [], publishedAt: now }),
    type: "Note",
    boostOfId: null,
    contentHtml: "<p>hi</p>",
  });

  const write = async (w: PostWrite): Promise<string> => {
    const id = newId();
    assert.equal(await repo.insert(id, w, { mentions: [], tags: [] }, now), true);
    return id;
  };

  const counts = async () => ({
    public: await repo.countByActor(acme, ["public", "unlisted"]),
    all: await repo.countByActor(acme, ["public", "unlisted", "followers", "direct"]),
    remote: await repo.countByActor(remote, ["public"]),
    local: await repo.countLocalPublished(),
    outbox: await repo.countOutbox(acme),
  });

  before(async () => {
    db = get().database.db;
    repo = new PostRepository(db);
    acme = await actor("acme", true);
    remote = await actor("bob", false);
  });

  test("inserts, boosts, deletes and unboosts move the counters exactly as COUNT(*) would", async () => {
    const first = await write(note(acme, true, "public"));
    await write(note(acme, true, "unlisted"));
    await write(note(acme, true, "followers"));
    const theirs = await write(note(remote, false, "public"));
    // A repeated delivery (same URI) inserts nothing and counts nothing.
    const dup = note(remote, false, "public");
    await write(dup);
    assert.equal(await repo.insert(newId(), dup, { mentions: [], tags: [] }, now), false);
    const boostId = newId();
    await repo.insert(boostId, boostWrite({ uri: `https://social.example.org/boosts/${boostId}`, actorId: acme, isLocal: true, boostOfId: theirs, visibility: "public", to: [], cc: [], publishedAt: now }), { mentions: [], tags: [] }, now);
    const boostOfFirst = newId();
    await repo.insert(boostOfFirst, boostWrite({ uri: `https://social.example.org/boosts/${boostOfFirst}`, actorId: acme, isLocal: true, boostOfId: first, visibility: "public", to: [], cc: [], publishedAt: now }), { mentions: [], tags: [] }, now);
    // Boosts are not the actor's posts, but NodeInfo's localPosts counts them (as it did).
    assert.deepEqual(await counts(), { public: 2, all: 3, remote: 2, local: 5, outbox: 4 });

    await repo.deleteAnnounce(boostId);
    assert.deepEqual(await counts(), { public: 2, all: 3, remote: 2, local: 4, outbox: 3 });
    // Deleting a post removes it and the boosts of it; deleting it twice counts once.
    const post = (await repo.findById(first))!;
    await repo.markDeleted(post, now);
    await repo.markDeleted(post, now);
    assert.deepEqual(await counts(), { public: 1, all: 2, remote: 2, local: 2, outbox: 1 });

    // Repair finds nothing to correct after repository writes.
    assert.deepEqual(await repo.repairCounters(), []);
  });

  test("repair recounts from the table after writes that bypassed the repository, and says what it changed", async () => {
    const before = await counts();
    await db.updateTable("posts").set({ state: "deleted" }).where("actor_id", "=", acme).where("visibility", "=", "unlisted").execute();
    await db.insertInto("counters").values({ scope: remote, name: "posts.direct", slot: 3, value: 7 }).execute();
    const corrections = await repo.repairCounters();
    assert.deepEqual(
      [...corrections].sort((a, b) => (a.name < b.name ? -1 : 1)),
      [
        { scope: remote, name: "posts.direct", from: 7, to: 0 },
        { scope: "instance", name: "posts.local", from: before.local, to: before.local - 1 },
        { scope: acme, name: "posts.unlisted", from: 1, to: 0 },
      ].sort((a, b) => (a.name < b.name ? -1 : 1)),
    );
    assert.deepEqual(await counts(), { ...before, public: before.public - 1, all: before.all - 1, local: before.local - 1, outbox: before.outbox - 1 });
    assert.equal(await repo.countByActor(remote, ["direct"]), 0);
    assert.deepEqual(await repo.repairCounters(), []);
  });

  test("repair beside a writer in flight: the writer's post is counted once, whichever commits first", async () => {
    const engine = get().engine;
    // The counter is wrong (plain SQL) in every slot, so repair must rewrite the rows the writer adds to.
    for (let slot = 0; slot < 8; slot++) {
      await db.insertInto("counters").values({ scope: acme, name: "posts.direct", slot, value: 1 }).onConflict((oc) => oc.columns(["scope", "name", "slot"]).doUpdateSet({ value: 1 })).execute();
    }
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let inserted!: () => void;
    const insertedYet = new Promise<void>((resolve) => (inserted = resolve));
    const writer = db.transaction().execute(async (trx) => {
      assert.equal(await repo.insert(newId(), note(acme, true, "direct"), { mentions: [], tags: [] }, now, trx), true);
      inserted();
      await gate;
    });
    await insertedYet;
    const repair = repo.repairCounters();
    if (engine === "postgres") {
      // Wait until the repair is blocked on the writer's counter row (a definite state, not a delay).
      for (;;) {
        const waiting = await sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE ${'%"counters"%'} AND query NOT LIKE ${"%pg_stat_activity%"}`.execute(db);
        if (waiting.rows[0]!.n > 0) break;
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    // (SQLite: one connection, the repair queues behind the writer's transaction.)
    release();
    await writer;
    await repair;
    assert.equal(await repo.countByActor(acme, ["direct"]), 1);
    assert.deepEqual(await repo.repairCounters(), []);
  });
});
