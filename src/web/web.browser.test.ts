import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import sharp from "sharp";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { SCHEDULE_QUEUE } from "../post/schedule/draft.entity.ts";
import { eventually, type TestInstance, startTestInstances } from "../testing/instance.ts";
import { fromWallTime, formatDate, formatTime, toWallTime } from "./time-zone.ts";
import { launchChromium, NO_CHROMIUM, recordingContext, ShiftedClock } from "./testing/browser.ts";

/**
 * The web app in a real browser (Debian's Chromium through playwright-core), against two complete
 * Herold instances on 127.0.0.1 that federate with each other. Every request any page makes is
 * recorded; the last test fails if one went to another origin than the app's.
 * `HEROLD_SCREENSHOTS=1` (npm run screenshots) also writes the main screens to docs/screenshots/.
 */
const SCREENSHOTS = process.env.HEROLD_SCREENSHOTS === "1";
const SCREENSHOT_DIR = new URL("../../docs/screenshots/", import.meta.url);
const ZONE = "Europe/Berlin";
const PASSWORD = "correct horse battery staple";

describe("web app in a browser", { skip: NO_CHROMIUM, timeout: 600_000 }, () => {
  const clock = new ShiftedClock();
  let a: TestInstance; // the organisation's Herold, used in the browser
  let b: TestInstance; // another server with bob
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let offOrigin: () => string[];
  let requests: string[] = [];
  const otherContexts: { context: BrowserContext; offOrigin(): string[] }[] = [];
  let bobUri = "";
  let acmeUri = "";
  let launchUri = "";

  const shot = async (name: string) => {
    if (!SCREENSHOTS) return;
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    await page.screenshot({ path: new URL(`${name}.png`, SCREENSHOT_DIR).pathname, fullPage: true });
  };
  const go = async (path: string) => {
    const response = await page.goto(a.origin + path);
    assert.ok(response !== null && response.status() < 400, `${path}: ${response?.status()}`);
  };

  before(async () => {
    [a, b] = (await startTestInstances([{ clock }, {}])) as [TestInstance, TestInstance];
    const bob = await b.ctx.services.accounts.create({ username: "bob", name: "Bob on B" });
    assert.ok(bob.ok);
    bobUri = bob.value.uri;
    // Bob has an avatar on B: A's pages must show it through A's media proxy, never from B.
    const avatar = await sharp({ create: { width: 32, height: 32, channels: 3, background: "#aa3311" } }).png().toBuffer();
    const withAvatar = await b.ctx.web.profiles.update(bob.value, { name: "Bob on B", bio: "", fields: [], manuallyApprovesFollowers: false, discoverable: true, avatar, header: null });
    assert.ok(withAvatar.ok);
    browser = await launchChromium();
    const recorded = await recordingContext(browser, a.origin, { timezoneId: ZONE, locale: "en-GB" });
    context = recorded.context;
    offOrigin = recorded.offOrigin;
    requests = recorded.requests;
    page = await context.newPage();
  });

  after(async () => {
    await browser?.close();
    await Promise.all([a?.close(), b?.close()]);
  });

  test("first run: the setup page creates the owner and the organisation account, then it is closed", async () => {
    await page.goto(a.origin + "/app");
    assert.equal(new URL(page.url()).pathname, "/app/setup");
    await shot("01-setup");
    await page.getByLabel("Setup token").fill(a.setupToken!);
    await page.getByLabel("E-mail address").fill("owner@acme.example");
    await page.getByLabel("Sign-in name").fill("owner");
    await page.getByLabel("Your name").fill("Olga Owner");
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByLabel("Username on the Fediverse").fill("acme");
    await page.getByLabel("Display name").fill("ACME Rockets");
    await page.getByRole("button", { name: "Create owner" }).click();
    await page.waitForURL(a.origin + "/app");
    assert.match(await page.locator("main h1").innerText(), /Home/);
    const acme = await a.ctx.services.accounts.get("acme");
    assert.ok(acme);
    acmeUri = acme.uri;
    // Setup is over: the page now sends people to sign in.
    const again = await (await context.newPage()).goto(a.origin + "/app/setup");
    assert.equal(new URL(again!.url()).pathname, "/app/login");
  });

  test("a wrong password is refused; the right one signs in", async () => {
    const other = await recordingContext(browser, a.origin);
    otherContexts.push(other);
    const p = await other.context.newPage();
    await p.goto(a.origin + "/app/login");
    await p.getByLabel("E-mail address or sign-in name").fill("owner@acme.example");
    await p.getByLabel("Password").fill("not the password");
    const refused = p.waitForResponse((r) => r.url().endsWith("/app/login") && r.request().method() === "POST");
    await p.getByRole("button", { name: "Sign in" }).click();
    assert.equal((await refused).status(), 401);
    assert.match(await p.getByRole("alert").innerText(), /do not match/);
    assert.equal(await p.context().cookies().then((cs) => cs.some((c) => c.name === "herold_session")), false);
    await p.getByLabel("Password").fill(PASSWORD);
    await p.getByRole("button", { name: "Sign in" }).click();
    await p.waitForURL(a.origin + "/app");
    const session = (await p.context().cookies()).find((c) => c.name === "herold_session");
    assert.ok(session);
    assert.equal(session.httpOnly, true);
    assert.equal(session.sameSite, "Lax");
    await shot("02-login");
  });

  test("a forged CSRF token is refused and changes nothing", async () => {
    await go("/app/settings");
    await page.locator('form[action="/app/settings"] input[name="csrf"]').evaluate((input: HTMLInputElement) => {
      input.value = "forged-token";
    });
    await page.getByLabel("Time zone for scheduling and the calendar").selectOption("America/New_York");
    const response = page.waitForResponse((r) => r.url().endsWith("/app/settings") && r.request().method() === "POST");
    await page.getByRole("button", { name: "Save" }).click();
    assert.equal((await response).status(), 403);
    assert.match(await page.locator("body").innerText(), /CSRF check failed/);
    const owner = await a.ctx.web.userRepository.findCredentials("owner");
    assert.equal(owner?.user.timeZone, null);
  });

  test("the profile asks for manual approval; a follow request from another server is approved", async () => {
    await go("/app/profile");
    await page.getByLabel("Approve followers by hand").check();
    await page.getByRole("button", { name: "Save profile" }).click();
    await page.waitForURL(/\/app\/profile\?done=profile/);
    assert.equal((await a.ctx.services.accounts.get("acme"))?.manuallyApprovesFollowers, true);
    await shot("07-profile");

    const follow = await b.ctx.social.follows.follow("bob", acmeUri);
    assert.ok(follow.ok, follow.ok ? "" : follow.message);
    await eventually(async () => {
      const pending = await a.ctx.social.follows.listFollowers("acme", { pending: true });
      return pending.ok && pending.value.items.length === 1;
    }, 60_000, "the follow request at A");
    await go("/app/followers");
    await shot("06-followers");
    await page.getByRole("button", { name: /Approve Bob on B/ }).click();
    await page.waitForURL(/done=approved/);
    await eventually(async () => {
      const following = await b.ctx.social.follows.listFollowing("bob");
      return following.ok && following.value.items.some((f) => f.follow.state === "accepted");
    }, 60_000, "bob's follow to be accepted at B");
  });

  test("compose with a live preview and publish: the post arrives at the other server", async () => {
    await go("/app/compose");
    await page.getByLabel("Text").fill("Launch day! #rockets https://example.com/launch");
    await page.locator("[data-preview] .content").waitFor();
    assert.match(await page.locator("[data-preview] .content").innerHTML(), /href="http:\/\/127\.0\.0\.1:\d+\/tags\/rockets"/);
    assert.match(await page.locator("[data-count]").innerText(), /^\d+ characters left$/);
    await shot("04-compose");
    await page.getByRole("button", { name: "Publish now" }).click();
    await page.waitForURL(/done=published/);
    const uri = decodeURIComponent(/post=([^&]+)/.exec(page.url())![1]!);
    const arrived = await eventually(() => b.ctx.repos.posts.findByUri(uri).then((p) => p ?? undefined), 60_000, "the post at B");
    assert.match(arrived.contentHtml ?? "", /Launch day!/);
    launchUri = uri;
  });

  test("a click on a hashtag on a post page lands on the hashtag page with that post; the site root presents the account", async () => {
    const response = await page.goto(launchUri);
    assert.equal(response?.status(), 200);
    await page.getByRole("link", { name: "#rockets" }).first().click();
    await page.waitForURL(`${a.origin}/tags/rockets`);
    assert.equal(await page.locator("main h1").innerText(), "#rockets");
    assert.equal(await page.locator(`main article a.permalink[href="${launchUri}"]`).count(), 1);
    await shot("19-hashtag");
    await page.goto(a.origin + "/");
    assert.match(await page.locator("main").innerText(), /How to follow ACME Rockets/);
    // The copy button appears with JavaScript and copies the handle.
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: a.origin });
    await page.getByRole("button", { name: "Copy" }).first().click();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), `@acme@${a.domain}`);
    await shot("20-site-root");
    const missing = await page.goto(a.origin + "/no/such/page");
    assert.equal(missing?.status(), 404);
    assert.equal(await page.locator("main h1").innerText(), "Not found");
  });

  test("a published post is fixed in the app: edited (the other server gets the new text) and deleted after confirming", async () => {
    const typo = await a.ctx.posts.service.publish({ username: "acme", text: "Our rokcet flies on Friday" });
    assert.ok(typo.ok);
    const uri = typo.value.uri;
    await eventually(() => b.ctx.repos.posts.findByUri(uri).then((p) => p ?? undefined), 60_000, "the post at B");
    await go("/app/posts");
    await shot("18-sent-posts");
    const row = page.locator("ol.sent > li").filter({ hasText: "Our rokcet flies" });
    await row.getByRole("link", { name: "Edit" }).click();
    await page.getByLabel("Text").fill("Our rocket flies on Friday");
    await page.getByRole("button", { name: "Save and send the change" }).click();
    await page.waitForURL(/done=edited/);
    assert.match(await page.locator("main").innerText(), /Earlier versions/);
    await eventually(() => b.ctx.repos.posts.findByUri(uri).then((p) => (p?.contentHtml?.includes("Our rocket flies") ? p : undefined)), 60_000, "the Update at B");
    await page.getByRole("link", { name: "Delete…" }).click();
    assert.match(await page.locator("main h1").innerText(), /Delete this post\?/);
    await page.getByRole("link", { name: "Keep it" }).click();
    assert.equal((await a.ctx.repos.posts.findByUri(uri))?.state, "published", "keeping it deletes nothing");
    await page.getByRole("link", { name: "Delete…" }).click();
    await page.getByRole("button", { name: "Delete the post" }).click();
    await page.waitForURL(/\/app\/posts\?done=deleted/);
    await eventually(() => b.ctx.repos.posts.findByUri(uri).then((p) => (p?.state === "deleted" ? true : undefined)), 60_000, "the Delete at B");
  });

  test("an image with alt text is uploaded, stripped of metadata and published", async () => {
    const png = await sharp({ create: { width: 64, height: 48, channels: 3, background: "#2255aa" } })
      .png()
      .withMetadata({ exif: { IFD0: { Copyright: "secret camera owner" } } })
      .toBuffer();
    await go("/app/compose");
    await page.getByLabel("Text").fill("Our new logo");
    await page.locator('input[name="image_0"]').setInputFiles({ name: "logo.png", mimeType: "image/png", buffer: png });
    await page.getByLabel("Describe image 1 for people who cannot see it").fill("A blue rectangle, our new logo");
    await page.getByRole("button", { name: "Publish now" }).click();
    await page.waitForURL(/done=published/);
    const uri = decodeURIComponent(/post=([^&]+)/.exec(page.url())![1]!);
    const post = await a.ctx.repos.posts.findByUri(uri);
    assert.ok(post);
    const media = (await a.ctx.repos.posts.mediaOf([post.id])).get(post.id) ?? [];
    assert.equal(media.length, 1);
    assert.equal(media[0]!.description, "A blue rectangle, our new logo");
    const publicPage = await page.goto(uri);
    assert.equal(publicPage?.status(), 200);
    const img = page.locator("article img");
    assert.equal(await img.getAttribute("alt"), "A blue rectangle, our new logo");
    const src = await img.getAttribute("src");
    const file = await page.request.get(new URL(src!, a.origin).href);
    assert.equal(file.status(), 200);
    assert.doesNotMatch((await file.body()).toString("latin1"), /secret camera owner/);
    const remote = await eventually(() => b.ctx.repos.posts.findByUri(uri).then((p) => p ?? undefined), 60_000, "the image post at B");
    const remoteMedia = (await b.ctx.repos.posts.mediaOf([remote.id])).get(remote.id) ?? [];
    assert.equal(remoteMedia[0]?.description, "A blue rectangle, our new logo");
  });

  test("follow by URL, see the remote post in the home timeline, reply to it and like it", async () => {
    await go("/app/following");
    await page.getByLabel("Follow an account").fill(bobUri);
    await page.getByRole("button", { name: "Follow", exact: true }).click();
    await page.waitForURL(/done=followed/);
    await eventually(async () => {
      const list = await a.ctx.social.follows.listFollowing("acme");
      return list.ok && list.value.items.some((f) => f.follow.state === "accepted");
    }, 60_000, "acme's follow of bob to be accepted");
    const published = await b.ctx.posts.service.publish({ username: "bob", text: "Hello from server B, who builds rockets?" });
    assert.ok(published.ok);
    const bobPost = published.value.uri;
    await eventually(async () => {
      await go("/app/timeline");
      return (await page.getByText("Hello from server B").count()) > 0;
    }, 60_000, "bob's post in acme's home timeline");
    await shot("03-timeline");
    const avatarImg = page.locator("article.post", { hasText: "Hello from server B" }).locator(".byline img");
    assert.match((await avatarImg.getAttribute("src")) ?? "", /^\/media\/proxy\/[A-Za-z0-9_-]+\/[A-Za-z0-9_-]+$/);
    assert.ok(await avatarImg.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth === 32), "the proxied avatar loaded");
    const card = page.locator("article.post", { hasText: "Hello from server B" });
    await card.getByRole("button", { name: "Like" }).click();
    await page.waitForURL(/done=liked/);
    await eventually(async () => (await b.ctx.social.interactions.countsByPost(published.value.id)).like?.active === 1 || undefined, 20_000, "the like at B");
    await page.locator("article.post", { hasText: "Hello from server B" }).getByRole("link", { name: "Reply" }).click();
    await page.waitForURL(/\/app\/compose\?reply_to=/);
    assert.match(await page.locator("main").innerText(), /Replying to @bob@/);
    await page.getByLabel("Text").fill("We do! Launch is on Friday.");
    await page.getByRole("button", { name: "Publish now" }).click();
    await page.waitForURL(/done=published/);
    const replyUri = decodeURIComponent(/post=([^&]+)/.exec(page.url())![1]!);
    const reply = await eventually(() => b.ctx.repos.posts.findByUri(replyUri).then((p) => p ?? undefined), 60_000, "the reply at B");
    assert.equal(reply.inReplyToUri, bobPost);
  });

  test("notifications and mentions show what other servers did, each with reply, like and boost", async () => {
    const acmePosts = await a.ctx.repos.posts.listByActor((await a.ctx.services.accounts.get("acme"))!.actorId, { visibilities: ["public"], limit: 10 });
    const launch = acmePosts.items.find((p) => (p.sourceText ?? "").startsWith("Launch day!"))!;
    assert.ok((await b.ctx.posts.interactions.like("bob", launch.uri)).ok);
    // By actor URL: handles resolve through WebFinger over https only, and the test servers speak http.
    const mention = await b.ctx.posts.service.publish({ username: "bob", text: "when is the next launch?", mentions: [acmeUri] });
    assert.ok(mention.ok, mention.ok ? "" : mention.message);
    await eventually(async () => {
      await go("/app/notifications");
      const text = await page.locator("main").innerText();
      return /Bob on B @bob@\S+ liked your post/.test(text) && /Bob on B @bob@\S+ mentioned you/.test(text);
    }, 60_000, "the like and the mention in the notifications");
    await go("/app/mentions");
    const card = page.locator("article.post", { hasText: "when is the next launch?" });
    await card.getByRole("button", { name: "Like" }).waitFor();
    assert.equal(await card.getByRole("link", { name: "Reply" }).count(), 1);
    assert.equal(await card.getByRole("button", { name: "Boost" }).count(), 1);
    await shot("09-mentions");
  });

  test("schedule a post one minute ahead in the person's zone; the worker publishes it at that minute, once", async () => {
    // The next whole minute at least 30 s away, as a wall time in the browser's zone.
    const target = new Date(Math.ceil((clock.now().getTime() + 30_000) / 60_000) * 60_000 + 60_000);
    const wall = toWallTime(target, ZONE);
    await go("/app/compose");
    await page.getByLabel("Text").fill("Countdown: this post was scheduled.");
    await page.getByLabel("Date", { exact: true }).fill(formatDate(wall));
    await page.getByLabel("Time", { exact: true }).fill(formatTime(wall));
    await page.getByRole("button", { name: "Schedule" }).click();
    await page.waitForURL(/\/app\/calendar\?done=scheduled/);
    assert.match(await page.locator("main").innerText(), /Scheduled: Countdown/);
    await shot("05-calendar");
    const owner = await a.ctx.web.userRepository.findCredentials("owner");
    assert.equal(owner?.user.timeZone, ZONE, "the browser's zone became the person's setting");
    const acme = (await a.ctx.services.accounts.get("acme"))!;
    const [draft] = await a.ctx.web.schedule.list(acme, ["scheduled"]);
    assert.ok(draft);
    assert.equal(draft.scheduledAt, fromWallTime(wall, ZONE).toISOString());
    assert.equal(draft.scheduledAt, target.toISOString());
    await go("/app/drafts");
    await shot("08-drafts");

    // Not yet: the post waits in the queue for its minute, which the (fake) clock has not reached, so
    // no worker can claim it (claims take only due jobs: the queue's conformance suite pins that).
    const waiting = await a.ctx.database.db.selectFrom("jobs").select(["run_at", "locked_by"]).where("queue", "=", SCHEDULE_QUEUE).execute();
    assert.deepEqual(waiting.map((j) => [new Date(j.run_at).toISOString(), j.locked_by]), [[target.toISOString(), null]]);
    assert.ok(clock.now() < target);
    assert.equal((await a.ctx.web.schedule.get(acme, draft.id))?.state, "scheduled");
    clock.advance(target.getTime() - clock.now().getTime() + 1_000);
    const done = await eventually(async () => {
      const d = await a.ctx.web.schedule.get(acme, draft.id);
      return d?.state === "published" ? d : undefined;
    }, 60_000, "the worker to publish the scheduled post");
    const post = await a.ctx.repos.posts.findById(done.postId!);
    assert.ok(post && post.publishedAt !== null && post.publishedAt >= target.toISOString());
    await eventually(() => b.ctx.repos.posts.findByUri(post.uri).then((p) => p ?? undefined), 60_000, "the scheduled post at B");
    const copies = await a.ctx.database.db.selectFrom("posts").select("id").where("source_text", "=", "Countdown: this post was scheduled.").execute();
    assert.equal(copies.length, 1);
  });

  test("every screen fits a phone: no sideways scrolling at 360 px, and the keyboard reaches the main navigation", async () => {
    await page.setViewportSize({ width: 360, height: 780 });
    for (const path of ["/app", "/app/timeline", "/app/media", "/app/notifications", "/app/compose", "/app/calendar", "/app/calendar?view=week", "/app/drafts", "/app/followers", "/app/following", "/app/profile", "/app/settings", "/app/posts", "/app/settings/password"]) {
      await go(path);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(overflow <= 0, `${path} is ${overflow}px wider than the screen`);
    }
    await go("/app/compose");
    await shot("10-phone-compose");
    await page.setViewportSize({ width: 1200, height: 900 });
    await go("/app");
    await page.keyboard.press("Tab");
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), "Skip to content");
    await page.keyboard.press("Tab");
    await page.keyboard.press("Tab");
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), "Home");
  });

  test("no page contacted any other origin", async () => {
    await go("/app/notifications");
    await go("/app/calendar?view=week");
    // The recorder saw the app's own requests (so an empty list below means something)…
    assert.ok(requests.some((url) => url.includes("/app/assets/app.js")));
    assert.ok(requests.some((url) => url.includes("/media/proxy/")));
    // …and none to another origin, although the pages showed content and images from server B.
    const offending = [...offOrigin(), ...otherContexts.flatMap((c) => c.offOrigin())];
    assert.deepEqual(offending, []);
  });
});
