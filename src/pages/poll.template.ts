import { html, type Html } from "./html.ts";
import type { Poll } from "../post/post.entity.ts";
import { pollShares } from "../post/poll.ts";

/**
 * A poll's results, local or remote, on public pages and in the app: one bar per option with its
 * count and share. Native `<meter>` elements draw the bars, so no inline style is needed (the
 * pages' CSP allows none) and screen readers hear each value. Counts are what Herold last stored:
 * its own votes as they arrive, a remote poll's as its server last sent them.
 */
export function pollResults(poll: Poll): Html {
  const shares = pollShares(poll);
  const total = poll.options.reduce((s, o) => s + o.votes, 0);
  const voters = poll.voters ?? total;
  return html`<figure class="poll" aria-label="Poll results">
<ul>${poll.options.map(
    (o, i) => html`<li><span class="poll-option">${o.name}</span> <span class="poll-count">${shares[i] ?? 0}% · ${o.votes} ${o.votes === 1 ? "vote" : "votes"}</span>
<meter min="0" max="100" value="${String(shares[i] ?? 0)}" aria-label="${o.name}: ${shares[i] ?? 0}%">${shares[i] ?? 0}%</meter></li>`,
  )}</ul>
<figcaption>${voters} ${voters === 1 ? "person" : "people"} voted${poll.multiple ? " (several choices allowed)" : ""}${poll.endsAt !== null && html` · voting until <time datetime="${poll.endsAt}">${poll.endsAt.slice(0, 16).replace("T", " ")} UTC</time>`}</figcaption>
</figure>`;
}
