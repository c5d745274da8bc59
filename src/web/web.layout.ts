import { html, type Html } from "../pages/html.ts";
import { can } from "../user/user.entity.ts";
import type { Member } from "./web.env.ts";
import { zoneBanner } from "./zone.template.ts";

/** What every app page shares: the public stylesheet, the app's own CSS and script, the instance name. */
export interface Shell {
  readonly domain: string;
  readonly version: string;
  readonly stylesheetHref: string;
  readonly appCssHref: string;
  readonly appJsHref: string;
  /** Insights are mounted (the web module got its queries): the navigation links them. */
  readonly insights?: boolean;
}

export type NavKey = "home" | "timeline" | "media" | "notifications" | "mentions" | "compose" | "calendar" | "drafts" | "posts" | "followers" | "following" | "profile" | "settings" | "insights";

const NAV: readonly { key: NavKey; href: string; label: string }[] = [
  { key: "home", href: "/app", label: "Home" },
  { key: "timeline", href: "/app/timeline", label: "Timeline" },
  { key: "notifications", href: "/app/notifications", label: "Notifications" },
  { key: "mentions", href: "/app/mentions", label: "Mentions" },
  { key: "compose", href: "/app/compose", label: "Compose" },
  { key: "calendar", href: "/app/calendar", label: "Calendar" },
  { key: "drafts", href: "/app/drafts", label: "Drafts" },
  { key: "posts", href: "/app/posts", label: "Sent" },
  { key: "media", href: "/app/media", label: "Media" },
  { key: "followers", href: "/app/followers", label: "Followers" },
  { key: "following", href: "/app/following", label: "Following" },
  { key: "insights", href: "/app/insights", label: "Insights" },
  { key: "profile", href: "/app/profile", label: "Profile" },
  { key: "settings", href: "/app/settings", label: "Settings" },
];

/** Fixed notices shown after a redirect (`?done=…`): codes, never text from the URL. */
const NOTICES: Record<string, string> = {
  published: "Your post was published.",
  drafted: "Draft saved.",
  scheduled: "Post scheduled.",
  "scheduled-updated": "Scheduled post updated — still scheduled.",
  rescheduled: "Post rescheduled.",
  cancelled: "Scheduled post cancelled; it is a draft again.",
  deleted: "Post deleted.",
  edited: "Post edited; the new text is on its way to everyone who received it.",
  copied: "A new draft with the same text and images: change it, then publish or schedule it.",
  "password-changed": "Password changed; every other device was signed out.",
  read: "Notifications marked as read.",
  liked: "Liked.",
  unliked: "Like removed.",
  boosted: "Boosted.",
  unboosted: "Boost removed.",
  followed: "Follow request sent.",
  unfollowed: "Unfollowed.",
  approved: "Follow request approved.",
  rejected: "Follow request rejected.",
  profile: "Profile saved.",
  settings: "Settings saved.",
  zone: "Time zone confirmed: every time is now shown in it.",
  verified: "Links checked.",
  switched: "Switched account.",
  "signed-out-everywhere": "Signed out on every other device.",
  "member-added": "Person added.",
};

export interface AppPage {
  readonly title: string;
  readonly nav?: NavKey;
  readonly member?: Member;
  readonly body: Html;
  readonly notice?: string | undefined;
  /** A notice the server composed (e.g. with the time a post is scheduled for); wins over `notice`. */
  readonly noticeText?: string | undefined;
  readonly error?: string | undefined;
  /** Status role for errors is assertive; notices are polite. */
}

/**
 * The app's document shell: landmarks (banner with navigation, main, contentinfo), a skip link, the
 * account switcher and sign-out as forms (no JavaScript needed), notices in a live region.
 */
export function appLayout(shell: Shell, page: AppPage): Html {
  const notice = page.noticeText ?? (page.notice !== undefined ? NOTICES[page.notice] : undefined);
  const m = page.member;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>${page.title} · Herold</title>
<link rel="stylesheet" href="${shell.stylesheetHref}">
<link rel="stylesheet" href="${shell.appCssHref}">
<link rel="icon" type="image/png" href="/favicon.png">
<script src="${shell.appJsHref}" defer></script>
</head>
<body class="app">
<a class="skip" href="#main">Skip to content</a>
<header class="app-header">
<p class="brand"><a href="/app">Herold</a> <span class="domain">${shell.domain}</span></p>
${m !== undefined && html`<nav aria-label="Main"><ul class="nav">${NAV.filter((n) => n.key !== "insights" || (shell.insights === true && can(m.membership.role, "insights"))).map(
    (n) => html`<li><a href="${n.href}"${page.nav === n.key && html` aria-current="page"`}>${n.label}${n.key === "notifications" && m.unread > 0 && html` <span class="nav-count">${m.unread >= 100 ? "99+" : m.unread}<span class="visually-hidden"> unread</span></span>`}</a></li>`,
  )}</ul></nav>
<div class="who">
${m.memberships.length > 1
    ? html`<form method="post" action="/app/switch" class="switch"><input type="hidden" name="csrf" value="${m.csrf}">
<label for="switch-account">Acting as</label>
<select id="switch-account" name="account">${m.memberships.map(
        (x) => html`<option value="${x.username}"${x.accountId === m.account.id && html` selected`}>@${x.username}</option>`,
      )}</select>
<button type="submit">Switch</button></form>`
    : html`<p class="acting"><span class="acting-label">${m.session.user.displayName}, acting as</span> <strong>@${m.account.username}</strong></p>`}
<form method="post" action="/app/logout" class="logout"><input type="hidden" name="csrf" value="${m.csrf}"><button type="submit" aria-label="Sign out ${m.session.user.displayName}">Sign out</button></form>
</div>`}
</header>
<main id="main" class="app-main">
${m !== undefined && m.session.user.timeZone === null && page.nav !== "settings" && page.nav !== "compose" && zoneBanner(m.csrf, NAV.find((n) => n.key === page.nav)?.href ?? "/app")}
${notice !== undefined && html`<p class="notice" role="status">${notice}</p>`}
${page.error !== undefined && html`<p class="notice error" role="alert">${page.error}</p>`}
${page.body}
</main>
<footer class="site-footer"><p>Herold ${shell.version}</p></footer>
</body>
</html>
`;
}

/** A hidden CSRF field for a signed-in form. */
export function csrfField(member: Member): Html {
  return html`<input type="hidden" name="csrf" value="${member.csrf}">`;
}
