import assert from "node:assert/strict";
import { test } from "node:test";
import { barChart, lineChart, stackedBars } from "./insights.charts.ts";
import { countChange, rateChange } from "./insights.format.ts";
import { addDays, dayNumber, parsePeriod, previousRange } from "./insights.period.ts";

const text = { id: "c", title: "T <b>", desc: "D & more" };
const rects = (svg: string) => [...svg.matchAll(/<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)">/g)].map((m) => ({ x: Number(m[1]), y: Number(m[2]), width: Number(m[3]), height: Number(m[4]) }));

test("stacked bars: each day's segments sit on each other and their heights are in proportion to the counts", () => {
  const svg = stackedBars(text, ["2026-12-01", "2026-12-02"], [
    { key: "k-likes", label: "Likes", values: [30, 10] },
    { key: "k-boosts", label: "Boosts", values: [10, 0] },
  ]).toString();
  const [likes1, likes2, boosts1] = rects(svg);
  assert.ok(likes1 && likes2 && boosts1);
  assert.equal(rects(svg).length, 3, "a zero draws no rectangle");
  assert.ok(Math.abs(likes1.height / likes2.height - 3) < 0.05);
  assert.ok(Math.abs(likes1.height / boosts1.height - 3) < 0.05);
  assert.ok(Math.abs(boosts1.y + boosts1.height - likes1.y) < 0.2, "the boosts sit on top of the likes");
  assert.equal(likes1.x, boosts1.x);
  assert.match(svg, /<title id="c-title">T &lt;b&gt;<\/title>/);
  assert.match(svg, /<desc id="c-desc">D &amp; more<\/desc>/);
});

test("charts of nothing, of one day and of a flat line draw no NaN and keep their axis", () => {
  const charts = [
    stackedBars(text, ["2026-12-01"], [{ key: "k-likes", label: "Likes", values: [0] }]),
    stackedBars(text, [], []),
    lineChart(text, ["1 Dec"], [0], "k-followers"),
    lineChart(text, ["1 Dec", "2 Dec"], [5, 5], "k-followers"),
    lineChart(text, ["1 h", "2 h"], [3, 3], "k-all", true),
    lineChart(text, [], [], "k-followers"),
    barChart(text, ["a", "b"], [0, 0], "k-all", 1),
  ].map(String);
  for (const svg of charts) {
    assert.doesNotMatch(svg, /NaN|Infinity|undefined/);
    assert.match(svg, /class="tick"[^>]*>0</, "the axis starts at 0");
  }
});

test("the followers line spans its values, so growth from 12,000 to 12,075 is visible", () => {
  const svg = lineChart(text, ["1 Dec", "2 Dec", "3 Dec"], [12_000, 12_040, 12_075], "k-followers").toString();
  const ys = [...svg.matchAll(/<circle class="dot k-followers" cx="[\d.]+" cy="([\d.]+)"/g)].map((m) => Number(m[1]));
  assert.equal(ys.length, 3);
  assert.ok(ys[0]! - ys[2]! > 100, `the line rises over most of the chart's height: ${ys.join(", ")}`);
  assert.doesNotMatch(svg, />0</, "the axis does not start at 0");
  const cumulative = lineChart(text, ["1 h", "2 h", "3 h"], [10, 15, 16], "k-all", true).toString();
  assert.match(cumulative, /class="tick"[^>]*>0</, "a running total starts at 0");
});

test("changes are said in words with the previous figure; no percentage of nothing", () => {
  assert.match(countChange(120, 100).toString(), /Up 20 \(\+20\.0 %\) from 100 in the previous period/);
  assert.match(countChange(75, 100).toString(), /class="change down".*Down 25 \(−25\.0 %\) from 100/);
  assert.match(countChange(12, 0).toString(), /Up 12 from 0 in the previous period/);
  assert.match(countChange(5, 5).toString(), /No change from 5/);
  assert.match(rateChange(0.052, 0.031).toString(), /Up 2\.1 percentage points from 3\.1 %/);
});

test("periods: preset days, inclusive ranges, real dates only, and the previous period of the same length", () => {
  const q = (params: Record<string, string>) => (name: string) => params[name];
  assert.deepEqual(parsePeriod(q({})), { ok: true, value: { kind: "days", days: 30 } });
  assert.deepEqual(parsePeriod(q({ days: "365" })), { ok: true, value: { kind: "days", days: 365 } });
  assert.deepEqual(parsePeriod(q({ from: "2026-03-01", to: "2026-03-01" })), { ok: true, value: { kind: "range", from: "2026-03-01", to: "2026-03-01" } });
  assert.equal(parsePeriod(q({ from: "2025-02-29", to: "2025-03-01" })).ok, false, "2025 has no 29 February");
  assert.equal(parsePeriod(q({ from: "2024-02-29", to: "2024-03-01" })).ok, true);
  assert.equal(dayNumber("2026-13-01"), null);
  assert.equal(addDays("2026-03-01", -1), "2026-02-28");
  assert.deepEqual(previousRange("2026-03-01", "2026-03-31"), { from: "2026-01-29", to: "2026-02-28" });
  assert.deepEqual(previousRange("2026-12-07", "2026-12-07"), { from: "2026-12-06", to: "2026-12-06" });
});
