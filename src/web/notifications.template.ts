import { html, type Html } from "../pages/html.ts";
import type { NotificationEntry } from "../social/notification.repository.ts";
import { localTime, postList } from "./app.templates.ts";
import type { AppPost } from "./app.views.ts";
import type { Member } from "./web.env.ts";
import { appLayout, type Shell } from "./web.layout.ts";

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

export interface NotificationsView {
  readonly title: string;
  readonly nav: "notifications" | "mentions";
  /** The list's own path, for "back" links and the pager. */
  readonly back: string;
  readonly entries: readonly NotificationEntry[];
  /** The post each notification shows (by notification id), when the account may see it. */
  readonly posts: ReadonlyMap<string, AppPost>;
  /** Cursor of the next page, when there may be one. */
  readonly next: string | null;
  readonly notice: string | undefined;
}

/** Notifications, or mentions and replies: who did what, with the post itself where there is one. */
export function notificationsPage(shell: Shell, member: Member, view: NotificationsView): Html {
  const { title, back, entries } = view;
  return appLayout(shell, {
    title,
    nav: view.nav,
    member,
    notice: view.notice,
    body: html`<h1>${title}</h1>
${entries.length === 0 ? html`<p class="empty">Nothing yet.</p>` : html`<ol class="list">${entries.map((n) => {
      const item = view.posts.get(n.id);
      return html`<li><p><strong>${n.from.name ?? n.from.handle}</strong> <span class="handle">@${n.from.handle}</span> ${NOTIFICATION_TEXT[n.kind] ?? n.kind}${n.content !== null && html` ${n.content}`} · ${localTime(member, n.createdAt)}</p>
${n.kind === "follow_request" && html`<p><a href="/app/followers">Review follow requests</a></p>`}
${item !== undefined && postList(member, [item], back, "")}</li>`;
    })}</ol>`}
${view.next !== null && html`<nav class="pager" aria-label="Pages"><a rel="next" href="${back}?before=${encodeURIComponent(view.next)}">Older</a></nav>`}`,
  });
}
