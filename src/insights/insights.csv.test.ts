import assert from "node:assert/strict";
import { test } from "node:test";
import { statsCsv } from "./insights.csv.ts";
import type { StatsJson } from "./insights.report.ts";

const zero = { likes: 0, boosts: 0, replies: 0, quotes: 0, reactions: 0, interactions: 0, followersGained: 0, followersLost: 0, followersNet: 0, followers: 0, pageViews: 0 };

const report: StatsJson = {
  account: "acme", from: "2026-12-01", to: "2026-12-02",
  totals: zero, previous: zero,
  days: [{ date: "2026-12-01", ...zero, likes: 2, interactions: 2 }],
  posts: [],
  servers: [{ host: "=cmd|' /C calc'!A0", software: "mastodon", followers: 3, interactions: 1 }, { host: "a,b.example", software: null, followers: 1, interactions: 0 }],
};

test("the days table has a header and one row per day", () => {
  const lines = statsCsv(report, "days").trimEnd().split("\r\n");
  assert.equal(lines[0], "date,likes,boosts,replies,quotes,reactions,interactions,followersGained,followersLost,followersNet,followers,pageViews");
  assert.equal(lines[1], "2026-12-01,2,0,0,0,0,2,0,0,0,0,0");
});

test("a cell a spreadsheet would run as a formula is neutralised, and commas are quoted", () => {
  const lines = statsCsv(report, "servers").trimEnd().split("\r\n");
  assert.equal(lines[1], "'=cmd|' /C calc'!A0,mastodon,3,1");
  assert.equal(lines[2], '"a,b.example",,1,0');
});
