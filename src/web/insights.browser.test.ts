import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { FAKE_POST_ID } from "./testing/fake-insights.ts";
import { launchChromium, NO_CHROMIUM, recordingContext } from "./testing/browser.ts";
import { startInsightsInstance, type InsightsInstance } from "./testing/insights-instance.ts";
import { setUpOwner } from "./testing/web-client.ts";

/**
 * The Insights pages in a real browser (Debian's Chromium), as a marketing person would use them:
 * the charts are rendered, the tables open, the period selector works without script, a download
 * arrives as a file, phones need no sideways scrolling, and no request leaves the app's origin.
 * `HEROLD_SCREENSHOTS=1` writes the screens to docs/screenshots/ (desktop and phone width).
 */
const SCREENSHOTS = process.env.HEROLD_SCREENSHOTS === "1";
const SCREENSHOT_DIR = new URL("../../docs/screenshots/", import.meta.url);

describe("Insights in a browser", { skip: NO_CHROMIUM, timeout: 300_000 }, () => {
  let a: InsightsInstance;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let requests: string[] = [];
  let offOrigin: () => string[];

  const shot = async (name: string) => {
    if (!SCREENSHOTS) return;
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    await page.screenshot({ path: new URL(`${name}.png`, SCREENSHOT_DIR).pathname, fullPage: true });
  };
  const go = async (path: string) => {
    const response = await page.goto(a.origin + path);
    assert.ok(response !== null && response.status() === 200, `${path}: ${response?.status()}`);
  };

  before(async () => {
    a = await startInsightsInstance();
    // Signed in through the real setup form over HTTP; the browser gets that session's cookie.
    const owner = await setUpOwner(a, { email: "owner@acme.example", password: "owner's long password", account_username: "acme", account_name: "ACME Rockets" });
    browser = await launchChromium();
    const recorded = await recordingContext(browser, a.origin, { timezoneId: "Europe/Berlin", locale: "en-GB", acceptDownloads: true });
    context = recorded.context;
    requests = recorded.requests;
    offOrigin = recorded.offOrigin;
    await context.addCookies([{ name: "herold_session", value: owner.cookie("herold_session")!, url: a.origin, httpOnly: true, sameSite: "Lax" }]);
    page = await context.newPage();
  });

  after(async () => {
    await browser?.close();
    await a?.close();
  });

  test("the overview: navigation, cards, two rendered charts with their tables, the heat map", async () => {
    await go("/app");
    // The home links Insights too (its figures block); this is the navigation's link.
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Insights" }).click();
    await page.waitForURL(`${a.origin}/app/insights`);
    assert.equal(await page.locator("main h1").innerText(), "Insights for @acme");
    assert.equal(await page.locator(".card").count(), 4);
    assert.match(await page.locator(".card").first().innerText(), /(Up|Down|No change) .* previous period/);
    const charts = page.getByRole("img");
    assert.equal(await charts.count(), 2);
    for (const name of ["Followers per day", "Interactions per day by kind"]) {
      const chart = page.getByRole("img", { name });
      const box = await chart.boundingBox();
      assert.ok(box !== null && box.width > 300 && box.height > 100, `${name} is drawn: ${JSON.stringify(box)}`);
    }
    // The bars and the line are really drawn (not just present): they have size on the screen.
    const bar = await page.locator('svg g[class="k-likes"] rect').first().boundingBox();
    assert.ok(bar !== null && bar.height > 0 && bar.width > 0);
    const line = await page.locator("svg path.line").boundingBox();
    assert.ok(line !== null && line.width > 300);
    await shot("11-insights");
    // The same numbers as a table, collapsed until asked for.
    const table = page.getByRole("region", { name: "Followers per day" });
    assert.equal(await table.isVisible(), false);
    await page.getByText("Followers per day as a table").click();
    assert.equal(await table.isVisible(), true);
    assert.ok((await table.locator("tbody tr").count()) === 30);
    const heat = page.getByRole("region", { name: "Interactions by hour of the week" });
    assert.equal(await heat.locator("tbody tr").count(), 7);
    assert.equal(await heat.locator("td").count(), 7 * 24);
    assert.ok((await page.locator(".best-hours li").count()) > 0);
  });

  test("the period selector works without script, by preset and by range", async () => {
    await go("/app/insights");
    await page.getByRole("combobox", { name: "Period", exact: true }).selectOption("7");
    await page.getByRole("button", { name: "Show", exact: true }).click();
    await page.waitForURL(/\/app\/insights\?days=7$/);
    assert.equal(await page.locator(`[aria-label="Followers per day"] tbody tr`).count(), 7);
    await page.getByLabel("From", { exact: true }).fill("2026-11-01");
    await page.getByLabel("To", { exact: true }).fill("2026-11-14");
    await page.getByRole("button", { name: "Show range" }).click();
    await page.waitForURL(/\/app\/insights\?from=2026-11-01&to=2026-11-14$/);
    assert.equal(await page.locator(`[aria-label="Followers per day"] tbody tr`).count(), 14);
    assert.deepEqual(a.fake.calls.at(-1)?.period, { kind: "range", from: "2026-11-01", to: "2026-11-14" });
  });

  test("a table's CSV download arrives as a file with the table's header", async () => {
    await go("/app/insights?days=30");
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "CSV (the hashtags)" }).click()]);
    assert.match(download.suggestedFilename(), /^acme-hashtags-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}\.csv$/);
    const path = await download.path();
    assert.equal(readFileSync(path, "utf8").split("\r\n")[0], "tag,posts,interactions");
  });

  test("a top post opens its page: curve, hourly chart, reach and the accounts that interacted", async () => {
    await go("/app/insights");
    await page.locator(`a[href="/app/insights/posts/${FAKE_POST_ID}"]`).first().click();
    await page.waitForURL(`${a.origin}/app/insights/posts/${FAKE_POST_ID}`);
    assert.equal(await page.locator("main h1").innerText(), "Post insights");
    const chart = page.getByRole("img", { name: "Interactions per hour in the first 7 days after publication" });
    const box = await chart.boundingBox();
    assert.ok(box !== null && box.width > 300);
    assert.ok((await page.locator("svg g.k-all rect").count()) > 0);
    const curve = await page.getByRole("img", { name: "Interactions so far, hour by hour, over the first 7 days" }).locator("path.line").boundingBox();
    assert.ok(curve !== null && curve.width > 300 && curve.height > 50, "the curve rises");
    assert.match(await page.locator("main").innerText(), /Followers reached/);
    const ann = page.getByRole("link", { name: "Ann <Analyst>" });
    assert.equal(await ann.getAttribute("href"), "https://mastodon.example/@ann");
    await shot("12-insights-post");
    await go("/app/insights/about");
    assert.match(await page.locator("main").innerText(), /ActivityPub carries no such signal/);
  });

  test("at phone width nothing scrolls sideways; the charts shrink and wide tables scroll inside themselves", async () => {
    await page.setViewportSize({ width: 360, height: 780 });
    for (const path of ["/app/insights", "/app/insights?days=365", `/app/insights/posts/${FAKE_POST_ID}`, "/app/insights/about"]) {
      await go(path);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(overflow <= 0, `${path} is ${overflow}px wider than the screen`);
    }
    await go("/app/insights");
    const chart = await page.getByRole("img", { name: "Followers per day" }).boundingBox();
    assert.ok(chart !== null && chart.width <= 360 && chart.width > 250, JSON.stringify(chart));
    await shot("13-phone-insights");
    await page.setViewportSize({ width: 1200, height: 900 });
  });

  test("no Insights page contacted any other origin", async () => {
    assert.ok(requests.some((url) => url.includes("/app/assets/app.css")));
    assert.ok(requests.some((url) => url.includes("/app/insights/posts/")));
    assert.deepEqual(offOrigin(), []);
  });
});
