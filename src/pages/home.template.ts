import { followBox } from "./follow.template.ts";
import { html, raw, type Html } from "./html.ts";
import { layout, type Site } from "./layout.ts";
import type { AccountCard, HomeView } from "./home.view.ts";

/**
 * The site root: the organisation's account (or accounts) with avatar, name, bio, the handle to copy
 * and how to follow from any Fediverse app, and the way in for the team.
 */
export function homePage(site: Site, view: HomeView): Html {
  const only = view.accounts.length === 1 ? view.accounts[0]! : null;
  return layout(site, {
    title: only !== null ? `${only.account.name} (${only.handle})` : site.domain,
    description: only !== null ? `${only.account.name} on the Fediverse: follow ${only.handle}` : `Accounts on ${site.domain}, on the Fediverse`,
    canonical: view.url,
    body: html`${only === null && html`<h1 class="home-title">${site.domain}</h1>`}
${view.accounts.length === 0
    ? html`<p class="empty">No accounts publish here yet.</p>`
    : html`<ul class="accounts">${view.accounts.map((card, i) => html`<li>${accountCard(card, only !== null ? "h1" : "h2", i)}</li>`)}</ul>`}
<section class="team" aria-labelledby="team-heading">
<h2 id="team-heading">Work here?</h2>
<p><a href="/app/login">Sign in to the team app</a> to write, schedule and answer.</p>
</section>`,
  });
}

function accountCard(card: AccountCard, heading: "h1" | "h2", index: number): Html {
  const { account } = card;
  const name = html`<a href="${card.profileUrl}">${account.name}</a>`;
  return html`<article class="profile h-card account-card" aria-labelledby="account-${index}">
${card.avatarUrl !== null && html`<img class="avatar u-photo" src="${card.avatarUrl}" alt="" width="96" height="96">`}
${heading === "h1" ? html`<h1 id="account-${index}" class="p-name">${name}</h1>` : html`<h2 id="account-${index}" class="p-name">${name}</h2>`}
<p class="handle">${card.handle}</p>
${account.summaryHtml !== "" && html`<div class="bio p-note">${raw(account.summaryHtml)}</div>`}
<p><a href="${card.profileUrl}">See the posts of ${account.name}</a></p>
${followBox({ handle: card.handle, name: account.name, key: String(index), rssUrl: card.rssUrl, atomUrl: card.atomUrl })}
</article>`;
}
