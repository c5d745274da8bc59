import { excerpt, htmlToPlainText } from "../content/text.ts";
import { html, raw, type Html } from "./html.ts";
import { layout, type Site } from "./layout.ts";
import type { AttachmentView, PostCard, PostPageView } from "./post.view.ts";
import { pollResults } from "./poll.template.ts";

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
<a class="author p-author h-card" href="${post.authorUrl}">${post.authorName}</a>
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
<nav class="pager" aria-label="More from ${post.authorName}"><a href="${post.authorUrl}">More posts by ${post.authorName}</a></nav>`,
  });
}
