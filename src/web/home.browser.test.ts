import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { eventually, startTestInstances, type TestInstance } from "../testing/instance.ts";
import { launchChromium, NO_CHROMIUM, recordingContext, ShiftedClock } from "./testing/browser.ts";
import { fromWallTime, formatDate, formatTime, toWallTime } from "./time-zone.ts";
import { setUpOwner, type WebClient } from "./testing/web-client.ts";

/**
 * The channel's home in a real browser (issue #12, item 11), with data as a team would have it: a
 * post scheduled for 18:00 Europe/Berlin, a reply from bob on a second Herold (loopback) that waits
 * for an answer, and bob as a new follower. The person answers from the home and the reply leaves
 * the list; phones need no sideways scrolling; nothing is loaded from another origin.
 * `HEROLD_SCREENSHOTS=1` writes docs/screenshots/03-home.png and 21-phone-home.png.
 */
const SCREENSHOTS = process.env.HEROLD_SCREENSHOTS === "1";
const SCREENSHOT_DIR = new URL("../../docs/screenshots/", import.meta.url);
const ZONE = "Europe/Berlin";

describe("the channel's home in a browser", { skip: NO_CHROMIUM, timeout: 300_000 }, () => {
  const clock = new ShiftedClock();
  let a: TestInstance;
  let b: TestInstance;
  let owner: WebClient;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let requests: string[] = [];
  let offOrigin: () => string[];
  let replyText = "";
  let scheduledAt: Date;

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
    [a, b] = (await startTestInstances([{ clock }, {}])) as [TestInstance, TestInstance];
    owner = await setUpOwner(a, { email: "owner@acme.example", password: "owner's long password", account_username: "acme", account_name: "ACME Rockets" });
    const acmeUri = (await a.ctx.repos.accounts.findByUsername("acme"))!.uri;
    assert.ok((await b.ctx.services.accounts.create({ username: "bob", name: "Bob on B" })).ok);

    // A post scheduled for 18:00 in Berlin, two days ahead, through the composer's form.
    await owner.get("/app/compose");
    scheduledAt = fromWallTime({ ...toWallTime(new Date(clock.now().getTime() + 2 * 86_400_000), ZONE), hour: 18, minute: 0 }, ZONE);
    const wall = toWallTime(scheduledAt, ZONE);
    const scheduled = await owner.post("/app/compose", { text: "Launch week starts: watch the countdown", visibility: "public", action: "schedule", schedule_date: formatDate(wall), schedule_time: formatTime(wall), time_zone: ZONE });
    assert.equal(scheduled.status, 303);

    // Bob on B follows acme and replies to its post.
    const published = await a.ctx.posts.service.publish({ username: "acme", text: "Our new rocket flies next week. Questions?" });
    assert.ok(published.ok);
    assert.ok((await b.ctx.social.follows.follow("bob", acmeUri)).ok);
    const acmeActor = (await a.ctx.repos.accounts.findByUsername("acme"))!.actorId;
    await eventually(async () => (await a.ctx.social.followers.counts(acmeActor)).followers === 1, 60_000, "bob's follow accepted on A");
    replyText = "Will there be a livestream of the launch?";
    const reply = await b.ctx.posts.service.publish({ username: "bob", text: replyText, replyTo: published.value.uri });
    assert.ok(reply.ok, JSON.stringify(reply));
    await eventually(async () => (await a.ctx.repos.posts.findByUri(reply.value.uri)) !== null, 60_000, "bob's reply stored on A");

    browser = await launchChromium();
    const recorded = await recordingContext(browser, a.origin, { timezoneId: ZONE, locale: "en-GB" });
    context = recorded.context;
    requests = recorded.requests;
    offOrigin = recorded.offOrigin;
    await context.addCookies([{ name: "herold_session", value: owner.cookie("herold_session")!, url: a.origin, httpOnly: true, sameSite: "Lax" }]);
    page = await context.newPage();
  });

  after(async () => {
    await browser?.close();
    await Promise.all([a?.close(), b?.close()]);
  });

  test("the home shows what is scheduled next (in Berlin time), what needs a reply and the new follower", async () => {
    await page.setViewportSize({ width: 1200, height: 900 });
    await go("/app");
    assert.equal(await page.locator("main h1").innerText(), "Home");
    assert.match(await page.locator("main .hint").first().innerText(), /What is happening at @acme today/);
    const scheduled = page.locator("section", { has: page.getByRole("heading", { name: "Scheduled next" }) });
    assert.match(await scheduled.innerText(), /18:00 Europe\/Berlin[\s\S]*Launch week starts/);
    assert.equal(await scheduled.locator("time").getAttribute("datetime"), scheduledAt.toISOString());
    const unanswered = page.locator("section", { has: page.getByRole("heading", { name: "Needs a reply" }) });
    assert.match(await unanswered.innerText(), new RegExp(`Bob on B[\\s\\S]*${replyText.replace("?", "\\?")}`));
    const news = page.locator("section", { has: page.getByRole("heading", { name: "In the last 7 days" }) });
    assert.match(await news.innerText(), /1 new follower/);
    assert.match(await news.innerText(), /1 reply/);
    const followers = page.locator("section", { has: page.getByRole("heading", { name: "Followers" }) });
    assert.match(await followers.innerText(), /^Followers\s+1\s+Up 1 in the last 7 days \(1 new, 0 left\)/);
    await shot("03-home");
  });

  test("answering from the home: Reply opens the composer for that post, and once sent the reply leaves the list", async () => {
    const card = page.locator("article.post", { hasText: replyText });
    await card.getByRole("link", { name: "Reply" }).click();
    await page.waitForURL(/\/app\/compose\?reply_to=/);
    await page.locator("#text").fill("Yes: on our profile page, from 17:30.");
    await page.getByRole("button", { name: "Publish now" }).click();
    await page.waitForURL(/done=published/);
    await go("/app");
    const unanswered = page.locator("section", { has: page.getByRole("heading", { name: "Needs a reply" }) });
    assert.match(await unanswered.innerText(), /Nothing waits for an answer/);
  });

  test("at phone width the home needs no sideways scrolling, and nothing came from another origin", async () => {
    await page.setViewportSize({ width: 360, height: 780 });
    await go("/app");
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `the home is ${overflow}px wider than the screen`);
    await shot("21-phone-home");
    assert.ok(requests.some((url) => url.includes("/app/assets/app.css")));
    assert.deepEqual(offOrigin(), []);
  });
});
