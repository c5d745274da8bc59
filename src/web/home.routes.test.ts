import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { eventually, startTestInstances, type TestInstance } from "../testing/instance.ts";
import { ShiftedClock } from "./testing/browser.ts";
import { fromWallTime, formatDate, formatTime, toWallTime } from "./time-zone.ts";
import { setUpOwner, type WebClient } from "./testing/web-client.ts";
import { VISIT_GAP_MS } from "../user/home-visit.repository.ts";
import { startInsightsInstance, type InsightsInstance } from "./testing/insights-instance.ts";

/** Only the text of one home block (by its heading id), so a check cannot pass on another block's words. */
function block(html: string, id: string): string {
  const start = html.indexOf(`aria-labelledby="${id}"`);
  assert.ok(start >= 0, `block ${id} on the page`);
  return html.slice(start, html.indexOf("</section>", start));
}

/**
 * Issue #12, item 11: /app is the channel's home, with data from a second instance on loopback
 * (bob on B follows acme on A and replies to it); the timeline moved to /app/timeline.
 */
describe("the channel's home", { timeout: 170_000 }, () => {
  const clock = new ShiftedClock();
  let a: TestInstance;
  let b: TestInstance;
  let owner: WebClient;
  let acmeUri = "";
  let acmePost = "";

  before(async () => {
    [a, b] = (await startTestInstances([{ clock }, {}])) as [TestInstance, TestInstance];
    owner = await setUpOwner(a, { email: "owner@acme.example", password: "owner's long password", account_username: "acme", account_name: "ACME" });
    acmeUri = (await a.ctx.repos.accounts.findByUsername("acme"))!.uri;
    assert.ok((await b.ctx.services.accounts.create({ username: "bob", name: "Bob on B" })).ok);
  });

  after(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  test("a new account's home: every block says honestly that there is nothing yet", async () => {
    const page = await owner.get("/app");
    assert.equal(page.status, 200);
    assert.match(page.html, /<h1>Home<\/h1>\s*<p class="hint">What is happening at @acme today/);
    assert.match(block(page.html, "home-scheduled"), /Nothing is scheduled/);
    assert.match(block(page.html, "home-unanswered"), /Nothing waits for an answer/);
    assert.match(block(page.html, "home-news"), /In the last 7 days[\s\S]*Nothing new in the last 7 days/);
    assert.match(block(page.html, "home-followers"), /<p class="figure">0<\/p>[\s\S]*No change in the last 7 days[\s\S]*No followers yet/);
    // Insights of an account with nothing yet: zeros, with the link to the Insights pages.
    assert.match(block(page.html, "home-insights"), /href="\/app\/insights"/);
    // The timeline has its own page, in the navigation.
    assert.match(page.html, /<a href="\/app\/timeline">Timeline<\/a>/);
    const timeline = await owner.get("/app/timeline");
    assert.equal(timeline.status, 200);
    assert.match(timeline.html, /<h1>Timeline<\/h1>/);
  });

  test("scheduled next: the next posts with their times in the person's zone, saying the zone", async () => {
    await owner.get("/app/compose");
    const at = fromWallTime({ ...toWallTime(new Date(clock.now().getTime() + 3 * 86_400_000), "Europe/Berlin"), hour: 18, minute: 0 }, "Europe/Berlin");
    const wall = toWallTime(at, "Europe/Berlin");
    const scheduled = await owner.post("/app/compose", {
      text: "Launch day: the new rocket is out",
      visibility: "public",
      action: "schedule",
      schedule_date: formatDate(wall),
      schedule_time: formatTime(wall),
      time_zone: "Europe/Berlin",
    });
    assert.equal(scheduled.status, 303, scheduled.html.slice(0, 400));
    const home = block((await owner.get("/app")).html, "home-scheduled");
    assert.match(home, new RegExp(`datetime="${at.toISOString()}">[^<]*18:00 Europe/Berlin</time>`));
    assert.match(home, /Launch day: the new rocket is out/);
    assert.doesNotMatch(home, /Nothing is scheduled/);
  });

  test("a remote follower and an unanswered reply show up; answering takes the reply off the list", async () => {
    const published = await a.ctx.posts.service.publish({ username: "acme", text: "We build rockets. Questions welcome!" });
    assert.ok(published.ok);
    acmePost = published.value.uri;
    assert.ok((await b.ctx.social.follows.follow("bob", acmeUri)).ok);
    await eventually(async () => (await a.ctx.social.followers.counts((await a.ctx.repos.accounts.findByUsername("acme"))!.actorId)).followers === 1, 60_000, "bob's follow accepted on A");
    // Bob replies from B to acme's post (B resolves the post over loopback).
    const reply = await b.ctx.posts.service.publish({ username: "bob", text: "How high do they fly?", replyTo: acmePost });
    assert.ok(reply.ok, JSON.stringify(reply));
    await eventually(async () => (await a.ctx.repos.posts.findByUri(reply.value.uri)) !== null, 60_000, "bob's reply stored on A");

    const home = (await owner.get("/app")).html;
    const unanswered = block(home, "home-unanswered");
    assert.match(unanswered, /How high do they fly\?/);
    assert.match(unanswered, /Bob on B/);
    assert.match(unanswered, new RegExp(`/app/compose\\?reply_to=${encodeURIComponent(reply.value.uri).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
    const news = block(home, "home-news");
    assert.match(news, /<strong>1<\/strong> new follower/);
    assert.match(news, /<strong>1<\/strong> reply/);
    assert.match(block(home, "home-followers"), /<p class="figure">1<\/p>[\s\S]*Up 1 in the last 7 days \(1 new, 0 left\)/);

    const answer = await a.ctx.posts.service.publish({ username: "acme", text: "@bob@" + new URL(b.origin).host + " about 100 km!", replyTo: reply.value.uri });
    assert.ok(answer.ok, JSON.stringify(answer));
    assert.match(block((await owner.get("/app")).html, "home-unanswered"), /Nothing waits for an answer/);
  });

  test("since your last visit: the same news during a visit, only what is newer after a break", async () => {
    // Still the same visit (the requests above were minutes apart at most): nothing was emptied.
    assert.match(block((await owner.get("/app")).html, "home-news"), /<strong>1<\/strong> new follower/);
    clock.advance(VISIT_GAP_MS + 60_000);
    const next = block((await owner.get("/app")).html, "home-news");
    assert.match(next, /Since your last visit/);
    assert.match(next, /Nothing new since/);
    // A like from B after the visit began is news on the next visit, and only it.
    const liked = await b.ctx.posts.interactions.like("bob", acmePost);
    assert.ok(liked.ok, JSON.stringify(liked));
    await eventually(async () => {
      const listed = await a.ctx.social.notifications.list("acme", { limit: 10 });
      return listed.ok && listed.value.some((n) => n.kind === "like");
    }, 60_000, "bob's like notified on A");
    clock.advance(VISIT_GAP_MS + 60_000);
    const after = block((await owner.get("/app")).html, "home-news");
    assert.match(after, /<strong>1<\/strong> like/);
    assert.doesNotMatch(after, /new follower|reply/);
  });
});

describe("the channel's home with Insights", { timeout: 120_000 }, () => {
  let a: InsightsInstance;
  let owner: WebClient;

  before(async () => {
    a = await startInsightsInstance();
    owner = await setUpOwner(a, { email: "owner@acme.example", password: "owner's long password", account_username: "acme", account_name: "ACME" });
  });

  after(async () => {
    await a?.close();
  });

  test("three figures of the last 7 days from Insights, with a link to the Insights pages", async () => {
    const accountId = (await a.ctx.repos.accounts.findByUsername("acme"))!.id;
    const report = await a.fake.report(accountId, { kind: "days", days: 7 });
    assert.ok(report.ok);
    const insights = block((await owner.get("/app")).html, "home-insights");
    const figure = (n: number) => new Intl.NumberFormat("en", { maximumFractionDigits: 0 }).format(n);
    assert.match(insights, new RegExp(`Interactions</h3><p class="figure">${figure(report.value.totals.interactions)}</p>`));
    assert.match(insights, new RegExp(`Replies</h3><p class="figure">${figure(report.value.totals.replies)}</p>`));
    assert.match(insights, new RegExp(`Page views</h3><p class="figure">${figure(report.value.totals.pageViews)}</p>`));
    assert.match(insights, /href="\/app\/insights"/);
  });
});
