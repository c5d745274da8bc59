import { excerpt, htmlToPlainText } from "../content/text.ts";
import { postExcerpt } from "./post.template.ts";
import type { PostCard } from "./post.view.ts";
import type { FeedView } from "./profile.view.ts";
import type { TagPageView } from "./tag.view.ts";

/**
 * RSS 2.0 and Atom 1.0 feeds of an account's or a hashtag's public posts, so people without a Fediverse account
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

/** What a feed is about: an account's posts or a hashtag's. */
export interface FeedChannel {
  /** The Atom feed id: the actor's id, or the hashtag page's URL. */
  readonly id: string;
  readonly title: string;
  readonly description: string;
  /** The HTML page the feed mirrors. */
  readonly link: string;
  readonly rssUrl: string;
  readonly atomUrl: string;
  readonly iconUrl: string | null;
  /** When the feed changed if it has no posts. */
  readonly updatedFallback: string;
  /** The feed's author (an account's feed); a hashtag's feed names the author per entry. */
  readonly author: { readonly name: string; readonly url: string } | null;
  readonly posts: readonly PostCard[];
}

export function profileChannel(view: FeedView): FeedChannel {
  const bio = htmlToPlainText(view.account.summaryHtml).replace(/\s+/g, " ").trim();
  return {
    id: view.account.uri,
    title: view.account.name,
    description: bio !== "" ? excerpt(bio, 500) : `Public posts of ${view.account.name} (${view.handle})`,
    link: view.profileUrl,
    rssUrl: view.rssUrl,
    atomUrl: view.atomUrl,
    iconUrl: view.avatarUrl,
    updatedFallback: view.account.updatedAt,
    author: { name: view.account.name, url: view.profileUrl },
    posts: view.posts,
  };
}

export function tagChannel(view: TagPageView, domain: string): FeedChannel {
  return {
    id: view.pageUrl,
    title: `#${view.tag} on ${domain}`,
    description: `Public posts with the hashtag #${view.tag} on ${domain}`,
    link: view.pageUrl,
    rssUrl: view.rssUrl,
    atomUrl: view.atomUrl,
    iconUrl: null,
    updatedFallback: new Date(0).toISOString(),
    author: null,
    posts: view.posts,
  };
}

function latest(view: FeedChannel): Date {
  const first = view.posts[0];
  return new Date(first?.editedAt ?? first?.publishedAt ?? view.updatedFallback);
}

export function rssFeed(view: FeedChannel, generator: string): string {
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
  <title>${xmlEscape(view.title)}</title>
  <link>${xmlEscape(view.link)}</link>
  <description>${xmlEscape(view.description)}</description>
  <atom:link href="${xmlEscape(view.rssUrl)}" rel="self" type="application/rss+xml"/>
  <lastBuildDate>${latest(view).toUTCString()}</lastBuildDate>
  <generator>${xmlEscape(generator)}</generator>
${view.iconUrl !== null ? `  <image><url>${xmlEscape(view.iconUrl)}</url><title>${xmlEscape(view.title)}</title><link>${xmlEscape(view.link)}</link></image>\n` : ""}${items.join("")}</channel>
</rss>
`;
}

export function atomFeed(view: FeedChannel, generator: string): string {
  const entries = view.posts.map(
    (post) => `  <entry>
    <id>${xmlEscape(post.url)}</id>
    <title>${xmlEscape(postExcerpt(post, 80))}</title>
    <link rel="alternate" type="text/html" href="${xmlEscape(post.url)}"/>
    <published>${new Date(post.publishedAt).toISOString()}</published>
    <updated>${new Date(post.editedAt ?? post.publishedAt).toISOString()}</updated>
${view.author === null ? `    <author><name>${xmlEscape(post.authorName)}</name><uri>${xmlEscape(post.authorUrl)}</uri></author>\n` : ""}${post.contentWarning !== null ? `    <summary>${xmlEscape(post.contentWarning)}</summary>\n` : ""}    <content type="html">${xmlEscape(itemHtml(post))}</content>
  </entry>
`,
  );
  return `<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <id>${xmlEscape(view.id)}</id>
  <title>${xmlEscape(view.title)}</title>
  <subtitle>${xmlEscape(view.description)}</subtitle>
  <updated>${latest(view).toISOString()}</updated>
  <link rel="alternate" type="text/html" href="${xmlEscape(view.link)}"/>
  <link rel="self" type="application/atom+xml" href="${xmlEscape(view.atomUrl)}"/>
${view.author !== null ? `  <author><name>${xmlEscape(view.author.name)}</name><uri>${xmlEscape(view.author.url)}</uri></author>\n` : ""}  <generator>${xmlEscape(generator)}</generator>
${view.iconUrl !== null ? `  <icon>${xmlEscape(view.iconUrl)}</icon>\n` : ""}${entries.join("")}</feed>
`;
}
