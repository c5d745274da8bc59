import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import sharp from "sharp";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { eventually, type TestInstance, startTestInstances } from "../testing/instance.ts";
import { launchChromium, NO_CHROMIUM, recordingContext, ShiftedClock } from "./testing/browser.ts";

/**
 * Issue #12 as a person in Europe/Berlin does it in a real browser (Debian's Chromium), against one
 * Herold on 127.0.0.1 whose clock is moved to the weekend the clocks change (28 March 2027):
 * the zone is detected and confirmed before the first schedule, 18:00 is published at 17:00 UTC on
 * Saturday and at 16:00 UTC on Sunday, every label says "18:00 Europe/Berlin"; an over-limit submit
 * keeps its images and alt texts; Preview saves nothing and shows what will be sent; delete asks first.
 */
const ZONE = "Europe/Berlin";
const PASSWORD = "correct horse battery staple";
const SATURDAY = "2027-03-27";
const SUNDAY = "2027-03-28";
/** `npm run screenshots` also writes this file's screens to docs/screenshots/. */
const SCREENSHOTS = process.env.HEROLD_SCREENSHOTS === "1";
const SCREENSHOT_DIR = new URL("../../docs/screenshots/", import.meta.url);

describe("composing in a browser: time zones, refused submits, preview, delete", { skip: NO_CHROMIUM, timeout: 600_000 }, () => {
  const clock = new ShiftedClock();
  let a: TestInstance;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let offOrigin: () => string[];
  const others: { offOrigin(): string[] }[] = [];
  const acme = async () => (await a.ctx.services.accounts.get("acme"))!;
  const go = async (path: string) => {
    const response = await page.goto(a.origin + path);
    assert.ok(response !== null && response.status() < 400, `${path}: ${response?.status()}`);
  };
  const png = (colour: string) => sharp({ create: { width: 40, height: 30, channels: 3, background: colour } }).png().toBuffer();
  const shot = async (name: string) => {
    if (!SCREENSHOTS) return;
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    await page.screenshot({ path: new URL(`${name}.png`, SCREENSHOT_DIR).pathname, fullPage: true });
  };
  const ownerZone = async () => (await a.ctx.web.userRepository.findCredentials("owner"))?.user.timeZone;

  before(async () => {
    // Saturday 09:00 UTC (10:00 in Berlin), the day before summer time starts.
    clock.advance(Date.parse(`${SATURDAY}T09:00:00.000Z`) - Date.now());
    [a] = (await startTestInstances([{ clock }])) as [TestInstance];
    browser = await launchChromium();
    const recorded = await recordingContext(browser, a.origin, { timezoneId: ZONE, locale: "en-GB" });
    context = recorded.context;
    offOrigin = recorded.offOrigin;
    page = await context.newPage();
    await page.goto(a.origin + "/app/setup");
    await page.getByLabel("Setup token").fill(a.setupToken!);
    await page.getByLabel("E-mail address").fill("owner@acme.example");
    await page.getByLabel("Sign-in name").fill("owner");
    await page.getByLabel("Your name").fill("Olga Owner");
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByLabel("Username on the Fediverse").fill("acme");
    await page.getByLabel("Display name").fill("ACME Rockets");
    await page.getByRole("button", { name: "Create owner" }).click();
    await page.waitForURL(a.origin + "/app");
  });

  after(async () => {
    await browser?.close();
    await a?.close();
  });

  test("the zone the browser reports is shown and confirmed before the first schedule; 18:00 Berlin is 17:00 UTC, and 16:00 UTC once summer time starts", async () => {
    // Before anything is scheduled: every page asks, with the browser's zone preselected; nothing is stored yet.
    await go("/app");
    assert.match(await page.locator(".zone-banner").innerText(), /Which time zone do you work in\?/);
    assert.equal(await page.getByLabel("Your time zone").inputValue(), ZONE);
    assert.equal(await ownerZone(), null);
    await shot("14-zone-confirm");
    await go("/app/compose");
    assert.equal(await page.getByLabel("Time zone", { exact: true }).inputValue(), ZONE);
    assert.match(await page.locator("[data-zone-hint]").innerText(), /Your browser says Europe\/Berlin/);

    const schedule = async (text: string, date: string, time: string) => {
      await go("/app/compose");
      await page.getByLabel("Text", { exact: true }).fill(text);
      await page.getByLabel("Date", { exact: true }).fill(date);
      await page.getByLabel("Time", { exact: true }).fill(time);
      await page.getByRole("button", { name: "Schedule" }).click();
    };
    await schedule("Winter hour", SATURDAY, "18:00");
    await page.waitForURL(/\/app\/calendar\?done=scheduled/);
    assert.equal(await page.getByRole("status").innerText(), "Post scheduled for Sat, 27 Mar 2027, 18:00 Europe/Berlin.");
    assert.equal(await ownerZone(), ZONE, "scheduling confirmed the zone");
    assert.equal(await page.locator(".zone-banner").count(), 0, "confirmed: no more question");
    await schedule("Summer hour", SUNDAY, "18:00");
    await page.waitForURL(/\/app\/calendar\?done=scheduled/);
    assert.equal(await page.getByRole("status").innerText(), "Post scheduled for Sun, 28 Mar 2027, 18:00 Europe/Berlin.");

    // 02:30 on Sunday does not exist in Berlin: refused with the reason, the text kept.
    await schedule("Ghost hour", SUNDAY, "02:30");
    assert.match(await page.getByRole("alert").innerText(), /02:30 on 2027-03-28 does not exist in Europe\/Berlin/);
    assert.equal(await page.getByLabel("Text", { exact: true }).inputValue(), "Ghost hour");

    const drafts = await a.ctx.web.schedule.list(await acme(), ["scheduled"]);
    const winter = drafts.find((d) => d.text === "Winter hour")!;
    const summer = drafts.find((d) => d.text === "Summer hour")!;
    assert.equal(winter.scheduledAt, "2027-03-27T17:00:00.000Z");
    assert.equal(summer.scheduledAt, "2027-03-28T16:00:00.000Z");
    assert.equal(drafts.length, 2);

    // Every label says 18:00 Europe/Berlin: calendar (month and week), drafts, the editor.
    await go(`/app/calendar?date=${SATURDAY}`);
    for (const text of ["Winter hour", "Summer hour"]) {
      assert.match(await page.locator("a.entry", { hasText: text }).innerText(), /^18:00 Europe\/Berlin Scheduled: /);
    }
    await go(`/app/calendar?view=week&date=${SATURDAY}`);
    assert.match(await page.locator("a.entry", { hasText: "Summer hour" }).innerText(), /^18:00 Europe\/Berlin/);
    await go("/app/drafts");
    assert.match(await page.locator("li", { hasText: "Winter hour" }).innerText(), /Scheduled for Sat, 27 Mar 2027, 18:00 Europe\/Berlin/);
    assert.match(await page.locator("li", { hasText: "Summer hour" }).innerText(), /Scheduled for Sun, 28 Mar 2027, 18:00 Europe\/Berlin/);
    await go(`/app/compose?draft=${summer.id}`);
    assert.match(await page.locator("main h1").innerText(), /^Edit scheduled post/);
    assert.match(await page.locator(".state.scheduled").innerText(), /Scheduled for Sun, 28 Mar 2027, 18:00 Europe\/Berlin/);
    assert.equal(await page.getByLabel("Time", { exact: true }).inputValue(), "18:00");

    // The worker publishes each at its minute: 17:00 UTC on Saturday, 16:00 UTC on Sunday.
    const publishedAt = async (id: string, at: string) => {
      clock.advance(Date.parse(at) - clock.now().getTime() + 1_000);
      const done = await eventually(async () => {
        const d = await a.ctx.web.schedule.get(await acme(), id);
        return d?.state === "published" ? d : undefined;
      }, 60_000, `the worker to publish at ${at}`);
      return (await a.ctx.repos.posts.findById(done.postId!))!.publishedAt!;
    };
    assert.equal((await publishedAt(winter.id, "2027-03-27T17:00:00.000Z")).slice(0, 16), "2027-03-27T17:00");
    assert.equal((await a.ctx.web.schedule.get(await acme(), summer.id))?.state, "scheduled", "Sunday's post waits for Sunday");
    assert.equal((await publishedAt(summer.id, "2027-03-28T16:00:00.000Z")).slice(0, 16), "2027-03-28T16:00");
    await go(`/app/calendar?date=${SATURDAY}`);
    for (const text of ["Winter hour", "Summer hour"]) {
      assert.match(await page.locator("a.entry", { hasText: text }).innerText(), /^18:00 Europe\/Berlin Published: /);
    }
  });

  test("an over-limit submit keeps the images and their alt texts; the next save keeps them once", async () => {
    await go("/app/compose");
    await page.getByLabel("Text", { exact: true }).fill("x".repeat(520));
    await page.locator('input[name="image_0"]').setInputFiles({ name: "red.png", mimeType: "image/png", buffer: await png("#aa2222") });
    await page.getByLabel("Describe image 1 for people who cannot see it").fill("A red rocket");
    await page.getByText("More images").click();
    await page.locator('input[name="image_1"]').setInputFiles({ name: "blue.png", mimeType: "image/png", buffer: await png("#2222aa") });
    await page.getByLabel("Describe image 2 for people who cannot see it").fill("A blue launch pad");
    const refused = page.waitForResponse((r) => r.url().endsWith("/app/compose") && r.request().method() === "POST");
    await page.getByRole("button", { name: "Save draft" }).click();
    assert.equal((await refused).status(), 422);
    assert.match(await page.getByRole("alert").innerText(), /the limit is 500/);
    assert.equal((await page.getByLabel("Text", { exact: true }).inputValue()).length, 520);
    await shot("15-refused-keeps-images");
    assert.equal(await page.getByLabel("Alt text for image 1").inputValue(), "A red rocket");
    assert.equal(await page.getByLabel("Alt text for image 2").inputValue(), "A blue launch pad");
    const thumbs = page.locator("fieldset img");
    assert.equal(await thumbs.count(), 2);
    for (const img of await thumbs.all()) assert.ok(await img.evaluate((i: HTMLImageElement) => i.complete && i.naturalWidth === 40), "the held image is shown");

    await page.getByLabel("Text", { exact: true }).fill("Launch pad ready");
    await page.getByLabel("Alt text for image 2").fill("A blue launch pad at dawn");
    await page.getByRole("button", { name: "Save draft" }).click();
    await page.waitForURL(/\/app\/drafts\?done=drafted/);
    const draft = (await a.ctx.web.schedule.list(await acme(), ["draft"])).find((d) => d.text === "Launch pad ready")!;
    assert.deepEqual(draft.media.map((m) => m.description), ["A red rocket", "A blue launch pad at dawn"]);
    assert.equal((await a.ctx.database.db.selectFrom("compose_uploads").select("media_id").execute()).length, 0, "nothing left held");
    const unattached = await a.ctx.database.db.selectFrom("media").select("id").where("post_id", "is", null).execute();
    assert.equal(unattached.length, 2, "each image stored once");
  });

  test("Preview shows the reply mention, the images with alt text and the content warning collapsed, and saves nothing; the reply mentions once", async () => {
    const bob = await a.ctx.services.accounts.create({ username: "bob", name: "Bob" });
    assert.ok(bob.ok);
    const parent = await a.ctx.posts.service.publish({ username: "bob", text: "Who builds rockets?" });
    assert.ok(parent.ok);
    await go(`/app/compose?reply_to=${encodeURIComponent(parent.value.uri)}`);
    const prefilled = await page.getByLabel("Text", { exact: true }).inputValue();
    assert.equal(prefilled, `@${bob.value.username}@${new URL(a.origin).host} `, "the reply box starts with the mention, as on Mastodon");
    await page.getByLabel("Text", { exact: true }).fill(`${prefilled}We do!`);
    await page.getByLabel(/^Content warning/).fill("Launch spoilers");
    await page.locator('input[name="image_0"]').setInputFiles({ name: "green.png", mimeType: "image/png", buffer: await png("#22aa22") });
    await page.getByLabel("Describe image 1 for people who cannot see it").fill("A green flare");
    const before = (await a.ctx.web.schedule.list(await acme(), ["draft", "scheduled", "failed"])).length;
    await page.getByRole("button", { name: "Preview" }).click();
    await page.locator("[data-preview] details.cw").waitFor();
    assert.equal((await a.ctx.web.schedule.list(await acme(), ["draft", "scheduled", "failed"])).length, before, "Preview saved no draft");
    // The script counts as the server does: the mention's @host:port is free (15 + 11 of 500).
    assert.equal(await page.locator("[data-count]").innerText(), "474 characters left");
    const cw = page.locator("[data-preview] details.cw");
    assert.equal(await cw.evaluate((d: HTMLDetailsElement) => d.open), false, "collapsed behind the warning");
    assert.match(await cw.locator("summary").innerText(), /Launch spoilers/);
    assert.equal(await cw.locator("img").getAttribute("alt"), "A green flare");
    assert.equal(await cw.locator("a.mention", { hasText: "@bob" }).count(), 1);
    await cw.locator("summary").click();
    assert.ok(await cw.locator("img").evaluate((i: HTMLImageElement) => i.complete && i.naturalWidth === 40), "the held image shows in the preview");
    await shot("16-preview-reply-cw");
    // Typing updates the preview live (the script), with the same images and alt text.
    await page.getByLabel("Describe image 1 for people who cannot see it").waitFor({ state: "detached" });
    await page.getByLabel("Alt text for image 1").fill("A green flare at night");
    await page.getByLabel("Text", { exact: true }).fill(`${prefilled}We do! Friday.`);
    await page.locator("[data-preview] .content", { hasText: "Friday." }).waitFor({ state: "attached" }); // collapsed again behind the warning
    assert.equal(await page.locator("[data-preview] details.cw img").getAttribute("alt"), "A green flare at night");

    await page.getByRole("button", { name: "Publish now" }).click();
    await page.waitForURL(/done=published/);
    const uri = decodeURIComponent(/post=([^&]+)/.exec(page.url())![1]!);
    const reply = (await a.ctx.repos.posts.findByUri(uri))!;
    assert.equal(reply.inReplyToUri, parent.value.uri);
    assert.equal((reply.contentHtml ?? "").match(/class="u-url mention"/g)?.length, 1, "the mention is sent once");
    assert.equal((await a.ctx.repos.posts.mediaOf([reply.id])).get(reply.id)?.[0]?.description, "A green flare at night", "the alt text as last typed");
  });

  test("deleting a draft asks first: a dialog with JavaScript, a confirmation page without", async () => {
    const make = async (text: string) => {
      const saved = await a.ctx.web.schedule.save(await acme(), { userId: null, role: "owner" }, null, { text, contentWarning: "", visibility: "public", language: "", replyTo: "", quote: "" });
      assert.ok(saved.ok);
      return saved.value;
    };
    const kept = await make("Keep me, please");
    await go("/app/drafts");
    page.once("dialog", (dialog) => void dialog.dismiss());
    await page.locator("li", { hasText: "Keep me, please" }).getByRole("link", { name: "Delete…" }).click();
    assert.equal((await a.ctx.web.schedule.get(await acme(), kept.id))?.state, "draft", "dismissed: still there");
    page.once("dialog", (dialog) => void dialog.accept());
    await page.locator("li", { hasText: "Keep me, please" }).getByRole("link", { name: "Delete…" }).click();
    await page.waitForURL(/done=deleted/);
    assert.equal(await a.ctx.web.schedule.get(await acme(), kept.id), null);

    const gone = await make("Delete me without JavaScript");
    const noJs = await recordingContext(browser, a.origin, { javaScriptEnabled: false, timezoneId: ZONE });
    others.push(noJs);
    await noJs.context.addCookies(await context.cookies());
    const p = await noJs.context.newPage();
    await p.goto(a.origin + "/app/drafts");
    await p.locator("li", { hasText: "Delete me without JavaScript" }).getByRole("link", { name: "Delete…" }).click();
    await p.waitForURL(new RegExp(`/app/drafts/${gone.id}/delete$`));
    assert.equal(await p.locator("main h1").innerText(), "Delete this draft?");
    if (SCREENSHOTS) await p.screenshot({ path: new URL("17-delete-confirm.png", SCREENSHOT_DIR).pathname, fullPage: true });
    assert.ok(await a.ctx.web.schedule.get(await acme(), gone.id), "asking deleted nothing");
    await p.getByRole("button", { name: "Delete draft" }).click();
    await p.waitForURL(/done=deleted/);
    assert.equal(await a.ctx.web.schedule.get(await acme(), gone.id), null);
    await noJs.context.close();
  });

  test("the navigation has the same height on every page, at desktop and at phone width", async () => {
    const paths = ["/app", "/app/notifications", "/app/mentions", "/app/compose", "/app/calendar", "/app/drafts", "/app/followers", "/app/following", "/app/profile", "/app/members", "/app/settings"];
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 900 });
      const heights = new Set<number>();
      for (const path of paths) {
        await go(path);
        heights.add(Math.round(await page.locator(".app-header").evaluate((h) => h.getBoundingClientRect().height)));
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        assert.ok(overflow <= 0, `${path} at ${width}px is ${overflow}px wider than the screen`);
      }
      assert.equal(heights.size, 1, `header heights at ${width}px: ${[...heights].join(", ")}`);
      // The current page's link is in view, also when the row scrolls sideways on a phone.
      const seen = await page.locator('.nav a[aria-current="page"]').evaluate((link) => {
        const nav = link.closest("nav")!.getBoundingClientRect();
        const box = link.getBoundingClientRect();
        return box.left >= nav.left - 1 && box.right <= nav.right + 1;
      });
      assert.ok(seen, `the Settings link is visible at ${width}px`);
      const [height] = heights;
      assert.ok(height! < (width === 390 ? 110 : 100), `the header takes ${height}px at ${width}px`);
    }
    await page.setViewportSize({ width: 1200, height: 900 });
  });

  test("the hashtag suggester offers a tag as first written and Enter picks it", async () => {
    assert.ok((await a.ctx.posts.service.publish({ username: "acme", text: "Countdown to #LaunchDay" })).ok);
    assert.ok((await a.ctx.posts.service.publish({ username: "acme", text: "still #launchday" })).ok);
    await go("/app/compose");
    const text = page.getByLabel("Text", { exact: true });
    await text.click();
    await text.pressSequentially("Ready for #laun");
    const first = page.locator("ul.suggestions button").first();
    await first.waitFor();
    assert.equal(await first.innerText(), "#LaunchDay");
    await text.press("Enter");
    assert.equal(await text.inputValue(), "Ready for #LaunchDay ");
    assert.equal(await page.locator("ul.suggestions").isHidden(), true);
  });

  test("no page contacted any other origin", () => {
    assert.deepEqual([...offOrigin(), ...others.flatMap((o) => o.offOrigin())], []);
  });
});
