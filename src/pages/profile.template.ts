import { excerpt, htmlToPlainText } from "../content/text.ts";
import { followBox } from "./follow.template.ts";
import { html, raw, type Html } from "./html.ts";
import { layout, type Site } from "./layout.ts";
import { postCard } from "./post.template.ts";
import type { ProfileView } from "./profile.view.ts";

const KIND_LABELS: Record<string, string> = { Organization: "Organisation", Person: "Person", Service: "Automated account" };
const numberFormat = new Intl.NumberFormat("en-GB");

export function profilePage(site: Site, view: ProfileView): Html {
  const { account } = view;
  const bio = excerpt(htmlToPlainText(account.summaryHtml).replace(/\s+/g, " ").trim(), 200);
  return layout(site, {
    title: `${account.name} (${view.handle})`,
    description: bio !== "" ? bio : `${account.name} on the Fediverse: follow ${view.handle}`,
    canonical: view.profileUrl,
    ogType: "profile",
    ogImage: view.avatarUrl,
    alternates: [
      { type: "application/activity+json", href: view.actorUrl },
      { type: "application/rss+xml", href: view.rssUrl, title: `${account.name} (RSS)` },
      { type: "application/atom+xml", href: view.atomUrl, title: `${account.name} (Atom)` },
    ],
    body: html`<article class="profile h-card" aria-labelledby="profile-name">
${view.headerUrl !== null && html`<img class="banner" src="${view.headerUrl}" alt="">`}
${view.avatarUrl !== null && html`<img class="avatar u-photo" src="${view.avatarUrl}" alt="${account.name}">`}
<h1 id="profile-name" class="p-name">${account.name}</h1>
<p class="handle">${view.handle}</p>
<p class="kind">${KIND_LABELS[account.type] ?? account.type}</p>
${view.movedTo !== null && html`<p class="notice">This account has moved to <a href="${view.movedTo}" rel="nofollow noopener noreferrer">${view.movedTo}</a>.</p>`}
${account.summaryHtml !== "" && html`<div class="bio p-note">${raw(account.summaryHtml)}</div>`}
${view.fields.length > 0 && html`<dl class="fields">${view.fields.map((f) => html`<div><dt>${f.name}</dt><dd>${raw(f.value)}</dd></div>`)}</dl>`}
<ul class="counts" aria-label="Numbers">
<li><strong>${numberFormat.format(view.counts.posts)}</strong> ${view.counts.posts === 1 ? "post" : "posts"}</li>
<li><strong>${numberFormat.format(view.counts.followers)}</strong> ${view.counts.followers === 1 ? "follower" : "followers"}</li>
<li><strong>${numberFormat.format(view.counts.following)}</strong> following</li>
</ul>
</article>
${followBox({ handle: view.handle, name: account.name, key: "profile", rssUrl: view.rssUrl, atomUrl: view.atomUrl })}
<section aria-labelledby="posts-heading">
<h2 id="posts-heading">Posts</h2>
${posts(view)}
${pager(view)}
</section>`,
  });
}

function posts(view: ProfileView): Html {
  if (view.posts.length === 0) {
    return html`<p class="empty">${view.newestUrl !== null ? "No older posts." : "No public posts yet."}</p>`;
  }
  return html`<ol class="posts">${view.posts.map((p) => html`<li>${postCard(p, { headingLevel: "h3" })}</li>`)}</ol>`;
}

function pager(view: ProfileView): Html | null {
  if (view.olderUrl === null && view.newestUrl === null) return null;
  return html`<nav class="pager" aria-label="Pages of posts">
${view.newestUrl !== null ? html`<a href="${view.newestUrl}">Newest posts</a>` : html`<span></span>`}
${view.olderUrl !== null && html`<a rel="next" href="${view.olderUrl}">Older posts</a>`}
</nav>`;
}
