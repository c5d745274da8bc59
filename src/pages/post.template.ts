import { excerpt, htmlToPlainText } from "../content/text.ts";
import { html, raw, type Html } from "./html.ts";
import { layout, type Site } from "./layout.ts";
import { followBox } from "./follow.template.ts";
import type { AttachmentView, EarlierVersion, PostCard, PostPageView, ReplyCard } from "./post.view.ts";
import { pollResults } from "./poll.template.ts";
import type { PostCounts } from "../social/interaction.repository.ts";

const numberFormat = new Intl.NumberFormat("en-GB");

const dateFormat = new Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" });

/** `<time>` with the machine-readable instant and a short UTC rendering (no JavaScript to localise it). */
export function time(iso: string, className: string): Html {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return html``;
  return html`<time class="${className}" datetime="${date.toISOString()}">${dateFormat.format(date)} UTC</time>`;
}

/**
 * One post: author, permalink with the publication time, reply and quote context, content and
 * attachments. A content warning hides content and media behind `<details>`; a sensitive post
 * without one hides only its media.
 */
export function postCard(post: PostCard, options: { headingLevel: "h1" | "h3" }): Html {
  const media = attachments(post.attachments);
  const content = html`${post.title !== null && html`<p class="p-name"><strong>${post.title}</strong></p>`}<div class="content e-content">${raw(post.contentHtml)}</div>${post.poll !== null && pollResults(post.poll)}`;
  const heading = options.headingLevel === "h1"
    ? html`<h1 class="visually-hidden">Post by ${post.authorName}</h1>`
    : html`<h3 class="visually-hidden">Post by ${post.authorName}, ${time(post.publishedAt, "")}</h3>`;
  return html`<article class="post h-entry"${post.language !== null && html` lang="${post.language}"`}>
${heading}<header>
<a class="author p-author h-card" href="${post.authorUrl}">${post.authorAvatarUrl !== null && html`<img class="u-photo" src="${post.authorAvatarUrl}" alt="" width="40" height="40">`}<span class="p-name">${post.authorName}</span> <span class="author-handle">${post.authorHandle}</span></a>
<a class="u-url permalink" href="${post.url}">${time(post.publishedAt, "dt-published")}</a>
${post.editedAt !== null && html`<span class="edited">edited ${time(post.editedAt, "dt-updated")}</span>`}
</header>
${post.replyTo !== null && html`<p class="context">In reply to <a class="u-in-reply-to" href="${post.replyTo.href}" rel="nofollow noopener noreferrer">${post.replyTo.label}</a></p>`}
${
  post.contentWarning !== null
    ? html`<details><summary>Content warning: ${post.contentWarning}</summary>${content}${media}</details>`
    : html`${content}${post.sensitive && media !== null ? html`<details><summary>Sensitive media</summary>${media}</details>` : media}`
}
${post.quote !== null && html`<p class="context">Quoting <a class="u-quotation-of" href="${post.quote.href}" rel="nofollow noopener noreferrer">${post.quote.label}</a></p>`}
</article>`;
}

function attachments(list: readonly AttachmentView[]): Html | null {
  if (list.length === 0) return null;
  return html`<ul class="attachments${list.length > 1 ? " many" : ""}">${list.map((a) => html`<li>${attachment(a)}</li>`)}</ul>`;
}

function attachment(a: AttachmentView): Html {
  const size = html`${a.width !== null && html` width="${a.width}"`}${a.height !== null && html` height="${a.height}"`}`;
  switch (a.kind) {
    case "image":
      return html`<a href="${a.url}"><img src="${a.url}" alt="${a.description}" loading="lazy" decoding="async"${size}></a>`;
    case "video":
      return html`<video controls preload="none" src="${a.url}"${size}${a.description !== "" && html` aria-label="${a.description}"`}><a href="${a.url}">Download the video</a></video>`;
    case "audio":
      return html`<audio controls preload="none" src="${a.url}"${a.description !== "" && html` aria-label="${a.description}"`}><a href="${a.url}">Download the audio</a></audio>`;
    case "document":
      return html`<a href="${a.url}">${a.description !== "" ? a.description : "Attachment"}</a>`;
  }
}

/** Plain-text summary of a post for titles, descriptions and feed entry titles. */
export function postExcerpt(post: PostCard, max: number): string {
  if (post.contentWarning !== null) return `Content warning: ${post.contentWarning}`;
  const text = htmlToPlainText(post.contentHtml).replace(/\s+/g, " ").trim();
  if (text !== "") return excerpt(text, max);
  if (post.title !== null) return excerpt(post.title, max);
  return post.attachments.length > 0 ? `${post.attachments.length} attachment(s)` : "Post";
}

/** Likes, boosts and replies as a list a screen reader reads as such. */
export function countsList(counts: PostCounts): Html {
  const item = (n: number, one: string, many: string) => html`<li><strong>${numberFormat.format(n)}</strong> ${n === 1 ? one : many}</li>`;
  return html`<ul class="counts post-counts" aria-label="Reactions">${item(counts.replies, "reply", "replies")}${item(counts.boosts, "boost", "boosts")}${item(counts.likes, "like", "likes")}</ul>`;
}

function replyItem(reply: ReplyCard): Html {
  const author = html`<span class="author">${reply.authorAvatarUrl !== null && html`<img class="u-photo" src="${reply.authorAvatarUrl}" alt="" width="32" height="32">`}<span class="p-name">${reply.authorName}</span> <span class="author-handle">${reply.authorHandle}</span></span>`;
  const content = html`<div class="content e-content">${raw(reply.contentHtml)}</div>`;
  return html`<li><article class="post reply h-entry"${reply.language !== null && html` lang="${reply.language}"`}>
<header>${reply.authorUrl !== null ? html`<a class="p-author h-card" href="${reply.authorUrl}" rel="nofollow noopener noreferrer">${author}</a>` : author}
${reply.url !== null ? html`<a class="u-url permalink" href="${reply.url}" rel="nofollow noopener noreferrer">${time(reply.publishedAt, "dt-published")}</a>` : time(reply.publishedAt, "dt-published")}</header>
${reply.contentWarning !== null ? html`<details><summary>Content warning: ${reply.contentWarning}</summary>${content}</details>` : content}
</article></li>`;
}

/** Mastodon's "edited" history: every version an edit replaced, newest first, closed by default. */
function history(versions: readonly EarlierVersion[]): Html | null {
  if (versions.length === 0) return null;
  return html`<details class="history"><summary>Edited ${versions.length === 1 ? "once" : `${versions.length} times`}: earlier versions</summary>
<ol class="versions">${versions.map(
    (v) => html`<li><p class="version-time">Shown from ${time(v.from, "")} until ${time(v.until, "")}</p>${v.contentWarning !== null && html`<p><strong>Content warning: ${v.contentWarning}</strong></p>`}<div class="content">${raw(v.contentHtml)}</div></li>`,
  )}</ol></details>`;
}

export function postPage(site: Site, view: PostPageView): Html {
  const { post } = view;
  const image = post.contentWarning === null && !post.sensitive ? post.attachments.find((a) => a.kind === "image") : undefined;
  return layout(site, {
    title: `${post.authorName}: “${postExcerpt(post, 60)}”`,
    description: postExcerpt(post, 200),
    canonical: post.url,
    ogType: "article",
    ogImage: image?.url ?? null,
    mainClass: "single",
    alternates: [{ type: "application/activity+json", href: post.url }],
    body: html`${postCard(post, { headingLevel: "h1" })}
${history(view.history)}
${countsList(view.counts)}
<section class="replies" aria-labelledby="replies-heading">
<h2 id="replies-heading">Replies</h2>
${view.replies.length === 0 ? html`<p class="empty">No public replies yet.</p>` : html`<ol class="posts">${view.replies.map(replyItem)}</ol>`}
</section>
${followBox({ handle: post.authorHandle, name: post.authorName, key: "author" })}
<nav class="pager" aria-label="More from ${post.authorName}"><a href="${post.authorUrl}">More posts by ${post.authorName}</a></nav>`,
  });
}
