import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { sql } from "kysely";
import * as migration from "../db/migrations/0017_insights.ts";
import { describeEachEngine } from "../testing/databases.ts";
import { createSocialHarness, type SocialHarness } from "../social/testing/social-harness.ts";
import { createInsightsModule } from "./insights.module.ts";
import { ROLLUP_TABLES } from "./insights.recount.ts";
import { FakePageViews, FakeReach, FakeSoftware } from "./testing/fake-ports.ts";

/**
 * Migration 0017 backfills the rollups from the existing ledger and follow history: a database
 * upgraded from before insights holds the rows the writes made (in UTC, every account's zone after
 * the upgrade). The instants are chosen where the SQL date arithmetic could go wrong: leap days,
 * the ends of months and years, the last quarter hour of a day.
 */
describeEachEngine("migration 0017: insights rollups of existing data", (getDb) => {
  let h: SocialHarness;
  before(async () => {
    h = await createSocialHarness(getDb());
    createInsightsModule(h.base, { social: h.social, reach: new FakeReach(), pageViews: new FakePageViews(), software: new FakeSoftware() });
  });
  after(() => h.close());

  test("the backfill equals what the writes counted, row for row", async () => {
    const acme = await h.addAccount("acme");
    h.clock.set("2024-02-28T12:00:00.000Z");
    const post = await h.addPost(acme);
    const instants = ["2024-02-29T23:59:59.999Z", "2024-03-01T00:00:00.000Z", "2024-12-31T23:45:00.000Z", "2025-01-01T00:14:59.999Z", "2025-03-01T06:30:00.000Z", "2100-02-28T23:15:00.000Z", "2100-03-01T00:00:00.000Z"];
    for (const [i, at] of instants.entries()) {
      h.clock.set(at);
      const fan = await h.addRemote(`fan${i}`, `s${i % 3}.example`);
      await h.receive(fan, { type: "Follow", id: `https://s${i % 3}.example/f/${i}`, actor: fan.uri, object: acme.uri });
      await h.receive(fan, { type: i % 2 === 0 ? "Like" : "EmojiReact", id: `https://s${i % 3}.example/l/${i}`, actor: fan.uri, object: post.uri, content: "🎉" });
      if (i % 3 === 0) await h.receive(fan, { type: "Undo", id: `https://s${i % 3}.example/u/${i}`, actor: fan.uri, object: { type: "Follow", id: `https://s${i % 3}.example/f/${i}`, actor: fan.uri, object: acme.uri } });
    }
    const db = h.base.database.db;
    const rows = async () => {
      const out: Record<string, unknown[]> = {};
      for (const table of ROLLUP_TABLES) {
        const result = await sql<Record<string, unknown>>`SELECT * FROM ${sql.table(table)} ORDER BY 1, 2, 3`.execute(db);
        // postgres.js returns bigint sums as text; compare numbers.
        // A server whose followers all left keeps a row of 0, which a count from the follows has no reason to write.
        out[table] = result.rows
          .filter((r) => !(table === "insights_followers" && Number(r["followers"]) === 0))
          .map((r) => JSON.stringify(Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === "string" && /^\d+$/.test(v) ? Number(v) : v]))));
      }
      return out;
    };
    const written = await rows();
    assert.equal(written["insights_days"]!.length, instants.length, "one day row per instant: the leap day's last millisecond is not 1 March");
    assert.ok(written["insights_heat"]!.length > 3);
    assert.equal(written["insights_followers"]!.length, 2, "s0's followers all left (every third undid its follow)");
    await migration.down(db);
    await migration.up(db);
    assert.deepEqual(await rows(), written);
  });
});
