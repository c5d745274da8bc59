import { html, type Html } from "./html.ts";
import { layout, type Site } from "./layout.ts";
import { postCard } from "./post.template.ts";
import type { TagPageView } from "./tag.view.ts";

/** `/tags/<name>`: the public posts with a hashtag, newest first, with its feeds. */
export function tagPage(site: Site, view: TagPageView): Html {
  const title = `#${view.tag}`;
  return layout(site, {
    title: `${title} · ${site.domain}`,
    description: `Public posts with the hashtag #${view.tag} on ${site.domain}`,
    canonical: view.pageUrl,
    alternates: [
      { type: "application/rss+xml", href: view.rssUrl, title: `${title} (RSS)` },
      { type: "application/atom+xml", href: view.atomUrl, title: `${title} (Atom)` },
    ],
    body: html`<section aria-labelledby="tag-heading">
<h1 id="tag-heading" class="tag-title">${title}</h1>
<p class="feeds">Public posts from ${site.domain} with this hashtag, newest first. Subscribe: <a href="${view.rssUrl}">RSS feed</a> <a href="${view.atomUrl}">Atom feed</a></p>
${view.posts.length === 0
    ? html`<p class="empty">${view.newestUrl !== null ? "No older posts." : "No public posts with this hashtag yet."}</p>`
    : html`<ol class="posts">${view.posts.map((p) => html`<li>${postCard(p, { headingLevel: "h3" })}</li>`)}</ol>`}
${(view.olderUrl !== null || view.newestUrl !== null) && html`<nav class="pager" aria-label="Pages of posts">
${view.newestUrl !== null ? html`<a href="${view.newestUrl}">Newest posts</a>` : html`<span></span>`}
${view.olderUrl !== null && html`<a rel="next" href="${view.olderUrl}">Older posts</a>`}
</nav>`}
</section>`,
  });
}
