import assert from "node:assert/strict";
import { test } from "node:test";
import { startTags } from "./markup-check.ts";
import { pollResults } from "./poll.template.ts";

test("poll results: a bar, count and share per option, escaped option texts, no inline style", () => {
  const html = pollResults({ options: [{ name: "<b>Yes</b>", votes: 3 }, { name: "No", votes: 1 }], multiple: false, endsAt: "2026-03-02T10:00:00.000Z", voters: 4 }).toString();
  assert.match(html, /&lt;b&gt;Yes&lt;\/b&gt;<\/span> <span class="poll-count">75% · 3 votes/);
  assert.match(html, /No<\/span> <span class="poll-count">25% · 1 vote</);
  assert.match(html, /4 people voted · voting until <time datetime="2026-03-02T10:00:00.000Z">2026-03-02 10:00 UTC<\/time>/);
  const tags = startTags(html);
  assert.deepEqual(tags.filter((t) => t.name === "meter").map((t) => t.attributes.get("value")), ["75", "25"]);
  assert.ok(tags.every((t) => !t.attributes.has("style")));
});

test("multiple choice: shares of voters, so they may add up to more than 100", () => {
  const html = pollResults({ options: [{ name: "A", votes: 2 }, { name: "B", votes: 2 }], multiple: true, endsAt: null, voters: 2 }).toString();
  assert.match(html, /A<\/span> <span class="poll-count">100% · 2 votes/);
  assert.match(html, /2 people voted \(several choices allowed\)<\/figcaption>/);
});
