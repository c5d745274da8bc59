import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { foreignReferences, startTags } from "../pages/markup-check.ts";
import { FAKE_POST_ID } from "./testing/fake-insights.ts";
import { startInsightsInstance, type InsightsInstance } from "./testing/insights-instance.ts";
import { setUpOwner, type WebClient } from "./testing/web-client.ts";

/**
 * What the Insights pages promise, as every app page does (web.markup.test.ts): nothing from another
 * origin, no inline script or style, a label for every control, landmarks and one h1 — and charts that
 * are images with a title and a description, with the numbers also in a table. For an account with
 * figures and for one with nothing at all.
 */
describe("Insights pages: markup and accessibility basics", { timeout: 120_000 }, () => {
  let full: InsightsInstance;
  let empty: InsightsInstance;
  let fullClient: WebClient;
  let emptyClient: WebClient;
  const pages = ["/app/insights", "/app/insights?days=365", "/app/insights?from=2026-01-01&to=2026-01-01", `/app/insights/posts/${FAKE_POST_ID}`, "/app/insights/about", "/app/insights?days=nope", "/app/insights/posts/unknown"];

  before(async () => {
    [full, empty] = await Promise.all([startInsightsInstance(), startInsightsInstance({ empty: true })]);
    [fullClient, emptyClient] = await Promise.all([
      setUpOwner(full, { email: "owner@acme.example", password: "owner's long password", account_username: "acme" }),
      setUpOwner(empty, { email: "owner@acme.example", password: "owner's long password", account_username: "acme" }),
    ]);
  });

  after(async () => {
    await Promise.all([full?.close(), empty?.close()]);
  });

  const check = async (client: WebClient, origin: string, path: string) => {
    const page = await client.get(path);
    assert.ok([200, 400, 404].includes(page.status), `${path}: ${page.status}`);
    assert.deepEqual(foreignReferences(page.html, origin + path).filter((p) => p !== "script element"), [], path);
    const tags = startTags(page.html);
    assert.equal(tags.filter((t) => t.name === "script").length, 1, path);
    const labelled = new Set(tags.filter((t) => t.name === "label").map((t) => t.attributes.get("for")));
    for (const control of tags.filter((t) => ["input", "select", "textarea"].includes(t.name) && t.attributes.get("type") !== "hidden")) {
      assert.ok(labelled.has(control.attributes.get("id")), `${path}: <${control.name} name=${control.attributes.get("name")}> has no label`);
    }
    assert.equal(tags.filter((t) => t.name === "h1").length, 1, `${path}: one h1`);
    assert.ok(tags.some((t) => t.name === "main") && tags.some((t) => t.name === "nav"), `${path}: landmarks`);
    // Ids are unique (the charts' aria-labelledby points at them).
    const ids = tags.map((t) => t.attributes.get("id")).filter((id): id is string => id !== undefined);
    assert.equal(new Set(ids).size, ids.length, `${path}: duplicate ids`);
    for (const svg of tags.filter((t) => t.name === "svg")) {
      assert.equal(svg.attributes.get("role"), "img", path);
      const [titleId = "", descId = ""] = (svg.attributes.get("aria-labelledby") ?? "").split(" ");
      assert.ok(ids.includes(titleId) && ids.includes(descId), `${path}: the chart's title and desc exist`);
      assert.match(svg.attributes.get("viewbox") ?? svg.attributes.get("viewBox") ?? "", /^0 0 \d+ \d+$/, "scales with its container");
      assert.equal(svg.attributes.get("width"), undefined, "no fixed width: it fits a phone");
    }
    // Every table that scrolls is reachable by keyboard and named.
    for (const region of tags.filter((t) => t.attributes.get("class") === "table-scroll")) {
      assert.equal(region.attributes.get("tabindex"), "0");
      assert.ok((region.attributes.get("aria-label") ?? "") !== "");
    }
    return page;
  };

  test("pages with figures: clean markup, and each chart has its table", async () => {
    for (const path of pages) await check(fullClient, full.origin, path);
    const overview = await fullClient.get("/app/insights");
    assert.equal([...overview.html.matchAll(/<svg /g)].length, 2);
    assert.equal([...overview.html.matchAll(/<details><summary>[^<]+ as a table<\/summary>/g)].length, 2);
    assert.match(overview.html, /<rect /, "the bars are drawn");
    assert.match(overview.html, /<path class="line k-followers" d="M[\d.,]+L/, "the line is drawn");
    const post = await fullClient.get(`/app/insights/posts/${FAKE_POST_ID}`);
    assert.equal([...post.html.matchAll(/<svg /g)].length, 2, "the curve and the hourly bars");
    assert.equal([...post.html.matchAll(/<details><summary>[^<]+ as a table<\/summary>/g)].length, 2);
  });

  test("an account with nothing: all zeros, said plainly, same clean markup", async () => {
    for (const path of pages) await check(emptyClient, empty.origin, path);
    const overview = await emptyClient.get("/app/insights");
    assert.equal(overview.status, 200);
    const figures = [...overview.html.matchAll(/<p class="figure">([^<]+)<\/p>/g)].map((m) => m[1]);
    assert.deepEqual(figures, ["0", "0", "0.0 %", "0"]);
    assert.equal([...overview.html.matchAll(/<p class="change same">No change/g)].length, 4);
    assert.match(overview.html, /No posts with interactions in this period\./);
    assert.match(overview.html, /Not enough interactions yet to say\./);
    assert.match(overview.html, /No followers or interactions from other servers yet\./);
    assert.doesNotMatch(overview.html, /NaN|Infinity|undefined/);
    assert.equal((await emptyClient.get(`/app/insights/posts/${FAKE_POST_ID}`)).status, 404);
  });

  test("the app's JS and CSS stay well under the 150 KB first-load budget with Insights", async () => {
    const page = await fullClient.get("/app/insights");
    const assets = startTags(page.html)
      .filter((t) => (t.name === "link" && t.attributes.get("rel") === "stylesheet") || t.name === "script")
      .map((t) => t.attributes.get("href") ?? t.attributes.get("src")!);
    let total = 0;
    for (const href of assets) total += (await (await fullClient.request(href)).arrayBuffer()).byteLength;
    assert.ok(total < 150_000 / 4, `${total} bytes`);
  });
});
