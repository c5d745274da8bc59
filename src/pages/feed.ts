import { excerpt, htmlToPlainText } from "../content/text.ts";
import { postExcerpt } from "./post.template.ts";
import type { PostCard } from "./post.view.ts";
import type { FeedView } from "./profile.view.ts";

/**
 * RSS 2.0 and Atom 1.0 feeds of an account's public posts, so people without a Fediverse account
 * (and feed readers, newsletters, websites) can follow the organisation too. Post HTML goes in as
 * escaped text, as both formats expect.
 */

/** Escapes text for XML content and attribute values; drops characters XML 1.0 cannot carry. */
export function xmlEscape(text: string): string {
  return text
    .toWellFormed()
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, "")
    .replace(/[&<>"']/g, (c) => XML_ESCAPES[c]!);
}

const XML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" };

function itemHtml(post: PostCard): string {
  const warning = post.contentWarning !== null ? `<p><strong>Content warning: ${xmlEscape(post.contentWarning)}</strong></p>` : "";
  const media = post.attachments
    .map((a) =>
      a.kind === "image"
        ? `<p><img src="${xmlEscape(a.url)}" alt="${xmlEscape(a.description)}"></p>`
        : `<p><a href="${xmlEscape(a.url)}">${xmlEscape(a.description !== "" ? a.description : "Attachment")}</a></p>`,
    )
    .join("");
  return warning + post.contentHtml + media;
}

function description(view: FeedView): string {
  const bio = htmlToPlainText(view.account.summaryHtml).replace(/\s+/g, " ").trim();
  return bio !== "" ? excerpt(bio, 500) : `Public posts of ${view.account.name} (${view.handle})`;
}

function latest(view: FeedView): Date {
  const first = view.posts[0];
  return new Date(first?.editedAt ?? first?.publishedAt ?? view.account.updatedAt);
}

export function rssFeed(view: FeedView, generator: string): string {
  const items = view.posts.map(
    (post) => `  <item>
    <guid isPermaLink="true">${xmlEscape(post.url)}</guid>
    <link>${xmlEscape(post.url)}</link>
    <title>${xmlEscape(postExcerpt(post, 80))}</title>
    <pubDate>${new Date(post.publishedAt).toUTCString()}</pubDate>
    <description>${xmlEscape(itemHtml(post))}</description>
  </item>
`,
  );
  return `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">
<channel>
  <title>${xmlEscape(view.account.name)}</title>
  <link>${xmlEscape(view.profileUrl)}</link>
  <description>${xmlEscape(description(view))}</description>
  <atom:link href="${xmlEscape(view.rssUrl)}" rel="self" type="application/rss+xml"/>
  <lastBuildDate>${latest(view).toUTCString()}</lastBuildDate>
  <generator>${xmlEscape(generator)}</generator>
${view.avatarUrl !== null ? `  <image><url>${xmlEscape(view.avatarUrl)}</url><title>${xmlEscape(view.account.name)}</title><link>${xmlEscape(view.profileUrl)}</link></image>\n` : ""}${items.join("")}</channel>
</rss>
`;
}

export function atomFeed(view: FeedView, generator: string): string {
  const entries = view.posts.map(
    (post) => `  <entry>
    <id>${xmlEscape(post.url)}</id>
    <title>${xmlEscape(postExcerpt(post, 80))}</title>
    <link rel="alternate" type="text/html" href="${xmlEscape(post.url)}"/>
    <published>${new Date(post.publishedAt).toISOString()}</published>
    <updated>${new Date(post.editedAt ?? post.publishedAt).toISOString()}</updated>
${post.contentWarning !== null ? `    <summary>${xmlEscape(post.contentWarning)}</summary>\n` : ""}    <content type="html">${xmlEscape(itemHtml(post))}</content>
  </entry>
`,
  );
  return `<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <id>${xmlEscape(view.account.uri)}</id>
  <title>${xmlEscape(view.account.name)}</title>
  <subtitle>${xmlEscape(description(view))}</subtitle>
  <updated>${latest(view).toISOString()}</updated>
  <link rel="alternate" type="text/html" href="${xmlEscape(view.profileUrl)}"/>
  <link rel="self" type="application/atom+xml" href="${xmlEscape(view.atomUrl)}"/>
  <author><name>${xmlEscape(view.account.name)}</name><uri>${xmlEscape(view.profileUrl)}</uri></author>
  <generator>${xmlEscape(generator)}</generator>
${view.avatarUrl !== null ? `  <icon>${xmlEscape(view.avatarUrl)}</icon>\n` : ""}${entries.join("")}</feed>
`;
}
