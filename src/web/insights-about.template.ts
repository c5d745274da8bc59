import { html, type Html } from "../pages/html.ts";
import type { Member } from "./web.env.ts";
import { appLayout, type Shell } from "./web.layout.ts";

/** "About these numbers": what Insights count, how, what they cannot count and why, what is stored. */
export function insightsAboutPage(shell: Shell, member: Member): Html {
  return appLayout(shell, {
    title: "About these numbers",
    nav: "insights",
    member,
    body: html`<p><a href="/app/insights">Back to Insights</a></p>
<h1>About these numbers</h1>
<div class="prose">
<section aria-labelledby="counted"><h2 id="counted">What is counted</h2>
<p>Everything in Insights comes from what other servers send to this server when people act on the account's posts. Herold is the server the posts come from, so each of these arrives in its own inbox:</p>
<ul>
<li><strong>Likes</strong> — also from Misskey and its forks, whose like button sends a reaction with ❤ (also ❤️ or ♥): counted as a like, so likes compare across servers.</li>
<li><strong>Boosts</strong> (shares, renotes).</li>
<li><strong>Replies</strong> and <strong>quotes</strong>.</li>
<li><strong>Reactions</strong> with any other emoji.</li>
<li><strong>Follows</strong> and unfollows: followers gained, lost and the total on each day.</li>
<li><strong>Page views</strong> of this server's own public pages of the account (profile, post pages, feeds).</li>
</ul>
<p>When someone takes a like, boost or reaction back (an Undo), it is subtracted again: the figures are net. When a server delivers the same activity twice (to the shared and to a personal inbox, or again after a timeout), it is counted once.</p></section>

<section aria-labelledby="how"><h2 id="how">How</h2>
<p>Exactly, not sampled and not estimated: each interaction is counted at the minute it happened, and days and hours are the account's time zone. An interaction is counted on the day people interacted, not on the day the post was published. Every period is compared with the period of the same length just before it.</p>
<p>The engagement rate of a period is its interactions divided by the followers at its start; a post's engagement rate is its interactions divided by the followers when it was published. Churn is the followers lost divided by the followers at the start. Delivery reach counts the servers whose inbox accepted the post, those that failed for good and those still being tried, and the followers on the servers that accepted it.</p></section>

<section aria-labelledby="not-counted"><h2 id="not-counted">What is not counted, and why</h2>
<p><strong>Impressions</strong> (how often a post was shown on other servers) and <strong>clicks on links</strong> there are not counted. ActivityPub carries no such signal: a server that shows a post to its people tells nobody. Getting one would need tracking — a pixel, a redirect through this server, a script — and Herold does not track anyone.</p>
<p>Views of the account on other servers are not page views here either: a page view is a request for a page on this server.</p></section>

<section aria-labelledby="stored"><h2 id="stored">What is stored</h2>
<ul>
<li>Page views are plain counters per page kind and quarter of an hour (quarters, so that the days of every time zone add up exactly). Nothing is stored per visitor: no IP address, no user agent, no cookie, no hash or other identifier. Requests from obvious crawlers are counted apart and not included in the page views.</li>
<li>The counts by day and kind are aggregates and name nobody.</li>
<li>What is kept per remote account only for Insights is folded into those aggregates after <code>HEROLD_ANALYTICS_RAW_DAYS</code> days (90 unless the administrator set another value). What the social features need stays as it is — who liked a post, so that an Undo can be processed.</li>
<li>The numbers are for the account's own people only: Insights are shown to the people who act for the account, and nothing is sent to anyone else.</li>
</ul></section>
</div>`,
  });
}
