import { Hono, type Context } from "hono";
import type { AppContext } from "../app/context.ts";
import type { Post } from "../post/post.entity.ts";
import { html } from "../pages/html.ts";
import { can } from "../user/user.entity.ts";
import { unreachable } from "../lib/result.ts";
import type { NotificationEntry } from "../social/notification.repository.ts";
import { actorName, localTime, personRow, postList } from "./app.templates.ts";
import type { AppViews } from "./app.views.ts";
import { readForm, safeReturnPath } from "./form.ts";
import { sendPage } from "./respond.ts";
import type { Member, WebEnv } from "./web.env.ts";
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

/** Home timeline, notifications, mentions, likes and boosts, followers and following. */
export function conversationRoutes(ctx: AppContext, shell: Shell, views: AppViews): Hono<WebEnv> {
  const app = new Hono<WebEnv>();
  const { posts, social } = ctx;
  const forbidden = (c: Context) => c.text("Your role does not allow this.", 403);

  app.get("/app", async (c) => {
    const member = c.get("member");
    const page = await posts.timeline.list(member.account.username, { before: c.req.query("before") ?? null, limit: 30 });
    if (!page.ok) return c.redirect("/app", 303);
    const items = await views.posts(member.account.actorId, page.value.entries.map((e) => ({ post: e.post, author: e.author, boostedBy: e.boostedBy })));
    return sendPage(
      c,
      appLayout(shell, {
        title: "Home",
        nav: "home",
        member,
        notice: c.req.query("done"),
        body: html`<h1>Home</h1>
<p class="hint">Posts and boosts of the accounts @${member.account.username} follows. <a href="/app/compose">Write a post</a></p>
${postList(member, items, "/app", "Nothing here yet. Follow some accounts under Following.")}
${page.value.next !== null && html`<nav class="pager" aria-label="Pages"><a rel="next" href="/app?before=${encodeURIComponent(page.value.next)}">Older posts</a></nav>`}`,
      }),
    );
  });

  const notificationsPage = (kinds: readonly string[] | null, title: string, nav: "notifications" | "mentions") => async (c: Context<WebEnv>) => {
    const member = c.get("member");
    const listed = await social.notifications.list(member.account.username, { before: c.req.query("before") ?? null, limit: 60 });
    if (!listed.ok) return c.redirect("/app", 303);
    const entries = listed.value.filter((n) => kinds === null || kinds.includes(n.kind));
    // Replies, mentions and quotes show the post itself, with reply, like and boost.
    const related = await loadRelated(ctx, member, entries);
    const shown = await views.posts(member.account.actorId, [...related.values()].map((post) => ({ post })));
    const byId = new Map(shown.map((p) => [p.post.id, p]));
    const back = nav === "mentions" ? "/app/mentions" : "/app/notifications";
    return sendPage(
      c,
      appLayout(shell, {
        title,
        nav,
        member,
        notice: c.req.query("done"),
        body: html`<h1>${title}</h1>
${entries.length === 0 ? html`<p class="empty">Nothing yet.</p>` : html`<ol class="list">${entries.map((n) => {
          const post = related.get(n.id);
          const item = post !== undefined ? byId.get(post.id) : undefined;
          return html`<li><p><strong>${n.from.name ?? n.from.handle}</strong> <span class="handle">@${n.from.handle}</span> ${NOTIFICATION_TEXT[n.kind] ?? n.kind}${n.content !== null && html` ${n.content}`} · ${localTime(member, n.createdAt)}</p>
${n.kind === "follow_request" && html`<p><a href="/app/followers">Review follow requests</a></p>`}
${item !== undefined && postList(member, [item], back, "")}</li>`;
        })}</ol>`}
${listed.value.length >= 60 && html`<nav class="pager" aria-label="Pages"><a rel="next" href="${back}?before=${encodeURIComponent(listed.value.at(-1)!.id)}">Older</a></nav>`}`,
      }),
    );
  };
  app.get("/app/notifications", notificationsPage(null, "Notifications", "notifications"));
  app.get("/app/mentions", notificationsPage(["mention", "reply", "quote"], "Mentions and replies", "mentions"));

  app.post("/app/interact", async (c) => {
    const member = c.get("member");
    if (!can(member.membership.role, "interact")) return forbidden(c);
    const form = await readForm(c);
    const url = form.text("url", 4096);
    const back = safeReturnPath(form.text("back", 2000), "/app");
    const action = form.text("action", 20);
    const username = member.account.username;
    let result;
    switch (action) {
      case "like":
        result = await posts.service.like(username, url);
        break;
      case "unlike":
        result = await posts.service.unlike(username, url);
        break;
      case "boost":
        result = await posts.service.boost(username, url);
        break;
      case "unboost":
        result = await posts.service.unboost(username, url);
        break;
      default:
        return c.text("Unknown action", 400);
    }
    if (!result.ok && result.error !== "already-done" && result.error !== "not-done") {
      return sendPage(c, appLayout(shell, { title: "Not possible", member, error: result.message, body: html`<p><a href="${back}">Back</a></p>` }), result.error === "not-found" ? 404 : 403);
    }
    const done = { like: "liked", unlike: "unliked", boost: "boosted", unboost: "unboosted" }[action];
    return c.redirect(`${back}${back.includes("?") ? "&" : "?"}done=${done}`, 303);
  });

  app.get("/app/followers", async (c) => {
    const member = c.get("member");
    const username = member.account.username;
    const [pending, accepted] = await Promise.all([
      social.follows.listFollowers(username, { pending: true, limit: 100 }),
      social.follows.listFollowers(username, { limit: 100, before: c.req.query("before") ?? null }),
    ]);
    if (!pending.ok || !accepted.ok) return c.redirect("/app", 303);
    const manage = can(member.membership.role, "followers");
    return sendPage(
      c,
      appLayout(shell, {
        title: "Followers",
        nav: "followers",
        member,
        notice: c.req.query("done"),
        body: html`<h1>Followers</h1>
<section aria-labelledby="requests"><h2 id="requests">Follow requests</h2>
${member.account.manuallyApprovesFollowers ? html`<p class="hint">You approve followers by hand (Profile settings).</p>` : html`<p class="hint">New followers are accepted at once; turn on approval in the profile settings.</p>`}
${pending.value.items.length === 0 ? html`<p class="empty">No open requests.</p>` : html`<ul class="list">${pending.value.items.map(
          ({ actor }) => html`<li>${personRow(views.avatar(actor), actor, manage ? html`<div class="actions">
<form method="post" action="/app/followers/approve">${csrfField(member)}<input type="hidden" name="actor" value="${actor.uri}"><button type="submit">Approve ${actorName(actor)}</button></form>
<form method="post" action="/app/followers/reject">${csrfField(member)}<input type="hidden" name="actor" value="${actor.uri}"><button type="submit" class="secondary">Reject</button></form></div>` : null)}</li>`,
        )}</ul>`}</section>
<section aria-labelledby="accepted"><h2 id="accepted">Followers</h2>
${accepted.value.items.length === 0 ? html`<p class="empty">No followers yet.</p>` : html`<ul class="list">${accepted.value.items.map(
          ({ actor }) => html`<li>${personRow(views.avatar(actor), actor, manage ? html`<form method="post" action="/app/followers/reject">${csrfField(member)}<input type="hidden" name="actor" value="${actor.uri}"><button type="submit" class="secondary">Remove</button></form>` : null)}</li>`,
        )}</ul>`}
${accepted.value.next !== null && html`<nav class="pager" aria-label="Pages"><a rel="next" href="/app/followers?before=${encodeURIComponent(accepted.value.next)}">More</a></nav>`}</section>`,
      }),
    );
  });

  const followerAction = (kind: "approve" | "reject") => async (c: Context<WebEnv>) => {
    const member = c.get("member");
    if (!can(member.membership.role, "followers")) return forbidden(c);
    const form = await readForm(c);
    const actor = form.text("actor", 4096);
    const result = kind === "approve" ? await social.follows.approve(member.account.username, actor) : await social.follows.reject(member.account.username, actor);
    if (!result.ok) return sendPage(c, appLayout(shell, { title: "Followers", nav: "followers", member, error: result.message, body: html`<p><a href="/app/followers">Back to followers</a></p>` }), 409);
    return c.redirect(`/app/followers?done=${kind === "approve" ? "approved" : "rejected"}`, 303);
  };
  app.post("/app/followers/approve", followerAction("approve"));
  app.post("/app/followers/reject", followerAction("reject"));

  app.get("/app/following", async (c) => followingPage(c, c.get("member")));

  const followingPage = async (c: Context<WebEnv>, member: Member, error?: string, status: 200 | 400 | 404 = 200) => {
    const list = await social.follows.listFollowing(member.account.username, { limit: 100, before: c.req.query("before") ?? null });
    if (!list.ok) return c.redirect("/app", 303);
    const manage = can(member.membership.role, "interact");
    return sendPage(
      c,
      appLayout(shell, {
        title: "Following",
        nav: "following",
        member,
        error,
        notice: c.req.query("done"),
        body: html`<h1>Following</h1>
${manage && html`<form method="post" action="/app/follow" class="stack narrow">${csrfField(member)}
<label for="target">Follow an account</label>
<input id="target" name="target" required placeholder="@name@example.social or https://…" aria-describedby="target-hint">
<p id="target-hint" class="hint">A handle like @name@example.social, or the address of the account's page.</p>
<button type="submit">Follow</button></form>`}
${list.value.items.length === 0 ? html`<p class="empty">@${member.account.username} does not follow anyone yet.</p>` : html`<ul class="list">${list.value.items.map(
          ({ actor, follow }) => html`<li>${personRow(views.avatar(actor), actor, html`<span class="badge">${follow.state === "pending" ? "requested" : "following"}</span>${manage && html`<form method="post" action="/app/unfollow">${csrfField(member)}<input type="hidden" name="target" value="${actor.uri}"><button type="submit" class="secondary">Unfollow</button></form>`}`)}</li>`,
        )}</ul>`}`,
      }),
      status,
    );
  };

  app.post("/app/follow", async (c) => {
    const member = c.get("member");
    if (!can(member.membership.role, "interact")) return forbidden(c);
    const form = await readForm(c);
    const result = await social.follows.follow(member.account.username, form.text("target", 2048));
    if (!result.ok) {
      switch (result.error) {
        case "already-following":
        case "already-requested":
          return c.redirect("/app/following?done=followed", 303);
        case "invalid-target":
        case "unresolvable":
        case "self":
        case "blocked":
        case "unknown-account":
          return followingPage(c, member, result.message, 400);
        default:
          return unreachable(result.error);
      }
    }
    return c.redirect("/app/following?done=followed", 303);
  });

  app.post("/app/unfollow", async (c) => {
    const member = c.get("member");
    if (!can(member.membership.role, "interact")) return forbidden(c);
    const form = await readForm(c);
    const result = await social.follows.unfollow(member.account.username, form.text("target", 2048));
    if (!result.ok) return followingPage(c, member, result.message, 400);
    return c.redirect("/app/following?done=unfollowed", 303);
  });

  return app;
}

/**
 * The post each notification is about: the reply, mention or quote itself, else the post interacted
 * with; only posts the account acted for may see (a followers-only reply that reached this server
 * through another account's follow notifies, but its text is not this account's to read).
 */
async function loadRelated(ctx: AppContext, member: Member, entries: readonly NotificationEntry[]): Promise<Map<string, Post>> {
  const out = new Map<string, Post>();
  const viewer = { id: member.account.actorId, uri: member.account.uri };
  for (const n of entries) {
    const uri = n.objectUri ?? (n.kind === "mention" ? n.post?.uri : null) ?? null;
    const post = uri !== null ? await ctx.repos.posts.findByUri(uri) : n.postId !== null ? await ctx.repos.posts.findById(n.postId) : null;
    if (post !== null && post.state === "published" && (await ctx.repos.posts.canSee(post, viewer))) out.set(n.id, post);
  }
  return out;
}
