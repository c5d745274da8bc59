import type { PostInsights } from "../insights/insights.report.ts";
import { html, type Html } from "../pages/html.ts";
import { safeHttpUrl } from "../pages/post.view.ts";
import { barChart, lineChart } from "./insights.charts.ts";
import { num, pct } from "./insights.format.ts";
import { KINDS, scroll } from "./insights.template.ts";
import { formatLocal } from "./time-zone.ts";
import type { Member } from "./web.env.ts";
import { appLayout, type Shell } from "./web.layout.ts";

const KIND_WORDS = { like: "liked", boost: "boosted", reply: "replied", quote: "quoted", reaction: "reacted" } as const;

/** One post's page: its curve, hour by hour, by kind, how far it was delivered, and who interacted. */
export function postInsightsPage(shell: Shell, member: Member, insights: PostInsights): Html {
  const { post, curve, hourly } = insights;
  const href = safeHttpUrl(post.uri);
  const hours = Array.from({ length: 168 }, (_, i) => hourly[i] ?? 0);
  // The running total the curve draws: its value at hour 24 is the first day's, at 168 the first week's.
  const running = hours.map(((total) => (v: number) => (total += v))(0));
  const peak = hours.reduce((best, v, i) => (v > (hours[best] ?? 0) ? i : best), 0);
  const reachable = post.deliveredServers + post.failedServers + post.pendingServers;
  return appLayout(shell, {
    title: "Post insights",
    nav: "insights",
    member,
    body: html`<p><a href="/app/insights">Back to Insights</a></p>
<h1>Post insights</h1>
<blockquote class="excerpt">${post.excerpt || "(no text)"}</blockquote>
<p class="hint">Published ${formatLocal(post.publishedAt, insights.timeZone)} (${insights.timeZone})${href !== null && html` · <a href="${href}" rel="noopener noreferrer">Open the post</a>`}</p>

<section aria-labelledby="post-overview"><h2 id="post-overview">Overview</h2>
<ul class="cards">
<li class="card"><h3>Interactions</h3><p class="figure">${num(post.interactions)}</p><p class="hint">from ${num(post.accounts)} accounts on ${num(post.servers)} servers</p></li>
<li class="card"><h3>Engagement rate</h3><p class="figure">${pct(post.engagementRate)}</p><p class="hint">${num(post.interactions)} interactions ÷ ${num(post.followersAtPublish)} followers when it was published</p></li>
<li class="card"><h3>First hour</h3><p class="figure">${num(curve.firstHour)}</p><p class="hint">interactions within 1 hour</p></li>
<li class="card"><h3>First day</h3><p class="figure">${num(curve.firstDay)}</p><p class="hint">within 24 hours</p></li>
<li class="card"><h3>First week</h3><p class="figure">${num(curve.firstWeek)}</p><p class="hint">within 7 days</p></li>
</ul></section>

<section aria-labelledby="post-curve"><h2 id="post-curve">The curve</h2>
${lineChart(
      { id: "chart-curve", title: "Interactions so far, hour by hour, over the first 7 days", desc: `After 1 hour ${num(curve.firstHour)}, after 1 day ${num(curve.firstDay)}, after 7 days ${num(curve.firstWeek)} interactions.` },
      running.map((_, i) => `${i + 1} h`),
      running,
      "k-all",
      true,
    )}
<details><summary>The curve as a table</summary>${scroll("Interactions so far after each day", html`<table><thead><tr><th scope="col">After</th><th scope="col">Interactions so far</th></tr></thead>
<tbody><tr><th scope="row">1 hour</th><td>${num(curve.firstHour)}</td></tr>${Array.from({ length: 7 }, (_, d) => html`<tr><th scope="row">${d === 0 ? "1 day" : `${d + 1} days`}</th><td>${num(running[d * 24 + 23] ?? 0)}</td></tr>`)}</tbody></table>`)}</details></section>

<section aria-labelledby="post-hourly"><h2 id="post-hourly">Hour by hour</h2>
${barChart(
      {
        id: "chart-hourly",
        title: "Interactions per hour in the first 7 days after publication",
        desc: curve.firstWeek === 0 ? "No interactions in the first 7 days." : `${num(curve.firstHour)} in the first hour, ${num(curve.firstDay)} in the first day, ${num(curve.firstWeek)} in the first week; the busiest hour was hour ${peak + 1} with ${num(hours[peak] ?? 0)}.`,
      },
      hours.map((_, i) => `day ${Math.floor(i / 24) + 1}`),
      hours,
      "k-all",
      24,
    )}
<details><summary>Interactions per hour as a table</summary>${scroll("Interactions per hour after publication", html`<table class="hourly"><caption class="visually-hidden">Interactions by day after publication (rows) and hour of that day (columns)</caption>
<thead><tr><th scope="col">Day</th>${Array.from({ length: 24 }, (_, h) => html`<th scope="col">${h + 1}</th>`)}<th scope="col">Day total</th></tr></thead>
<tbody>${Array.from({ length: 7 }, (_, d) => {
      const row = hours.slice(d * 24, d * 24 + 24);
      return html`<tr><th scope="row">Day ${d + 1}</th>${row.map((v) => html`<td>${num(v)}</td>`)}<td>${num(row.reduce((a, b) => a + b, 0))}</td></tr>`;
    })}</tbody></table>`)}</details></section>

<section aria-labelledby="post-kinds"><h2 id="post-kinds">By kind</h2>
${scroll("Interactions by kind", html`<table><thead><tr><th scope="col">Kind</th><th scope="col">Count</th><th scope="col">Share</th></tr></thead>
<tbody>${KINDS.map((k) => html`<tr><th scope="row">${k.label}</th><td>${num(post[k.key])}</td><td>${pct(post.interactions === 0 ? 0 : post[k.key] / post.interactions)}</td></tr>`)}
<tr><th scope="row">All</th><td>${num(post.interactions)}</td><td>${pct(post.interactions === 0 ? 0 : 1)}</td></tr></tbody></table>`)}</section>

<section aria-labelledby="post-reach"><h2 id="post-reach">Delivery reach</h2>
<ul class="cards">
<li class="card"><h3>Delivered</h3><p class="figure">${num(post.deliveredServers)}</p><p class="hint">servers accepted the post</p></li>
<li class="card"><h3>Failed</h3><p class="figure">${num(post.failedServers)}</p><p class="hint">servers gave up on for good</p></li>
<li class="card"><h3>Pending</h3><p class="figure">${num(post.pendingServers)}</p><p class="hint">servers still being tried</p></li>
<li class="card"><h3>Followers reached</h3><p class="figure">${num(insights.followersReached)}</p><p class="hint">followers on the servers that accepted it</p></li>
</ul>
<p class="hint">${reachable === 0 ? "The post was not sent to any other server (no followers elsewhere, or not public)." : `${pct(post.deliveredServers / reachable)} of ${num(reachable)} servers accepted it. Whether people there saw it, no server tells: ActivityPub carries no impressions.`}</p></section>

<section aria-labelledby="post-accounts"><h2 id="post-accounts">Who interacted</h2>
${insights.accounts.length === 0 ? html`<p class="empty">Nobody yet.</p>` : html`<ul class="list">${insights.accounts.map((a) => {
      const profile = safeHttpUrl(a.profileUrl) ?? safeHttpUrl(a.uri);
      const name = a.name !== null && a.name.trim() !== "" ? a.name : a.handle;
      return html`<li><div class="person"><div class="grow">${profile !== null ? html`<a href="${profile}" rel="nofollow noopener noreferrer"><strong>${name}</strong></a>` : html`<strong>${name}</strong>`}<br><span class="handle">@${a.handle.replace(/^@/, "")}</span></div><span>${a.kinds.map((k) => KIND_WORDS[k]).join(", ")}</span></div></li>`;
    })}</ul>`}</section>`,
  });
}
