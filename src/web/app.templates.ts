import type { Actor } from "../actor/actor.entity.ts";
import { html, raw, type Html } from "../pages/html.ts";
import type { AppPost } from "./app.views.ts";
import { safeHttpUrl } from "../pages/post.view.ts";
import { pollResults } from "../pages/poll.template.ts";
import type { Member } from "./web.env.ts";
import { csrfField } from "./web.layout.ts";
import { formatZoned } from "./time-zone.ts";

/** The zone times are shown in: the person's setting, else UTC (pages work without JavaScript). */
export function zoneOf(member: Member): string {
  return member.session.user.timeZone ?? "UTC";
}

export function localTime(member: Member, instant: string | null): Html {
  if (instant === null) return html``;
  const zone = zoneOf(member);
  // Every time says its zone (issue #12, item 1).
  return html`<time datetime="${new Date(instant).toISOString()}">${formatZoned(instant, zone)}</time>`;
}

export function actorName(actor: Pick<Actor, "name" | "username">): string {
  return actor.name !== null && actor.name.trim() !== "" ? actor.name : actor.username;
}

/** Media marked sensitive without a content warning stays behind a click, as on the public pages and Mastodon. */
function sensitiveMedia(hide: boolean, media: Html | false): Html | false {
  return hide && media !== false ? html`<details><summary>Sensitive media</summary>${media}</details>` : media;
}

/**
 * A post in the app: author, content (sanitised when stored), images through this origin, and the
 * actions as small forms (work without JavaScript, keyboard reachable, state in aria-pressed).
 */
export function appPostCard(member: Member, item: AppPost, back: string): Html {
  const { post, author } = item;
  const content = html`${post.name !== null && html`<p><strong>${post.name}</strong></p>`}<div class="content">${raw(post.contentHtml ?? "")}</div>${post.poll !== null && pollResults(post.poll)}${sensitiveMedia(post.sensitive && (post.summary === null || post.summary.trim() === ""), item.attachments.length > 0 && html`<ul class="attachments${item.attachments.length > 1 ? " many" : ""}">${item.attachments.map(
    (a) => html`<li><img src="${a.src}" alt="${a.description}" loading="lazy" decoding="async"${a.width !== null && html` width="${a.width}"`}${a.height !== null && html` height="${a.height}"`}></li>`,
  )}</ul>`)}`;
  const canInteract = member.membership.role !== "author";
  const url = post.uri;
  return html`<article class="post" aria-label="Post by ${actorName(author)}"${post.language !== null && html` lang="${post.language}"`}>
${item.boostedBy !== null && html`<p class="boosted-by">Boosted by ${actorName(item.boostedBy)}</p>`}
<header><span class="byline">${item.authorAvatar !== null && html`<img src="${item.authorAvatar}" alt="" width="40" height="40">`}<span><span class="author">${actorName(author)}</span><br><span class="handle">@${author.handle}</span></span></span>
${item.originalUrl !== null ? html`<a href="${item.originalUrl}" rel="nofollow noopener noreferrer">${localTime(member, post.publishedAt)}</a>` : localTime(member, post.publishedAt)}</header>
${item.replyTo !== null && html`<p class="context">In reply to ${item.replyTo.href !== null ? html`<a href="${item.replyTo.href}"${item.replyTo.external && html` rel="nofollow noopener noreferrer"`}>${item.replyTo.label}</a>` : item.replyTo.label}</p>`}
${post.summary !== null && post.summary.trim() !== "" ? html`<details><summary>Content warning: ${post.summary}</summary>${content}</details>` : content}
${safeHttpUrl(post.quoteUri) !== null && html`<p class="context">Quoting <a href="${safeHttpUrl(post.quoteUri)}" rel="nofollow noopener noreferrer">a post</a></p>`}
${canInteract && html`<div class="actions">
<a class="button secondary" href="/app/compose?reply_to=${encodeURIComponent(url)}">Reply</a>
${interactForm(member, item.liked ? "unlike" : "like", url, back, item.liked ? "Liked" : "Like", item.liked)}
${post.visibility === "public" || post.visibility === "unlisted" ? interactForm(member, item.boosted ? "unboost" : "boost", url, back, item.boosted ? "Boosted" : "Boost", item.boosted) : html`<span class="badge">${post.visibility}</span>`}
${(post.visibility === "public" || post.visibility === "unlisted") && html`<a class="button secondary" href="/app/compose?quote=${encodeURIComponent(url)}">Quote</a>`}
</div>`}
</article>`;
}

function interactForm(member: Member, action: string, url: string, back: string, label: string, pressed: boolean): Html {
  return html`<form method="post" action="/app/interact">${csrfField(member)}<input type="hidden" name="action" value="${action}"><input type="hidden" name="url" value="${url}"><input type="hidden" name="back" value="${back}"><button type="submit" aria-pressed="${pressed ? "true" : "false"}">${label}</button></form>`;
}

export function postList(member: Member, items: readonly AppPost[], back: string, empty: string): Html {
  if (items.length === 0) return html`<p class="empty">${empty}</p>`;
  return html`<ol class="posts">${items.map((i) => html`<li>${appPostCard(member, i, back)}</li>`)}</ol>`;
}

/** A person in a list: avatar, name linked to their profile (on their server), handle, actions. */
export function personRow(avatar: string | null, actor: Actor, actions: Html | null): Html {
  const profile = safeHttpUrl(actor.url ?? actor.uri);
  const name = html`<strong>${actorName(actor)}</strong>`;
  return html`<div class="person">${avatar !== null && html`<img src="${avatar}" alt="" width="40" height="40">`}<div class="grow">${profile !== null ? html`<a href="${profile}" rel="nofollow noopener noreferrer">${name}</a>` : name}<br><span class="handle">@${actor.handle}</span></div>${actions}</div>`;
}
