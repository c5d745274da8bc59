import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, test } from "node:test";
import { sql } from "kysely";
import { ACTIVITYPUB_FIXTURES } from "../testing/fixtures.ts";
import { describeEachEngine } from "../testing/databases.ts";
import { createSocialHarness, type SocialHarness } from "../social/testing/social-harness.ts";
import { createInsightsModule, type InsightsModule } from "./insights.module.ts";
import { rollupDifferences, recountAccount } from "./insights.recount.ts";
import { FakePageViews, FakeReach, FakeSoftware } from "./testing/fake-ports.ts";
import type { Account } from "../account/account.entity.ts";
import { foldOnce } from "./insights-fold.job.ts";
import { InsightsRepository } from "./insights.repository.ts";

/**
 * The invariant of issue #14: the rollups equal a recount from the ledger and the follow history,
 * whatever arrives — duplicates, undos, a replayed activity, an actor gone, a deleted actor row, a
 * crash between two writes — on both engines.
 */
describeEachEngine("insights rollups", (getDb) => {
  let h: SocialHarness;
  let insights: InsightsModule;
  before(async () => {
    h = await createSocialHarness(getDb());
    insights = createInsightsModule(h.base, { social: h.social, reach: new FakeReach(), pageViews: new FakePageViews(), software: new FakeSoftware() });
  });
  after(async () => {
    await h.close();
  });

  const noDifferences = async (account: Account, zone = "UTC") => {
    const diff = await rollupDifferences(h.base.database.db, account.actorId, zone, h.clock.now().getTime());
    for (const [table, rows] of Object.entries(diff)) assert.deepEqual(rows, [], `${table} differs from the recount`);
  };
  const totals = async (account: Account) => {
    const r = await insights.queries.report(account.id, { kind: "days", days: 7 });
    assert.ok(r.ok);
    return r.value.totals;
  };

  test("likes, repeats, undos and a replay are counted once and net, equal to the recount", async () => {
    const acme = await h.addAccount("acme");
    const post = await h.addPost(acme);
    const fan = await h.addRemote("fan", "one.example");
    const other = await h.addRemote("other", "two.example");
    const like = { type: "Like", id: "https://one.example/likes/1", actor: fan.uri, object: post.uri };
    assert.deepEqual(await h.receive(fan, like), { kind: "processed" });
    assert.equal((await h.receive(fan, like)).kind, "ignored", "the same delivery twice");
    await h.receive(other, { type: "Like", id: "https://two.example/likes/1", actor: other.uri, object: post.uri });
    await h.receive(other, { type: "EmojiReact", id: "https://two.example/r/1", actor: other.uri, object: post.uri, content: "👌" });
    await h.receive(other, { type: "Undo", id: "https://two.example/u/1", actor: other.uri, object: { type: "Like", id: "https://two.example/likes/1", actor: other.uri, object: post.uri } });
    // The Undo replayed, and the undone Like replayed: neither changes anything.
    await h.receive(other, { type: "Undo", id: "https://two.example/u/1", actor: other.uri, object: { type: "Like", id: "https://two.example/likes/1", actor: other.uri, object: post.uri } });
    await h.receive(other, { type: "Like", id: "https://two.example/likes/1", actor: other.uri, object: post.uri });

    const t = await totals(acme);
    assert.equal(t.likes, 1);
    assert.equal(t.reactions, 1);
    assert.equal(t.interactions, t.likes + t.boosts + t.replies + t.quotes + t.reactions);
    await noDifferences(acme);
  });

  test("a Misskey Like with ❤ (the real fixture's shape) is a like; another emoji stays a reaction", async () => {
    const mika = await h.addAccount("mika");
    const post = await h.addPost(mika);
    const mk = await h.addRemote("mk", "misskey.example");
    const fixture = JSON.parse(readFileSync(new URL("misskey/like-reaction.json", ACTIVITYPUB_FIXTURES), "utf8")) as Record<string, unknown>;
    const likeOf = (id: string, reaction: string) => ({ ...fixture, id: `https://misskey.example/likes/${id}`, actor: mk.uri, object: post.uri, _misskey_reaction: reaction, content: reaction, tag: [] });
    for (const [id, heart] of [["a", "❤"], ["b", "❤️"], ["c", "♥"]] as const) {
      assert.deepEqual(await h.receive(mk, likeOf(id, heart)), { kind: "processed" });
      const stored = await h.social.interactions.findByActivityUri(`https://misskey.example/likes/${id}`);
      assert.equal(stored?.kind, "like", heart);
      assert.equal(stored?.content, null);
    }
    // The fixture as it is: a custom emoji reaction.
    assert.deepEqual(await h.receive(mk, { ...fixture, actor: mk.uri, object: post.uri }), { kind: "processed" });
    assert.equal((await h.social.interactions.findByActivityUri(String(fixture["id"])))?.kind, "react");
    const notes = await h.social.notifications.list("mika");
    assert.ok(notes.ok);
    assert.deepEqual(notes.value.map((n) => n.kind).sort(), ["like", "react"], "one like notification (the same actor's repeats do not notify again), one reaction");
    const t = await totals(mika);
    assert.deepEqual([t.likes, t.reactions], [3, 1]);
    await noDifferences(mika);
  });

  test("follows, unfollows and re-follows are followers gained and lost; an actor gone ends its follows", async () => {
    const nova = await h.addAccount("nova");
    const a = await h.addRemote("fa", "one.example");
    const b = await h.addRemote("fb", "two.example");
    await h.receive(a, { type: "Follow", id: "https://one.example/f/1", actor: a.uri, object: nova.uri });
    await h.receive(b, { type: "Follow", id: "https://two.example/f/1", actor: b.uri, object: nova.uri });
    await h.receive(a, { type: "Undo", id: "https://one.example/u/1", actor: a.uri, object: { type: "Follow", id: "https://one.example/f/1", actor: a.uri, object: nova.uri } });
    await h.receive(a, { type: "Follow", id: "https://one.example/f/2", actor: a.uri, object: nova.uri });
    await h.base.actorsGone.announce([b.id], "actor", h.clock.now().toISOString());
    const t = await totals(nova);
    assert.deepEqual([t.followersGained, t.followersLost, t.followersNet, t.followers], [3, 2, 1, 1]);
    await noDifferences(nova);
  });

  test("a crash between two writes of a transaction leaves neither the entry nor its count", async () => {
    const orbit = await h.addAccount("orbit");
    const post = await h.addPost(orbit);
    const fan = await h.addRemote("crash", "one.example");
    await assert.rejects(
      h.base.database.db.transaction().execute(async (trx) => {
        await h.social.interactions.record({ kind: "like", postId: post.id, actorId: fan.id, activityUri: "https://one.example/likes/crash", at: h.clock.now().toISOString() }, trx);
        throw new Error("worker killed");
      }),
      /worker killed/,
    );
    assert.equal(await h.social.interactions.findByActivityUri("https://one.example/likes/crash"), null);
    assert.equal((await totals(orbit)).likes, 0);
    // The job's retry records it once.
    await h.receive(fan, { type: "Like", id: "https://one.example/likes/crash", actor: fan.uri, object: post.uri });
    assert.equal((await totals(orbit)).likes, 1);
    await noDifferences(orbit);
  });

  test("replies and quotes (and mentions, which are not counted) through the ledger port", async () => {
    const quill = await h.addAccount("quill");
    const post = await h.addPost(quill);
    const writer = await h.addRemote("writer", "one.example");
    const at = h.clock.now().toISOString();
    for (const kind of ["reply", "quote", "mention", "vote"] as const) {
      await h.social.interactions.record({ kind, postId: post.id, actorId: writer.id, activityUri: `https://one.example/notes/${kind}`, objectUri: `https://one.example/notes/${kind}`, at });
    }
    await h.social.interactions.undo("https://one.example/notes/quote", writer.id, at);
    const t = await totals(quill);
    assert.deepEqual([t.replies, t.quotes, t.interactions], [1, 0, 1]);
    await noDifferences(quill);
  });

  test("a deleted actor row (its ledger entries cascade away) is found by the recount and corrected by repair", async () => {
    const vega = await h.addAccount("vega");
    const post = await h.addPost(vega);
    const gone = await h.addRemote("deleted", "three.example");
    const stays = await h.addRemote("stays", "three.example");
    await h.receive(gone, { type: "Like", id: "https://three.example/likes/g", actor: gone.uri, object: post.uri });
    await h.receive(stays, { type: "Like", id: "https://three.example/likes/s", actor: stays.uri, object: post.uri });
    await sql`DELETE FROM actors WHERE id = ${gone.id}`.execute(h.base.database.db);
    const diff = await rollupDifferences(h.base.database.db, vega.actorId, "UTC", h.clock.now().getTime());
    assert.ok(diff.insights_days.length > 0, "the ledger lost an entry the rollups still count");
    const corrections = await insights.repairRollups();
    assert.ok(corrections.some((c) => c.scope === vega.actorId && c.name === "insights.days"));
    await noDifferences(vega);
    assert.equal((await totals(vega)).likes, 1);
    assert.deepEqual(await recountAccount(h.base.database.db, vega.actorId, "UTC", h.clock.now().getTime()), [], "a second recount corrects nothing");
  });

  test("after HEROLD_ANALYTICS_RAW_DAYS a post's distinct accounts and servers are stored as counts; a later interaction unfolds it", async () => {
    const olde = await h.addAccount("olde");
    const start = h.clock.now().getTime();
    h.clock.set(new Date(start - 100 * 86_400_000));
    const post = await h.addPost(olde);
    const a = await h.addRemote("olda", "one.example");
    const b = await h.addRemote("oldb", "one.example");
    await h.receive(a, { type: "Like", id: "https://one.example/likes/o1", actor: a.uri, object: post.uri });
    await h.receive(a, { type: "EmojiReact", id: "https://one.example/r/o1", actor: a.uri, object: post.uri, content: "👍" });
    h.clock.set(new Date(start));
    const rollups = new InsightsRepository(h.base.database.db);
    const deps = { rollups, interactions: h.social.interactions, rawDays: 90 };
    assert.equal(await foldOnce(deps, h.clock.now()), 1);
    assert.equal(await foldOnce(deps, h.clock.now()), 0, "nothing left to fold");
    const stored = (await rollups.posts([post.id])).get(post.id);
    assert.deepEqual([stored?.accounts, stored?.servers, stored?.interactions], [1, 1, 2]);
    const figures = await insights.queries.postFigures(olde.id, post.id);
    assert.ok(figures.ok);
    assert.deepEqual([figures.value.accounts, figures.value.servers], [1, 1]);

    await h.receive(b, { type: "Like", id: "https://one.example/likes/o2", actor: b.uri, object: post.uri });
    assert.equal((await rollups.posts([post.id])).get(post.id)?.accounts, null, "the stored counts no longer hold");
    const after = await insights.queries.postFigures(olde.id, post.id);
    assert.ok(after.ok);
    assert.deepEqual([after.value.accounts, after.value.servers, after.value.likes], [2, 1, 2]);
    assert.equal(await foldOnce(deps, h.clock.now()), 1);
    assert.equal((await rollups.posts([post.id])).get(post.id)?.accounts, 2);
    await noDifferences(olde);
  });

  test("a time zone change recounts the account's days in its zone", async () => {
    const kiwi = await h.addAccount("kiwi");
    const post = await h.addPost(kiwi);
    const fan = await h.addRemote("kiwifan", "one.example");
    // 10:00 UTC on 1 March is 23:00 in Auckland (UTC+13): the day before 2 March there… and 11:00 UTC is 00:00 on 2 March.
    await h.receive(fan, { type: "Like", id: "https://one.example/likes/k1", actor: fan.uri, object: post.uri });
    h.clock.advance(3_600_000);
    await h.receive(fan, { type: "EmojiReact", id: "https://one.example/r/k2", actor: fan.uri, object: post.uri, content: "🥝" });
    const set = await insights.queries.setTimeZone(kiwi.id, "Pacific/Auckland");
    assert.ok(set.ok);
    await noDifferences(kiwi, "Pacific/Auckland");
    const r = await insights.queries.report(kiwi.id, { kind: "range", from: "2026-03-01", to: "2026-03-02" });
    assert.ok(r.ok);
    assert.deepEqual(r.value.days.map((d) => [d.date, d.likes, d.reactions]), [["2026-03-01", 1, 0], ["2026-03-02", 0, 1]]);
    // A new entry after the change is counted in the new zone by the write path too.
    await h.receive(fan, { type: "Like", id: "https://one.example/likes/k3", actor: fan.uri, object: post.uri });
    await noDifferences(kiwi, "Pacific/Auckland");
    const bad = await insights.queries.setTimeZone(kiwi.id, "Mars/Olympus");
    assert.ok(!bad.ok);
    h.clock.advance(-3_600_000);
  });
});
