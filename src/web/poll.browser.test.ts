import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Browser, BrowserContext, Page } from "playwright-core";
import sharp from "sharp";
import { eventually, type TestInstance, startTestInstances } from "../testing/instance.ts";
import { launchChromium, NO_CHROMIUM, recordingContext } from "./testing/browser.ts";

/**
 * A poll written in the app (Debian's Chromium through playwright-core) on instance A arrives at
 * instance B as a Question with its options, end time and choice; the post page on A shows the
 * results as bars. Both instances are real Herold servers on 127.0.0.1; no page may contact
 * another origin.
 */
describe("polls in the web app", { skip: NO_CHROMIUM, timeout: 600_000 }, () => {
  let a: TestInstance;
  let b: TestInstance;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let offOrigin: () => string[];

  before(async () => {
    [a, b] = (await startTestInstances([{}, {}])) as [TestInstance, TestInstance];
    assert.ok((await b.ctx.services.accounts.create({ username: "bob" })).ok);
    browser = await launchChromium();
    const recorded = await recordingContext(browser, a.origin, { timezoneId: "Europe/Berlin", locale: "en-GB" });
    context = recorded.context;
    offOrigin = recorded.offOrigin;
    page = await context.newPage();
  });
  after(async () => {
    await browser?.close();
    await Promise.all([a?.close(), b?.close()]);
  });

  test("a poll composed in the app arrives at the other server as a Question; its page shows the results", async () => {
    await page.goto(a.origin + "/app");
    await page.getByLabel("Setup token").fill(a.setupToken!);
    await page.getByLabel("E-mail address").fill("owner@acme.example");
    await page.getByLabel("Sign-in name").fill("owner");
    await page.getByLabel("Your name").fill("Olga Owner");
    await page.getByLabel("Password").fill("correct horse battery staple");
    await page.getByLabel("Username on the Fediverse").fill("acme");
    await page.getByLabel("Display name").fill("ACME Rockets");
    await page.getByRole("button", { name: "Create owner" }).click();
    await page.waitForURL(a.origin + "/app");
    const acme = await a.ctx.services.accounts.get("acme");
    assert.ok(acme);
    const follow = await b.cli("follow", "bob", acme.uri);
    assert.equal(follow.code, 0, follow.err);
    // A sends the Create to accepted followers only: wait until A has accepted bob's follow.
    await eventually(
      async () => (await a.ctx.database.db.selectFrom("follows").select("state").where("followee_id", "=", acme.actorId).where("state", "=", "accepted").executeTakeFirst()) !== undefined,
      60_000,
      "bob's follow accepted on A",
    );

    await page.goto(a.origin + "/app/compose");
    await page.getByLabel("Text").fill("Which launch window do you prefer?");
    await page.locator("details.poll-compose > summary").click();
    await page.getByLabel("Add this poll to the post").check();
    await page.getByLabel("Option 1", { exact: true }).fill("Dawn");
    await page.getByLabel("Option 2", { exact: true }).fill("Dusk");
    await page.getByLabel("People may choose more than one option").check();
    await page.getByLabel("Poll runs for").selectOption({ label: "3 days" });
    await page.getByRole("button", { name: "Publish now" }).click();
    await page.waitForURL(/done=published/);
    const uri = decodeURIComponent(/post=([^&]+)/.exec(page.url())![1]!);

    const local = await a.ctx.repos.posts.findByUri(uri);
    assert.ok(local?.poll);
    assert.equal(Date.parse(local.poll.endsAt!) - Date.parse(local.publishedAt!), 3 * 86_400_000);
    const arrived = await eventually(() => b.ctx.repos.posts.findByUri(uri).then((p) => p ?? undefined), 60_000, "the poll at B");
    assert.equal(arrived.type, "Question");
    assert.deepEqual(arrived.poll, { options: [{ name: "Dawn", votes: 0 }, { name: "Dusk", votes: 0 }], multiple: true, endsAt: local.poll.endsAt, voters: 0 });

    await page.goto(uri);
    const results = page.getByRole("figure", { name: "Poll results" });
    assert.match(await results.innerText(), /Dawn\s+0% · 0 votes[\s\S]*Dusk\s+0% · 0 votes[\s\S]*0 people voted \(several choices allowed\)/);
    assert.equal(await results.locator("meter").count(), 2);
    assert.deepEqual(offOrigin(), []);
  });

  test("an image dropped on the composer and one pasted into the text are attached, with alt text", async () => {
    const png = (await sharp({ create: { width: 40, height: 30, channels: 3, background: "#2266aa" } }).png().toBuffer()).toString("base64");
    await page.goto(a.origin + "/app/compose");
    await page.getByLabel("Text").fill("Two views of the pad");
    const give = (event: "drop" | "paste", name: string) =>
      page.evaluate(
        ({ event, name, png }) => {
          const bytes = Uint8Array.from(atob(png), (c) => c.charCodeAt(0));
          const transfer = new DataTransfer();
          transfer.items.add(new File([bytes], name, { type: "image/png" }));
          const target = event === "drop" ? document.querySelector("form[data-compose]")! : document.getElementById("text")!;
          const e = event === "drop" ? new DragEvent("drop", { dataTransfer: transfer, bubbles: true, cancelable: true }) : new ClipboardEvent("paste", { clipboardData: transfer, bubbles: true, cancelable: true });
          target.dispatchEvent(e);
          return e.defaultPrevented;
        },
        { event, name, png },
      );
    assert.equal(await give("drop", "dropped.png"), true, "the drop is taken over");
    assert.equal(await page.evaluate(() => document.activeElement?.id), "image_alt_0", "the alt text field is focused");
    await page.keyboard.type("The pad at dawn");
    assert.equal(await give("paste", "pasted.png"), true, "the paste is taken over");
    await page.getByLabel("Describe image 2 for people who cannot see it").fill("The pad at dusk");
    assert.match(await page.locator("[aria-live]", { hasText: "image added" }).innerText(), /1 image added/);
    await page.getByRole("button", { name: "Publish now" }).click();
    await page.waitForURL(/done=published/);
    const uri = decodeURIComponent(/post=([^&]+)/.exec(page.url())![1]!);
    const post = await a.ctx.repos.posts.findByUri(uri);
    assert.ok(post);
    const media = (await a.ctx.repos.posts.mediaOf([post.id])).get(post.id) ?? [];
    assert.deepEqual(media.map((m) => [m.description, m.width, m.height]), [["The pad at dawn", 40, 30], ["The pad at dusk", 40, 30]]);
    assert.deepEqual(offOrigin(), []);
  });
});
