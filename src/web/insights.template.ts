import type { ReportTable } from "../insights/insights.csv.ts";
import type { InsightsPeriod } from "../insights/insights.ports.ts";
import type { DayTotals, InsightsReport, RankedPost } from "../insights/insights.report.ts";
import { html, type Html } from "../pages/html.ts";
import { legend, lineChart, shortDate, stackedBars, type Series } from "./insights.charts.ts";
import { WEEKDAYS } from "./insights.downloads.ts";
import { countChange, num, pct, rateChange, signed } from "./insights.format.ts";
import { PERIOD_CHOICES, periodQuery, previousRange } from "./insights.period.ts";
import { safeHttpUrl } from "../pages/post.view.ts";
import { formatLocal } from "./time-zone.ts";
import type { Member } from "./web.env.ts";
import { appLayout, type Shell } from "./web.layout.ts";

export const KINDS = [
  { key: "likes", label: "Likes" },
  { key: "boosts", label: "Boosts" },
  { key: "replies", label: "Replies" },
  { key: "quotes", label: "Quotes" },
  { key: "reactions", label: "Reactions" },
] as const;

/** Tables on a page are capped; the download always holds every row. */
const SHOWN_ROWS = 50;

/** The Insights overview of one account and period (issue #14, "Where people see it"). */
export function insightsPage(shell: Shell, member: Member, report: InsightsReport, period: InsightsPeriod): Html {
  const query = periodQuery(period);
  const previous = previousRange(report.from, report.to);
  const t = report.totals;
  const p = report.previous;
  return appLayout(shell, {
    title: "Insights",
    nav: "insights",
    member,
    body: html`<h1>Insights for @${report.account}</h1>
${periodForm(period)}
<p class="hint">${shortDate(report.from)} ${report.from.slice(0, 4)} – ${shortDate(report.to)} ${report.to.slice(0, 4)}, days in ${report.timeZone}; compared with the ${dayCount(report.from, report.to)} days before (${previous.from} to ${previous.to}). <a href="/app/insights/about">About these numbers</a></p>
<p class="downloads">Whole report: <a href="/app/insights/report.json?${query}" download>JSON</a> (the same object as <code>herold stats --json</code>)</p>

<section aria-labelledby="overview"><h2 id="overview">Overview</h2>
<ul class="cards">
<li class="card"><h3>Followers</h3><p class="figure">${num(t.followers)}</p>${countChange(t.followers, p.followers)}
<p class="hint">${signed(t.followersGained)} gained, ${signed(-t.followersLost)} lost, net ${signed(t.followersNet)}; churn ${pct(report.churn)}</p></li>
<li class="card"><h3>Interactions</h3><p class="figure">${num(t.interactions)}</p>${countChange(t.interactions, p.interactions)}
<p class="hint">${KINDS.map((k) => `${num(t[k.key])} ${k.label.toLowerCase()}`).join(", ")}</p></li>
<li class="card"><h3>Engagement rate</h3><p class="figure">${pct(report.engagementRate)}</p>${rateChange(report.engagementRate, report.previousEngagementRate)}
<p class="hint">Interactions ÷ followers at the start of the period</p></li>
<li class="card"><h3>Page views</h3><p class="figure">${num(t.pageViews)}</p>${countChange(t.pageViews, p.pageViews)}
<p class="hint">Profile, post pages and feeds on this server; ${num(report.crawlerViews)} more from crawlers, not counted here</p></li>
</ul></section>

<section aria-labelledby="followers-chart"><h2 id="followers-chart">Followers over time</h2>
${lineChart({ id: "chart-followers", title: "Followers per day", desc: followersDesc(report.days) }, report.days.map((d) => shortDate(d.date)), report.days.map((d) => d.followers), "k-followers")}
<details><summary>Followers per day as a table</summary>${scroll("Followers per day", html`<table><thead><tr><th scope="col">Day</th><th scope="col">Followers</th><th scope="col">Gained</th><th scope="col">Lost</th><th scope="col">Net</th></tr></thead>
<tbody>${report.days.map((d) => html`<tr><th scope="row">${d.date}</th><td>${num(d.followers)}</td><td>${num(d.followersGained)}</td><td>${num(d.followersLost)}</td><td>${signed(d.followersNet)}</td></tr>`)}</tbody></table>`)}</details>
${downloads("days", query, "the daily figures")}</section>

<section aria-labelledby="interactions-chart"><h2 id="interactions-chart">Interactions by day</h2>
${stackedBars({ id: "chart-interactions", title: "Interactions per day by kind", desc: interactionsDesc(report) }, report.days.map((d) => d.date), KINDS.map((k): Series => ({ key: `k-${k.key}`, label: k.label, values: report.days.map((d) => d[k.key]) })))}
${legend(KINDS.map((k) => ({ key: `k-${k.key}`, label: k.label })))}
<details><summary>Interactions per day as a table</summary>${scroll("Interactions per day", html`<table><thead><tr><th scope="col">Day</th>${KINDS.map((k) => html`<th scope="col">${k.label}</th>`)}<th scope="col">All</th><th scope="col">Page views</th></tr></thead>
<tbody>${report.days.map((d) => html`<tr><th scope="row">${d.date}</th>${KINDS.map((k) => html`<td>${num(d[k.key])}</td>`)}<td>${num(d.interactions)}</td><td>${num(d.pageViews)}</td></tr>`)}</tbody></table>`)}</details>
${downloads("days", query, "the daily figures")}</section>

<section aria-labelledby="when"><h2 id="when">When your audience reacts</h2>
<p class="hint">Interactions by hour of the week over the account's whole history, in ${report.timeZone}.</p>
${heatMap(report.heatMap)}
<h3>Best hours to post</h3>
${report.bestHours.length === 0 ? html`<p class="empty">Not enough interactions yet to say.</p>` : html`<ol class="best-hours">${report.bestHours.map((b) => html`<li>${WEEKDAYS[b.weekday] ?? ""} ${hourRange(b.hour)}: ${num(b.interactions)} interactions</li>`)}</ol>`}
${downloads("heat-map", query, "the hour-of-week table")}</section>

<section aria-labelledby="top"><h2 id="top">Top posts</h2>
<h3 id="top-interactions">By interactions</h3>
${topTable(report.topByInteractions, report.timeZone, "top-interactions")}
${downloads("top-posts", query, "the top posts by interactions")}
<h3 id="top-engagement">By engagement rate</h3>
<p class="hint">Interactions ÷ followers when the post was published.</p>
${topTable(report.topByEngagement, report.timeZone, "top-engagement")}
${downloads("top-posts", `${query}&by=engagement`, "the top posts by engagement rate")}</section>

<section aria-labelledby="hashtags"><h2 id="hashtags">Hashtags</h2>
${report.hashtags.length === 0 ? html`<p class="empty">No post of this period carries a hashtag.</p>` : scroll("Hashtags", html`<table><thead><tr><th scope="col">Hashtag</th><th scope="col">Posts</th><th scope="col">Interactions</th></tr></thead>
<tbody>${report.hashtags.slice(0, SHOWN_ROWS).map((h) => html`<tr><th scope="row">#${h.tag}</th><td>${num(h.posts)}</td><td>${num(h.interactions)}</td></tr>`)}</tbody></table>`)}
${capped(report.hashtags.length)}${downloads("hashtags", query, "the hashtags")}</section>

<section aria-labelledby="audience"><h2 id="audience">Audience</h2>
<h3 id="by-server">By server</h3>
${report.servers.length === 0 ? html`<p class="empty">No followers or interactions from other servers yet.</p>` : scroll("Audience by server", html`<table><thead><tr><th scope="col">Server</th><th scope="col">Software</th><th scope="col">Followers</th><th scope="col">Interactions</th></tr></thead>
<tbody>${report.servers.slice(0, SHOWN_ROWS).map((s) => html`<tr><th scope="row">${s.host}</th><td>${s.software ?? "unknown"}</td><td>${num(s.followers)}</td><td>${num(s.interactions)}</td></tr>`)}</tbody></table>`)}
${capped(report.servers.length)}${downloads("servers", query, "the audience by server")}
<h3 id="by-software">By software</h3>
${report.software.length === 0 ? html`<p class="empty">No servers known yet.</p>` : scroll("Audience by software", html`<table><thead><tr><th scope="col">Software</th><th scope="col">Servers</th><th scope="col">Followers</th><th scope="col">Interactions</th></tr></thead>
<tbody>${report.software.map((s) => html`<tr><th scope="row">${s.software ?? "unknown"}</th><td>${num(s.servers)}</td><td>${num(s.followers)}</td><td>${num(s.interactions)}</td></tr>`)}</tbody></table>`)}
<p class="hint">Software as the servers state it in their NodeInfo, checked at most once a day per server.</p>
${downloads("software", query, "the audience by software")}</section>

<section aria-labelledby="all-posts"><h2 id="all-posts">Every post of the period</h2>
${report.posts.length === 0 ? html`<p class="empty">No posts published in this period.</p>` : html`<details><summary>${num(report.posts.length)} posts with their interactions and delivery</summary>${scroll("Every post of the period", html`<table><thead><tr><th scope="col">Post</th><th scope="col">Published</th><th scope="col">Interactions</th><th scope="col">Accounts</th><th scope="col">Servers</th><th scope="col">Delivered to</th><th scope="col">Failed</th><th scope="col">Pending</th></tr></thead>
<tbody>${report.posts.slice(0, SHOWN_ROWS).map((post) => html`<tr><th scope="row">${postLink(post.uri)}</th><td>${formatLocal(post.publishedAt, report.timeZone)}</td><td>${num(post.interactions)}</td><td>${num(post.accounts)}</td><td>${num(post.servers)}</td><td>${num(post.deliveredServers)}</td><td>${num(post.failedServers)}</td><td>${num(post.pendingServers)}</td></tr>`)}</tbody></table>`)}</details>${capped(report.posts.length)}`}
${downloads("posts", query, "every post of the period")}</section>`,
  });
}

/** The page for a period that cannot be shown (a bad link): the selector, and what was wrong. */
export function insightsErrorPage(shell: Shell, member: Member, message: string): Html {
  return appLayout(shell, {
    title: "Insights",
    nav: "insights",
    member,
    error: message,
    body: html`<h1>Insights for @${member.account.username}</h1>
${periodForm(null)}
<p><a href="/app/insights">Show the last 30 days</a> · <a href="/app/insights/about">About these numbers</a></p>`,
  });
}

/** Unknown post, table or account: a 404 in the app's layout. */
export function insightsNotFoundPage(shell: Shell, member: Member, message: string): Html {
  return appLayout(shell, {
    title: "Not found",
    nav: "insights",
    member,
    error: message,
    body: html`<h1>Not found</h1><p><a href="/app/insights">Back to Insights</a></p>`,
  });
}

/** Two GET forms (no JavaScript needed): a preset number of days, or a from–to range. */
function periodForm(period: InsightsPeriod | null): Html {
  const days = period?.kind === "days" ? period.days : null;
  const range = period?.kind === "range" ? period : null;
  return html`<div class="period">
<form method="get" action="/app/insights" class="row">
<div><label for="period-days">Period</label>
<select id="period-days" name="days">${PERIOD_CHOICES.map((n) => html`<option value="${n}"${n === days && html` selected`}>Last ${n} days</option>`)}${days !== null && !(PERIOD_CHOICES as readonly number[]).includes(days) && html`<option value="${days}" selected>Last ${days} days</option>`}</select></div>
<div><button type="submit">Show</button></div>
</form>
<form method="get" action="/app/insights" class="row">
<div><label for="period-from">From</label><input id="period-from" name="from" type="date" required${range !== null && html` value="${range.from}"`}></div>
<div><label for="period-to">To</label><input id="period-to" name="to" type="date" required${range !== null && html` value="${range.to}"`}></div>
<div><button type="submit" class="secondary">Show range</button></div>
</form>
</div>`;
}

function downloads(table: ReportTable, query: string, what: string): Html {
  return html`<p class="downloads">Download <span class="visually-hidden">${what} </span>as <a href="/app/insights/${table}.csv?${query}" download>CSV<span class="visually-hidden"> (${what})</span></a> · <a href="/app/insights/${table}.json?${query}" download>JSON<span class="visually-hidden"> (${what})</span></a></p>`;
}

/** A table that scrolls sideways on a phone instead of widening the page; focusable so keyboards can scroll it. */
export function scroll(label: string, table: Html): Html {
  return html`<div class="table-scroll" role="region" aria-label="${label}" tabindex="0">${table}</div>`;
}

function capped(total: number): Html | false {
  return total > SHOWN_ROWS && html`<p class="hint">The first ${SHOWN_ROWS} of ${num(total)} rows; the download holds all of them.</p>`;
}

function topTable(posts: readonly RankedPost[], zone: string, id: string): Html {
  if (posts.length === 0) return html`<p class="empty">No posts with interactions in this period.</p>`;
  return scroll(id === "top-interactions" ? "Top posts by interactions" : "Top posts by engagement rate", html`<table aria-labelledby="${id}"><thead><tr><th scope="col">Post</th><th scope="col">Published</th>${KINDS.map((k) => html`<th scope="col">${k.label}</th>`)}<th scope="col">All</th><th scope="col">Followers then</th><th scope="col">Engagement</th></tr></thead>
<tbody>${posts.map((p) => html`<tr><th scope="row">${p.insightsPath.startsWith("/app/insights/posts/") ? html`<a href="${p.insightsPath}">${p.excerpt || "(no text)"}</a>` : p.excerpt}</th><td>${formatLocal(p.publishedAt, zone)}</td>${KINDS.map((k) => html`<td>${num(p[k.key])}</td>`)}<td>${num(p.interactions)}</td><td>${num(p.followersAtPublish)}</td><td>${pct(p.engagementRate)}</td></tr>`)}</tbody></table>`);
}

/**
 * The hour-of-week heat map as a table with shaded cells: a table reads well with a screen reader
 * and every cell shows its number; five shades (classes heat-0 … heat-4), explained by the legend.
 */
function heatMap(map: readonly (readonly number[])[]): Html {
  const max = Math.max(0, ...map.flat());
  const level = (v: number) => (v <= 0 || max === 0 ? 0 : Math.min(4, Math.ceil((v / max) * 4)));
  const levels = [0, 1, 2, 3, 4].flatMap((k) => {
    if (k === 0) return [{ k, label: "0" }];
    const low = Math.floor((max * (k - 1)) / 4) + 1;
    const high = Math.floor((max * k) / 4);
    return high >= low ? [{ k, label: low === high ? num(low) : `${num(low)}–${num(high)}` }] : [];
  });
  return html`${scroll("Interactions by hour of the week", html`<table class="heat"><caption class="visually-hidden">Interactions by weekday (rows) and hour (columns)</caption>
<thead><tr><th scope="col">Day</th>${Array.from({ length: 24 }, (_, h) => html`<th scope="col"><abbr title="${hourRange(h)}">${String(h).padStart(2, "0")}</abbr></th>`)}</tr></thead>
<tbody>${WEEKDAYS.map((day, d) => html`<tr><th scope="row">${day.slice(0, 3)}</th>${Array.from({ length: 24 }, (_, h) => {
    const v = map[d]?.[h] ?? 0;
    return html`<td class="heat-${level(v)}">${num(v)}</td>`;
  })}</tr>`)}</tbody></table>`)}
<ul class="legend" aria-label="Shades">${levels.map((l) => html`<li><span class="swatch heat-${l.k}" aria-hidden="true"></span>${l.label}</li>`)}</ul>`;
}

export function hourRange(hour: number): string {
  const pad = (h: number) => String(h % 24).padStart(2, "0");
  return `${pad(hour)}:00–${pad(hour + 1)}:00`;
}

function dayCount(from: string, to: string): number {
  return Math.round((Date.parse(to) - Date.parse(from)) / 86_400_000) + 1;
}

function followersDesc(days: readonly DayTotals[]): string {
  const first = days[0];
  const last = days.at(-1);
  if (first === undefined || last === undefined) return "No days in this period.";
  const peak = days.reduce((best, d) => (d.followers > best.followers ? d : best), first);
  return `Followers went from ${num(first.followers)} on ${first.date} to ${num(last.followers)} on ${last.date}; the most were ${num(peak.followers)} on ${peak.date}.`;
}

function interactionsDesc(report: InsightsReport): string {
  const t = report.totals;
  const busiest = report.days.reduce<DayTotals | null>((best, d) => (best === null || d.interactions > best.interactions ? d : best), null);
  const parts = KINDS.map((k) => `${num(t[k.key])} ${k.label.toLowerCase()}`).join(", ");
  return `${num(t.interactions)} interactions in the period (${parts})${busiest !== null && busiest.interactions > 0 ? `; the busiest day was ${busiest.date} with ${num(busiest.interactions)}` : ""}.`;
}

/** A post's own public page (an address Herold minted; checked anyway, as every link is). */
function postLink(uri: string): Html {
  const href = safeHttpUrl(uri);
  const text = uri.replace(/^https?:\/\//, "");
  return href === null ? html`${text}` : html`<a href="${href}" rel="noopener noreferrer">${text}</a>`;
}
