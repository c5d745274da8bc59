import { excerpt, htmlToPlainText } from "../content/text.ts";
import { html, type Html } from "../pages/html.ts";
import type { Post } from "../post/post.entity.ts";
import type { NotificationEntry } from "../social/notification.repository.ts";
import { localTime, postList } from "./app.templates.ts";
import type { AppPost } from "./app.views.ts";
import type { Member } from "./web.env.ts";
import { appLayout, csrfField, type Shell } from "./web.layout.ts";

const NOTIFICATION_TEXT: Record<string, string> = {
  follow: "followed you",
  follow_request: "asked to follow you",
  like: "liked your post",
  boost: "boosted your post",
  reply: "replied to your post",
  quote: "quoted your post",
  mention: "mentioned you",
  react: "reacted to your post",
  move: "moved to another account",
};

/** Kinds shown once per post, with everyone who did it: ten likes of one post are one line. */
const GROUPED: ReadonlySet<string> = new Set(["like", "boost"]);

export interface NotificationsView {
  readonly title: string;
  readonly nav: "notifications" | "mentions";
  /** The list's own path, for "back" links and the pager. */
  readonly back: string;
  readonly entries: readonly NotificationEntry[];
  /** The post each notification shows (by notification id), when the account may see it. */
  readonly posts: ReadonlyMap<string, AppPost>;
  /** The account's own post a notification is about (by notification id), when there is one. */
  readonly about: ReadonlyMap<string, Post>;
  /** Cursor of the next page, when there may be one. */
  readonly next: string | null;
  readonly notice: string | undefined;
}

/** Notifications in the order of their newest entry; likes and boosts of one post together. */
export function groupNotifications(entries: readonly NotificationEntry[]): NotificationEntry[][] {
  const groups: NotificationEntry[][] = [];
  const open = new Map<string, NotificationEntry[]>();
  for (const n of entries) {
    const key = GROUPED.has(n.kind) && n.postId !== null ? `${n.kind} ${n.postId}` : null;
    const group = key === null ? undefined : open.get(key);
    if (group !== undefined) {
      group.push(n);
      continue;
    }
    const created = [n];
    groups.push(created);
    if (key !== null) open.set(key, created);
  }
  return groups;
}

const nameOf = (n: NotificationEntry) => n.from.name ?? n.from.handle;

/** "Ann", "Ann and Bob", "Ann, Bob and 3 others". */
function who(group: readonly NotificationEntry[]): Html {
  const first = group[0]!;
  const person = (n: NotificationEntry) => html`<strong>${nameOf(n)}</strong>`;
  if (group.length === 1) return html`${person(first)} <span class="handle">@${first.from.handle}</span>`;
  if (group.length === 2) return html`${person(first)} and ${person(group[1]!)}`;
  return html`${person(first)}, ${person(group[1]!)} and ${group.length - 2} ${group.length === 3 ? "other" : "others"}`;
}

/** The account's own post a notification is about: a line of its text, linked to its page in the app. */
function aboutLink(post: Post | undefined, thumb: string | null): Html | null {
  if (post === undefined) return null;
  const text = post.summary !== null && post.summary.trim() !== "" ? `Content warning: ${post.summary}` : excerpt(htmlToPlainText(post.contentHtml ?? "").replace(/\s+/g, " ").trim(), 80) || "(images)";
  return html`<a class="about" href="/app/posts/${post.id}">${thumb !== null && html`<img class="thumb" src="${thumb}" alt="" width="48" height="48" loading="lazy">`}<span>“${text}”</span></a>`;
}

/** Notifications, or mentions and replies: who did what, with the post itself where there is one. */
export function notificationsPage(shell: Shell, member: Member, view: NotificationsView): Html {
  const { title, back, entries } = view;
  const groups = groupNotifications(entries);
  const unread = entries.filter((n) => n.readAt === null).length;
  return appLayout(shell, {
    title,
    nav: view.nav,
    member,
    notice: view.notice,
    body: html`<h1>${title}${unread > 0 && html` <span class="badge new">${unread} new</span>`}</h1>
${unread > 0 && view.nav === "notifications" && html`<form method="post" action="/app/notifications/read" class="mark-read">${csrfField(member)}<input type="hidden" name="up_to" value="${entries[0]!.id}"><input type="hidden" name="back" value="${back}"><button type="submit" class="secondary">Mark all as read</button></form>`}
${groups.length === 0 ? html`<p class="empty">Nothing yet.</p>` : html`<ol class="list">${groups.map((group) => {
      const n = group[0]!;
      const item = view.posts.get(n.id);
      const isNew = group.some((g) => g.readAt === null);
      const own = view.about.get(n.id);
      // Likes and boosts name the post with a line and a thumbnail; replies, quotes and mentions show the post itself.
      const compact = GROUPED.has(n.kind) || n.kind === "react";
      return html`<li${isNew && html` class="unread"`}><p>${isNew && html`<span class="badge new">New</span> `}${who(group)} ${NOTIFICATION_TEXT[n.kind] ?? n.kind}${n.content !== null && html` ${n.content}`} · ${localTime(member, n.createdAt)}</p>
${(compact || n.kind === "reply" || n.kind === "quote") && aboutLink(own, compact ? (item?.attachments[0]?.src ?? null) : null)}
${n.kind === "follow_request" && html`<p><a href="/app/followers">Review follow requests</a></p>`}
${!compact && item !== undefined && postList(member, [item], back, "")}</li>`;
    })}</ol>`}
${view.next !== null && html`<nav class="pager" aria-label="Pages"><a rel="next" href="${back}?before=${encodeURIComponent(view.next)}">Older</a></nav>`}`,
  });
}
