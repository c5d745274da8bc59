import assert from "node:assert/strict";
import { sql } from "kysely";
import { after, before, describe, test } from "node:test";
import { ManualClock } from "../lib/time.ts";
import { describeEachEngine, ENGINES } from "../testing/databases.ts";
import { startTestInstance, type TestInstance } from "../testing/instance.ts";
import { isCrawler } from "./crawler.ts";
import { PageViewRepository } from "./page-views.repository.ts";
import { PageViewService } from "./page-views.service.ts";
import { insertPost } from "./testing/seed-rows.ts";

const BROWSER_UA = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
const BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
const CRAWLERS = [
  "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
  "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
  "http.rb/5.2.0 (Mastodon/4.3.2; +https://mastodon.example/)",
  "Feedly/1.0 (+http://www.feedly.com/fetcher.html; 42 subscribers)",
  "curl/8.5.0",
];

test("obvious programs are crawlers, browsers are not, and a request without User-Agent is a program", () => {
  for (const ua of CRAWLERS) assert.equal(isCrawler(ua), true, ua);
  assert.equal(isCrawler(undefined), true);
  assert.equal(isCrawler("  "), true);
  assert.equal(isCrawler(BROWSER_UA), false);
  assert.equal(isCrawler("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"), false);
});

describeEachEngine("page-view counters", (get) => {
  test("views are summed per local day in any zone, quarter hours included; bad periods are refused", async () => {
    const clock = new ManualClock("2026-03-10T18:25:00.000Z");
    const service = new PageViewService({ repository: new PageViewRepository(get().database.db), clock });
    const account = "acct-zones";
    // Asia/Kolkata is UTC+5:30: 18:25Z is 23:55 on the 10th there, 18:35Z is 00:05 on the 11th.
    service.record(account, "profile", BROWSER_UA);
    clock.set("2026-03-10T18:35:00.000Z");
    service.record(account, "post", BROWSER_UA);
    service.record(account, "post", BROWSER_UA);
    service.record(account, "feed", CRAWLERS[3]);
    // New York is UTC-4 from 8 March 2026: 03:30Z on the 11th is still the 10th there.
    clock.set("2026-03-11T03:30:00.000Z");
    service.record(account, "profile", undefined);
    service.record("someone-else", "profile", BROWSER_UA);
    await service.close();

    const kolkata = await service.viewsByDay(account, "2026-03-09", "2026-03-11", "Asia/Kolkata");
    assert.deepEqual(Object.fromEntries(kolkata), {
      "2026-03-09": { views: 0, crawlerViews: 0 },
      "2026-03-10": { views: 1, crawlerViews: 0 },
      "2026-03-11": { views: 2, crawlerViews: 2 },
    });
    const newYork = await service.viewsByDay(account, "2026-03-10", "2026-03-11", "America/New_York");
    assert.deepEqual(Object.fromEntries(newYork), { "2026-03-10": { views: 3, crawlerViews: 2 }, "2026-03-11": { views: 0, crawlerViews: 0 } });
    const utc = await service.viewsByDay(account, "2026-03-10", "2026-03-11", "UTC");
    assert.deepEqual(Object.fromEntries(utc), { "2026-03-10": { views: 3, crawlerViews: 1 }, "2026-03-11": { views: 0, crawlerViews: 1 } });

    await assert.rejects(service.viewsByDay(account, "2026-03-11", "2026-03-10", "UTC"), /ends .* before it starts/);
    await assert.rejects(service.viewsByDay(account, "2026-02-30", "2026-03-10", "UTC"), RangeError);
    await assert.rejects(service.viewsByDay(account, "10.3.2026", "2026-03-10", "UTC"), /YYYY-MM-DD/);
    await assert.rejects(service.viewsByDay(account, "2026-03-10", "2026-03-10", "Mars/Olympus_Mons"), RangeError);
    await assert.rejects(service.viewsByDay(account, "2000-01-01", "2026-03-10", "UTC"), /at most/);
  });

  test("buffered views are written by one flush, added to what is stored, and kept when a write fails", async () => {
    const clock = new ManualClock("2026-04-01T12:00:00.000Z");
    const repository = new PageViewRepository(get().database.db);
    let failNext = false;
    const flaky = Object.assign(Object.create(repository) as PageViewRepository, {
      add: async (increments: Parameters<PageViewRepository["add"]>[0]) => {
        if (failNext) {
          failNext = false;
          throw new Error("database unavailable");
        }
        await repository.add(increments);
      },
    });
    const service = new PageViewService({ repository: flaky, clock });
    const account = "acct-flush";
    for (let i = 0; i < 3; i++) service.record(account, "post", BROWSER_UA);
    await service.flush();
    service.record(account, "post", BROWSER_UA);
    failNext = true;
    await service.flush(); // fails: the view stays buffered
    service.record(account, "post", BROWSER_UA);
    await service.close();
    const rows = await get().database.db.selectFrom("page_views").selectAll().where("account_id", "=", account).execute();
    assert.deepEqual(rows, [{ account_id: account, bucket: "2026-04-01T12:00:00.000Z", kind: "post", crawler: 0, views: 5 }]);
  });
});

for (const engine of ENGINES) {
  describe(`page views of the public pages [${engine}]`, () => {
    let instance: TestInstance;
    let accountId: string;
    let postPath: string;

    before(async () => {
      instance = await startTestInstance({ engine, worker: false });
      const created = await instance.ctx.services.accounts.create({ username: "acme", type: "organization" });
      assert.ok(created.ok);
      accountId = created.value.id;
      const id = await insertPost(instance.ctx.database.db, { actorId: created.value.actorId, uri: (postId) => instance.ctx.urls.post("acme", postId) });
      postPath = `/users/acme/posts/${id}`;
    });
    after(async () => {
      await instance?.close();
    });

    const get = (path: string, headers: Record<string, string>, method = "GET") =>
      fetch(instance.origin + path, { method, redirect: "manual", headers }).then(async (r) => (await r.arrayBuffer(), r.status));
    const stored = async () => {
      await instance.ctx.pages.close();
      const rows = await instance.ctx.database.db.selectFrom("page_views").select(["kind", "crawler", "views"]).where("account_id", "=", accountId).orderBy("kind").orderBy("crawler").execute();
      return rows.map((r) => `${r.kind}/${r.crawler}: ${r.views}`);
    };

    test("a page answered 200 counts once, crawlers apart; JSON, HEAD, redirects and errors do not count", async () => {
      assert.equal(await get("/@acme", { accept: BROWSER, "user-agent": BROWSER_UA }), 200);
      assert.deepEqual(await stored(), ["profile/0: 1"], "one view, one count");

      assert.equal(await get("/@acme", { accept: BROWSER, "user-agent": CRAWLERS[0]! }), 200);
      assert.equal(await get(postPath, { accept: BROWSER, "user-agent": BROWSER_UA }), 200);
      assert.equal(await get(postPath, { accept: BROWSER, "user-agent": CRAWLERS[2]! }), 200);
      assert.equal(await get("/users/acme/feed.rss", { "user-agent": CRAWLERS[3]! }), 200);
      assert.equal(await get("/users/acme/feed.atom", { "user-agent": BROWSER_UA }), 200);
      // Not views: a server fetching the actor or the post as ActivityPub, a HEAD, a redirect to the
      // canonical name, a page that does not exist.
      assert.equal(await get("/users/acme", { accept: "application/activity+json", "user-agent": CRAWLERS[2]! }), 200);
      assert.equal(await get("/users/acme", { accept: BROWSER, "user-agent": BROWSER_UA }, "HEAD"), 200);
      assert.equal(await get("/@ACME", { accept: BROWSER, "user-agent": BROWSER_UA }), 301);
      assert.equal(await get("/users/acme/posts/01aaaaaaaaaaaaaaaaaaaaaaaa", { accept: BROWSER, "user-agent": BROWSER_UA }), 404);
      assert.deepEqual(await stored(), ["feed/0: 1", "feed/1: 1", "post/0: 1", "post/1: 1", "profile/0: 1", "profile/1: 1"]);

      const today = new Date().toISOString().slice(0, 10);
      const byDay = await instance.ctx.pages.pageViews.viewsByDay(accountId, today, today, "UTC");
      assert.deepEqual(byDay.get(today), { views: 3, crawlerViews: 3 });
    });

    test("nothing that identifies a visitor is stored: the table has counters only, no value holds a request's data", async () => {
      const secretUa = "Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/133.0 visitor-marker-7f3a";
      assert.equal(await get("/@acme", { accept: BROWSER, "user-agent": secretUa, cookie: "herold_session=cookie-marker-9b2c", "x-forwarded-for": "203.0.113.77" }), 200);
      await instance.ctx.pages.close();
      const db = instance.ctx.database.db;
      const columns =
        engine === "sqlite"
          ? (await sql<{ name: string }>`SELECT name FROM pragma_table_info('page_views')`.execute(db)).rows.map((r) => r.name)
          : (await sql<{ name: string }>`SELECT column_name AS name FROM information_schema.columns WHERE table_name = 'page_views' AND table_schema = current_schema()`.execute(db)).rows.map((r) => r.name);
      assert.deepEqual(columns.sort(), ["account_id", "bucket", "crawler", "kind", "views"]);
      const everything = JSON.stringify(await db.selectFrom("page_views").selectAll().execute());
      for (const marker of ["visitor-marker", "cookie-marker", "203.0.113", "Firefox", "127.0.0.1"]) assert.ok(!everything.includes(marker), marker);
    });
  });
}
