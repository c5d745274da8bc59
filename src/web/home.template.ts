import { excerpt } from "../content/text.ts";
import type { NotificationKind } from "../social/notification.repository.ts";
import { html, type Html } from "../pages/html.ts";
import { postList, zoneOf } from "./app.templates.ts";
import type { HomeData } from "./home.view.ts";
import { TREND_DAYS, UNANSWERED_DAYS } from "./home.view.ts";
import { num } from "./insights.format.ts";
import { formatLocal } from "./time-zone.ts";
import type { Member } from "./web.env.ts";
import { appLayout, type Shell } from "./web.layout.ts";

/** What each kind of notification reads as on the home, singular and plural, in the order shown. */
const NEWS: readonly { kind: NotificationKind; one: string; many: string }[] = [
  { kind: "follow", one: "new follower", many: "new followers" },
  { kind: "follow_request", one: "follow request", many: "follow requests" },
  { kind: "reply", one: "reply", many: "replies" },
  { kind: "mention", one: "mention", many: "mentions" },
  { kind: "quote", one: "quote", many: "quotes" },
  { kind: "like", one: "like", many: "likes" },
  { kind: "boost", one: "boost", many: "boosts" },
  { kind: "react", one: "reaction", many: "reactions" },
  { kind: "move", one: "account moved", many: "accounts moved" },
];

/** An instant in the person's zone, always saying which zone it is. */
function when(member: Member, instant: string): Html {
  const zone = zoneOf(member);
  return html`<time datetime="${new Date(instant).toISOString()}">${formatLocal(instant, zone)} ${zone}</time>`;
}

/** The channel's home: what is scheduled, what needs a reply, what came in, followers, Insights. */
export function channelHomePage(shell: Shell, member: Member, data: HomeData, notice: string | undefined): Html {
  const handle = `@${member.account.username}`;
  return appLayout(shell, {
    title: "Home",
    nav: "home",
    member,
    notice,
    body: html`<h1>Home</h1>
<p class="hint">What is happening at ${handle} today. <a href="/app/compose">Write a post</a> · <a href="/app/timeline">Timeline</a> of the accounts ${handle} follows</p>
<div class="home">
${scheduledBlock(member, data)}
${newsBlock(member, data)}
${followersBlock(member, data, shell.domain)}
${unansweredBlock(member, data)}
${data.insights !== null && insightsBlock(data.insights)}
</div>`,
  });
}

function scheduledBlock(member: Member, data: HomeData): Html {
  const { drafts, more } = data.scheduled;
  return html`<section class="home-block" aria-labelledby="home-scheduled"><h2 id="home-scheduled">Scheduled next</h2>
${drafts.length === 0
    ? html`<p class="empty">Nothing is scheduled. <a href="/app/compose">Write a post</a> and choose a time to publish it.</p>`
    : html`<ol class="home-list">${drafts.map(
        (d) => html`<li>${d.scheduledAt !== null && when(member, d.scheduledAt)}${d.state === "publishing" && html` <span class="badge">publishing</span>`}<br><a href="/app/compose?draft=${d.id}">${excerpt(d.text.replace(/\s+/g, " "), 100) || "(images only)"}</a>${d.media.length > 0 && html` <span class="badge">${d.media.length} image(s)</span>`}</li>`,
      )}</ol>`}
<p><a href="/app/calendar">${more ? "More in the calendar" : "Calendar"}</a></p>
</section>`;
}

function unansweredBlock(member: Member, data: HomeData): Html {
  const { items, more } = data.unanswered;
  return html`<section class="home-block wide" aria-labelledby="home-unanswered"><h2 id="home-unanswered">Needs a reply</h2>
<p class="hint">Replies to @${member.account.username} and mentions of it from the last ${UNANSWERED_DAYS} days that it has not answered.</p>
${items.length === 0
    ? html`<p class="empty">Nothing waits for an answer.</p>`
    : postList(member, items, "/app", "")}
${more && html`<p><a href="/app/mentions">More in Mentions</a></p>`}
</section>`;
}

function newsBlock(member: Member, data: HomeData): Html {
  const { since, from, activity } = data.news;
  const shown = NEWS.filter((n) => activity.counts[n.kind] > 0);
  const title = since === null ? `In the last ${TREND_DAYS} days` : "Since your last visit";
  return html`<section class="home-block" aria-labelledby="home-news"><h2 id="home-news">${title}</h2>
${since !== null && html`<p class="hint">Your last visit: ${when(member, since)}</p>`}
${shown.length === 0
    ? html`<p class="empty">Nothing new${since === null ? ` in the last ${TREND_DAYS} days` : ` since ${formatLocal(from, zoneOf(member))} ${zoneOf(member)}`}.</p>`
    : html`<ul class="home-list">${shown.map((n) => {
        const count = activity.counts[n.kind];
        return html`<li><strong>${num(count)}</strong> ${count === 1 ? n.one : n.many}</li>`;
      })}</ul>`}
<p><a href="/app/notifications">Notifications</a></p>
</section>`;
}

function followersBlock(member: Member, data: HomeData, domain: string): Html {
  const { followers, gained, lost } = data.followers;
  const net = gained - lost;
  const change = gained === 0 && lost === 0
    ? html`No change in the last ${TREND_DAYS} days.`
    : html`${net > 0 ? `Up ${num(net)}` : net < 0 ? `Down ${num(-net)}` : "Unchanged"} in the last ${TREND_DAYS} days (${num(gained)} new, ${num(lost)} left).`;
  return html`<section class="home-block" aria-labelledby="home-followers"><h2 id="home-followers">Followers</h2>
<p class="figure">${num(followers)}</p>
<p>${change}</p>
${followers === 0 && gained === 0 && html`<p class="empty">No followers yet: people follow @${member.account.username} from their own server by searching for <strong>@${member.account.username}@${domain}</strong>.</p>`}
<p><a href="/app/followers">Followers</a></p>
</section>`;
}

function insightsBlock(totals: NonNullable<HomeData["insights"]>): Html {
  return html`<section class="home-block" aria-labelledby="home-insights"><h2 id="home-insights">Last ${TREND_DAYS} days</h2>
<ul class="cards">
<li class="card"><h3>Interactions</h3><p class="figure">${num(totals.interactions)}</p></li>
<li class="card"><h3>Replies</h3><p class="figure">${num(totals.replies)}</p></li>
<li class="card"><h3>Page views</h3><p class="figure">${num(totals.pageViews)}</p></li>
</ul>
<p><a href="/app/insights">Insights</a></p>
</section>`;
}
