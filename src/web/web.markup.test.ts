import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { foreignReferences, startTags } from "../pages/markup-check.ts";
import { startTestInstance, type TestInstance } from "../testing/instance.ts";
import { setUpOwner, WebClient } from "./testing/web-client.ts";

/**
 * What every app page promises: nothing loaded from another origin, no inline script or style (the
 * CSP forbids them), one script and stylesheets from this origin, a label for every form control,
 * landmarks and one h1 — and little to download: well under 150 KB of JS and CSS on first load.
 */
describe("app pages: markup, accessibility basics and weight", { timeout: 120_000 }, () => {
  let a: TestInstance;
  let client: WebClient;
  const pages = [
    "/app", "/app/timeline", "/app/media", "/app/notifications", "/app/mentions", "/app/compose", "/app/compose?reply_to=https%3A%2F%2Fexample.org%2Fnote%2F1",
    "/app/drafts", "/app/calendar", "/app/calendar?view=week&date=2026-03-29", "/app/followers", "/app/following", "/app/profile", "/app/settings",
  ];

  before(async () => {
    a = await startTestInstance({ worker: false });
    client = await setUpOwner(a, { email: "owner@acme.example", password: "owner's long password", account_username: "acme" });
    await client.get("/app/compose");
    await client.post("/app/compose", { text: "A draft with <b>markup</b> & a link https://example.org/x", action: "draft" }, { files: {} });
  });

  after(async () => {
    await a?.close();
  });

  test("no page refers to another origin or carries inline script or style", async () => {
    for (const path of [...pages, "/app/login", "/app/setup"]) {
      const anonymous = path === "/app/login" || path === "/app/setup";
      const page = anonymous ? await new WebClient(a.origin).get(path) : await client.get(path);
      if (page.status === 303) continue; // setup is closed
      assert.equal(page.status, 200, path);
      const problems = foreignReferences(page.html, a.origin + path).filter((p) => p !== "script element");
      assert.deepEqual(problems, [], path);
      const scripts = startTags(page.html).filter((t) => t.name === "script");
      assert.equal(scripts.length, 1, path);
      assert.match(scripts[0]!.attributes.get("src") ?? "", /^\/app\/assets\/app\.js\?v=[0-9a-f]{16}$/);
      assert.match(page.html, /<script [^>]*><\/script>/, "the script element has no inline content");
    }
  });

  test("every visible form control has a label, and each page has landmarks and one h1", async () => {
    for (const path of pages) {
      const page = await client.get(path);
      const tags = startTags(page.html);
      const labelled = new Set(tags.filter((t) => t.name === "label").map((t) => t.attributes.get("for")));
      for (const control of tags.filter((t) => ["input", "select", "textarea"].includes(t.name))) {
        const type = control.attributes.get("type") ?? "";
        if (type === "hidden" || type === "checkbox") continue; // checkboxes sit inside their <label>
        assert.ok(labelled.has(control.attributes.get("id")), `${path}: <${control.name} name=${control.attributes.get("name")}> has no label`);
      }
      assert.equal(tags.filter((t) => t.name === "h1").length, 1, `${path}: one h1`);
      assert.ok(tags.some((t) => t.name === "main"), `${path}: main landmark`);
      assert.ok(tags.some((t) => t.name === "nav"), `${path}: navigation landmark`);
      assert.match(page.html, /<html lang="en">/);
      assert.match(page.html, /<meta name="viewport" content="width=device-width, initial-scale=1">/);
    }
  });

  test("first load is well under 150 KB of JavaScript and CSS, all cacheable", async () => {
    const page = await client.get("/app");
    const assets = startTags(page.html)
      .filter((t) => (t.name === "link" && t.attributes.get("rel") === "stylesheet") || t.name === "script")
      .map((t) => t.attributes.get("href") ?? t.attributes.get("src")!);
    assert.equal(assets.length, 3);
    let total = 0;
    for (const href of assets) {
      const response = await client.request(href);
      assert.equal(response.status, 200, href);
      assert.match(response.headers.get("cache-control") ?? "", /immutable/);
      total += (await response.arrayBuffer()).byteLength;
    }
    assert.ok(total < 150_000 / 4, `${total} bytes`);
  });

  test("user text is escaped in app pages", async () => {
    const drafts = await client.get("/app/drafts");
    assert.match(drafts.html, /A draft with &lt;b&gt;markup&lt;\/b&gt; &amp; a link/);
    assert.doesNotMatch(drafts.html, /<b>markup<\/b>/);
  });
});
