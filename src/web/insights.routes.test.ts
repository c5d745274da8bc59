import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { REPORT_TABLES, reportCsv } from "../insights/insights.csv.ts";
import type { InsightsReport } from "../insights/insights.report.ts";
import { startTags } from "../pages/markup-check.ts";
import { FAKE_POST_ID, FOLLOWERS_REACHED } from "./testing/fake-insights.ts";
import { startInsightsInstance, type InsightsInstance } from "./testing/insights-instance.ts";
import { setUpOwner, signIn, WebClient } from "./testing/web-client.ts";

/**
 * The Insights section over HTTP, against a fake InsightsQueries: each page, the downloads (exact
 * JSON keys, CSV headers), bad periods and unknown posts, sessions and roles.
 */
const TOTAL_KEYS = ["likes", "boosts", "replies", "quotes", "reactions", "interactions", "followersGained", "followersLost", "followersNet", "followers", "pageViews"];
const POST_KEYS = ["uri", "publishedAt", "likes", "boosts", "replies", "quotes", "reactions", "interactions", "accounts", "servers", "deliveredServers", "failedServers", "pendingServers"];

describe("Insights pages and downloads", { timeout: 120_000 }, () => {
  let a: InsightsInstance;
  let owner: WebClient;
  let acmeId = "";
  let brandId = "";

  before(async () => {
    a = await startInsightsInstance();
    owner = await setUpOwner(a, { email: "owner@acme.example", password: "owner's long password", account_username: "acme" });
    acmeId = (await a.ctx.services.accounts.get("acme"))!.id;
    const brand = await a.ctx.services.accounts.create({ username: "brand", name: "Brand" });
    assert.ok(brand.ok);
    brandId = brand.value.id;
  });

  after(async () => {
    await a?.close();
  });

  /** The report the fake gives for acme and this period, as the routes got it. */
  const expected = async (period: Parameters<InsightsInstance["fake"]["report"]>[1]): Promise<InsightsReport> => {
    const result = await a.fake.report(acmeId, period);
    assert.ok(result.ok);
    a.fake.calls.pop();
    return result.value;
  };

  test("signed out, every Insights URL sends to sign-in and asks nothing", async () => {
    const stranger = new WebClient(a.origin);
    const before = a.fake.calls.length;
    for (const path of ["/app/insights", "/app/insights?days=7", "/app/insights/report.json", "/app/insights/days.csv", `/app/insights/posts/${FAKE_POST_ID}`, "/app/insights/about"]) {
      const response = await stranger.get(path);
      assert.equal(response.status, 303, path);
      assert.equal(response.location, `/app/login?next=${encodeURIComponent(path)}`);
    }
    assert.equal(a.fake.calls.length, before);
  });

  test("the overview shows the cards with their change in words, both charts with their tables, and links every download", async () => {
    const page = await owner.get("/app/insights");
    assert.equal(page.status, 200);
    assert.deepEqual(a.fake.calls.at(-1), { method: "report", accountId: acmeId, period: { kind: "days", days: 30 } });
    const report = await expected({ kind: "days", days: 30 });
    assert.match(page.html, /<h1>Insights for @acme<\/h1>/);
    assert.match(page.html, /<a href="\/app\/insights" aria-current="page">Insights<\/a>/);
    const figures = [...page.html.matchAll(/<p class="figure">([^<]+)<\/p>/g)].map((m) => m[1]);
    assert.deepEqual(figures, [
      report.totals.followers.toLocaleString("en"),
      report.totals.interactions.toLocaleString("en"),
      `${(report.engagementRate * 100).toFixed(1)} %`,
      report.totals.pageViews.toLocaleString("en"),
    ]);
    // Every change says which way in words, with the previous figure; never only a colour.
    const changes = [...page.html.matchAll(/<p class="change (up|down|same)">(.*?)<\/p>/g)];
    assert.equal(changes.length, 4);
    for (const [, direction, text] of changes) assert.match(text!, direction === "up" ? /Up / : direction === "down" ? /Down / : /No change/);
    const followersDiff = report.totals.followers - report.previous.followers;
    assert.ok(followersDiff > 0);
    assert.match(page.html, new RegExp(`Up ${followersDiff} \\(\\+${((followersDiff / report.previous.followers) * 100).toFixed(1)} %\\) from ${report.previous.followers.toLocaleString("en")} in the previous period`));
    // Charts: SVG images with a title and a description, the numbers as tables in <details>.
    const svgs = [...page.html.matchAll(/<svg class="chart" viewBox="0 0 640 240" role="img" aria-labelledby="([\w-]+)-title \1-desc">\s*<title id="\1-title">([^<]+)<\/title>\s*<desc id="\1-desc">([^<]+)<\/desc>/g)];
    assert.deepEqual(svgs.map((m) => m[1]), ["chart-followers", "chart-interactions"]);
    assert.match(svgs[1]![3]!, new RegExp(`^${report.totals.interactions.toLocaleString("en")} interactions in the period`));
    assert.match(page.html, /<details><summary>Followers per day as a table<\/summary>/);
    for (const day of report.days) assert.match(page.html, new RegExp(`<tr><th scope="row">${day.date}</th><td>${day.followers.toLocaleString("en")}</td>`));
    // The heat map: 7 rows of 24 shaded cells, and the best hours.
    const heat = page.html.slice(page.html.indexOf('<table class="heat">'), page.html.indexOf("</table>", page.html.indexOf('<table class="heat">')));
    assert.equal([...heat.matchAll(/<td class="heat-[0-4]">/g)].length, 7 * 24);
    const best = report.bestHours[0]!;
    const weekday = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"][best.weekday];
    assert.match(page.html, new RegExp(`<ol class="best-hours"><li>${weekday} ${String(best.hour).padStart(2, "0")}:00–${String(best.hour + 1).padStart(2, "0")}:00: ${best.interactions} interactions</li>`));
    // Top posts link their pages; text from others is escaped.
    assert.match(page.html, new RegExp(`<a href="/app/insights/posts/${FAKE_POST_ID}">Launch day! Our new &lt;rocket&gt; &amp; everything about it #rockets</a>`));
    assert.match(page.html, /<th scope="row">=HYPERLINK\(&quot;x&quot;\)<\/th>/);
    // Each table: its CSV and its JSON, for the same period.
    const links = startTags(page.html).filter((t) => t.name === "a" && t.attributes.has("download")).map((t) => t.attributes.get("href"));
    for (const table of REPORT_TABLES) {
      assert.ok(links.includes(`/app/insights/${table}.csv?days=30`), table);
      assert.ok(links.includes(`/app/insights/${table}.json?days=30`), table);
    }
    assert.ok(links.includes("/app/insights/top-posts.csv?days=30&by=engagement"));
    assert.ok(links.includes("/app/insights/report.json?days=30"));
  });

  test("the period comes from the query: days, a from–to range, and the form keeps it", async () => {
    assert.equal((await owner.get("/app/insights?days=7")).status, 200);
    assert.deepEqual(a.fake.calls.at(-1)?.period, { kind: "days", days: 7 });
    assert.match(owner.lastHtml, /<option value="7" selected>Last 7 days<\/option>/);
    const range = await owner.get("/app/insights?from=2026-11-01&to=2026-11-30");
    assert.equal(range.status, 200);
    assert.deepEqual(a.fake.calls.at(-1)?.period, { kind: "range", from: "2026-11-01", to: "2026-11-30" });
    assert.match(range.html, /<input id="period-from" name="from" type="date" required value="2026-11-01">/);
    assert.match(range.html, /href="\/app\/insights\/days\.csv\?from=2026-11-01&amp;to=2026-11-30"/);
    assert.match(range.html, /compared with the 30 days before \(2026-10-02 to 2026-10-31\)/);
  });

  test("a bad period is a styled 400 with the reason, and the service is not asked", async () => {
    const cases: [string, RegExp][] = [
      ["days=abc", /whole number/],
      ["days=0", /between 1 and 3660/],
      ["days=100000", /between 1 and 3660/],
      ["days=99999999999999999999999", /between 1 and 3660/],
      ["days=7.5", /whole number/],
      ["days=-3", /whole number/],
      ["from=2026-11-01", /both a from and a to/],
      ["from=2026-11-30&to=2026-11-01", /must not be after/],
      ["from=2026-02-30&to=2026-03-01", /from date must be a date/],
      ["from=2026-01-01&to=yesterday", /to date must be a date/],
      ["days=7&from=2026-11-01&to=2026-11-30", /either a number of days or a from–to range/],
      ["from=2000-01-01&to=2026-01-01", /at most 3660 days/],
    ];
    for (const [query, reason] of cases) {
      const before = a.fake.calls.length;
      const page = await owner.get(`/app/insights?${query}`);
      assert.equal(page.status, 400, query);
      assert.match(page.html, /<p class="notice error" role="alert">/, query);
      assert.match(page.html, reason, query);
      assert.match(page.html, /<form method="get" action="\/app\/insights"/);
      const json = await owner.request(`/app/insights/report.json?${query}`);
      assert.equal(json.status, 400, query);
      assert.equal(((await json.json()) as { error: string }).error, "bad-period");
      const csv = await owner.request(`/app/insights/days.csv?${query}`);
      assert.equal(csv.status, 400, query);
      assert.match(await csv.text(), reason);
      assert.equal(a.fake.calls.length, before, `${query}: the service was not asked`);
    }
  });

  test("the service's refusals are mapped: bad period 400, unknown account or post 404, in the app's layout", async () => {
    try {
      a.fake.failWith = "bad-period";
      assert.equal((await owner.get("/app/insights")).status, 400);
      assert.equal((await owner.request("/app/insights/report.json")).status, 400);
      a.fake.failWith = "unknown-account";
      const page = await owner.get("/app/insights");
      assert.equal(page.status, 404);
      assert.match(page.html, /<h1>Not found<\/h1>/);
      assert.match(page.html, /<nav aria-label="Main">/);
      assert.equal((await owner.request("/app/insights/servers.csv")).status, 404);
    } finally {
      a.fake.failWith = null;
    }
  });

  test("report.json is exactly the StatsJson of herold stats --json, nothing page-only", async () => {
    const response = await owner.request("/app/insights/report.json?days=7");
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
    assert.equal(response.headers.get("cache-control"), "no-store");
    const json = (await response.json()) as Record<string, unknown>;
    assert.deepEqual(Object.keys(json), ["account", "from", "to", "totals", "previous", "days", "posts", "servers"]);
    const report = await expected({ kind: "days", days: 7 });
    assert.equal(json.account, "acme");
    assert.deepEqual(Object.keys(json.totals as object), TOTAL_KEYS);
    assert.deepEqual(Object.keys(json.previous as object), TOTAL_KEYS);
    assert.deepEqual(Object.keys((json.days as object[])[0]!), ["date", ...TOTAL_KEYS]);
    assert.deepEqual(Object.keys((json.posts as object[])[0]!), POST_KEYS);
    assert.deepEqual(Object.keys((json.servers as object[])[0]!), ["host", "software", "followers", "interactions"]);
    const { account, from, to, totals, previous, days, posts, servers } = report;
    assert.deepEqual(json, { account, from, to, totals, previous, days, posts, servers });
  });

  test("every table downloads as CSV (the CLI's CSV) and as JSON, as an attachment", async () => {
    const report = await expected({ kind: "range", from: "2026-11-01", to: "2026-11-30" });
    const headers: Record<string, string> = {
      days: `date,${TOTAL_KEYS.join(",")}`,
      posts: POST_KEYS.join(","),
      servers: "host,software,followers,interactions",
      "top-posts": "uri,publishedAt,excerpt,interactions,followersAtPublish,engagementRate",
      hashtags: "tag,posts,interactions",
      software: "software,servers,followers,interactions",
      "heat-map": `weekday,${Array.from({ length: 24 }, (_, h) => String(h).padStart(2, "0")).join(",")}`,
    };
    for (const table of REPORT_TABLES) {
      const csv = await owner.request(`/app/insights/${table}.csv?from=2026-11-01&to=2026-11-30`);
      assert.equal(csv.status, 200, table);
      assert.equal(csv.headers.get("content-type"), "text/csv; charset=utf-8");
      assert.equal(csv.headers.get("content-disposition"), `attachment; filename="acme-${table}${table === "top-posts" ? "-by-interactions" : ""}-2026-11-01-2026-11-30.csv"`);
      const body = await csv.text();
      assert.equal(body.split("\r\n")[0], headers[table], table);
      assert.equal(body, reportCsv(report, table), table);
      const json = await owner.request(`/app/insights/${table}.json?from=2026-11-01&to=2026-11-30`);
      assert.equal(json.status, 200, table);
      assert.match(json.headers.get("content-disposition") ?? "", /^attachment; filename="acme-.*\.json"$/);
      const rows = (await json.json()) as Record<string, unknown>[];
      assert.ok(Array.isArray(rows) && rows.length > 0, table);
      if (table !== "heat-map") assert.deepEqual(Object.keys(rows[0]!), headers[table]!.split(","), table);
      else assert.deepEqual(rows[0], { weekday: "Monday", hours: report.heatMap[0] });
    }
    const servers = await (await owner.request("/app/insights/servers.csv?days=30")).text();
    assert.match(servers, /\r\n"'=HYPERLINK\(""x""\)",,1,0\r\n/, "a formula from another server is neutralised");
  });

  test("the top posts by engagement download holds that ranking; a bad order or unknown table is refused", async () => {
    const report = await expected({ kind: "days", days: 30 });
    const rows = (await (await owner.request("/app/insights/top-posts.json?days=30&by=engagement")).json()) as { uri: string }[];
    assert.deepEqual(rows.map((r) => r.uri), report.topByEngagement.map((p) => p.uri));
    assert.notDeepEqual(rows.map((r) => r.uri), report.topByInteractions.map((p) => p.uri));
    const csv = await (await owner.request("/app/insights/top-posts.csv?days=30&by=engagement")).text();
    assert.equal(csv.split("\r\n")[1]?.split(",")[0], report.topByEngagement[0]!.uri);
    assert.equal((await owner.request("/app/insights/top-posts.csv?by=likes")).status, 400);
    for (const path of ["/app/insights/nothing.csv", "/app/insights/days.xml", "/app/insights/report.csv", "/app/insights/elsewhere"]) {
      const page = await owner.get(path);
      assert.equal(page.status, 404, path);
    }
  });

  test("a post's page: curve, hourly chart and table, kinds, delivery reach and the accounts linked to their profiles", async () => {
    const page = await owner.get(`/app/insights/posts/${FAKE_POST_ID}`);
    assert.equal(page.status, 200);
    assert.deepEqual(a.fake.calls.at(-1), { method: "post", accountId: acmeId, postId: FAKE_POST_ID });
    const result = await a.fake.post(acmeId, FAKE_POST_ID);
    assert.ok(result.ok);
    const { curve, post } = result.value;
    const figures = [...page.html.matchAll(/<p class="figure">([^<]+)<\/p>/g)].map((m) => m[1]);
    assert.deepEqual(figures.slice(2, 5), [curve.firstHour, curve.firstDay, curve.firstWeek].map(String));
    assert.deepEqual(figures.slice(5), [post.deliveredServers, post.failedServers, post.pendingServers, FOLLOWERS_REACHED].map((n) => n.toLocaleString("en")));
    assert.match(page.html, /<svg class="chart"[^>]* role="img" aria-labelledby="chart-hourly-title chart-hourly-desc">/);
    assert.match(page.html, new RegExp(`<desc id="chart-curve-desc">After 1 hour ${curve.firstHour}, after 1 day ${curve.firstDay}, after 7 days ${curve.firstWeek} interactions\\.</desc>`));
    assert.match(page.html, new RegExp(`<tr><th scope="row">7 days</th><td>${curve.firstWeek}</td></tr>`));
    assert.equal([...page.html.matchAll(/<th scope="row">Day \d<\/th>/g)].length, 7);
    assert.match(page.html, new RegExp(`<tr><th scope="row">Likes</th><td>${post.likes}</td>`));
    assert.match(page.html, /<a href="https:\/\/mastodon\.example\/@ann" rel="nofollow noopener noreferrer"><strong>Ann &lt;Analyst&gt;<\/strong><\/a>/);
    assert.match(page.html, /<a href="https:\/\/misskey\.example\/users\/9abc" rel="nofollow noopener noreferrer"><strong>kai@misskey\.example<\/strong><\/a>/);
    assert.doesNotMatch(page.html, /javascript:/);
    assert.match(page.html, /<a href="https:\/\/bad\.example\/users\/x"/, "an unsafe profile URL falls back to the actor's id");
    assert.match(page.html, /liked, boosted/);
  });

  test("an unknown or overlong post id is a 404 in the app's layout", async () => {
    for (const id of ["01unknown", "x".repeat(65)]) {
      const page = await owner.get(`/app/insights/posts/${id}`);
      assert.equal(page.status, 404);
      assert.match(page.html, /There is no such post of this account\./);
      assert.match(page.html, /<nav aria-label="Main">/);
    }
  });

  test("About these numbers says what is counted, how, what not and why, and what is stored", async () => {
    const page = await owner.get("/app/insights/about");
    assert.equal(page.status, 200);
    for (const phrase of [/Misskey/, /❤/, /subtracted again/, /counted once/, /at the minute it happened/, /account's time zone/, /Impressions/, /clicks on links/, /ActivityPub carries no such signal/, /tracking/, /counters per page kind and quarter of an hour/, /no IP address/, /HEROLD_ANALYTICS_RAW_DAYS/, /90/]) {
      assert.match(page.html, phrase);
    }
  });

  test("every role may see Insights; a person acts only for their accounts, and without one gets 403", async () => {
    assert.ok((await a.ctx.web.users.create({ email: "author@acme.example", password: "author's long password", accountUsername: "acme", role: "author" })).ok);
    const author = await signIn(a, "author@acme.example", "author's long password");
    assert.equal((await author.get("/app/insights")).status, 200);
    assert.match(author.lastHtml, /<a href="\/app\/insights"/);
    assert.equal((await author.request("/app/insights/report.json")).status, 200);

    assert.ok((await a.ctx.web.users.create({ email: "brandy@brand.example", password: "brandy's long password", accountUsername: "brand", role: "publisher" })).ok);
    const brandy = await signIn(a, "brandy@brand.example", "brandy's long password");
    const page = await brandy.get("/app/insights");
    assert.equal(page.status, 200);
    assert.equal(a.fake.calls.at(-1)?.accountId, brandId, "the account acted for, never another");
    assert.match(page.html, /Insights for @brand/);
    assert.equal(((await (await brandy.request("/app/insights/report.json")).json()) as { account: string }).account, "brand");
    assert.equal((await brandy.get(`/app/insights/posts/${FAKE_POST_ID}`)).status, 200);
    assert.equal(a.fake.calls.at(-1)?.accountId, brandId);

    const user = await a.ctx.web.userRepository.findCredentials("brandy@brand.example");
    await a.ctx.database.db.deleteFrom("memberships").where("user_id", "=", user!.user.id).execute();
    const before = a.fake.calls.length;
    for (const path of ["/app/insights", "/app/insights/report.json", "/app/insights/days.csv", `/app/insights/posts/${FAKE_POST_ID}`]) {
      assert.equal((await brandy.request(path)).status, 403, path);
    }
    assert.equal(a.fake.calls.length, before);
  });
});
