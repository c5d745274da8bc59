import { Hono, type Context } from "hono";
import type { Post } from "../post/post.entity.ts";
import type { PostRepository } from "../post/post.repository.ts";
import type { NotificationEntry } from "../social/notification.repository.ts";
import type { NotificationService } from "../social/notification.service.ts";
import type { AppPost, AppViews } from "./app.views.ts";
import { notificationsPage } from "./notifications.template.ts";
import { sendPage } from "./respond.ts";
import type { Member, WebEnv } from "./web.env.ts";
import type { Shell } from "./web.layout.ts";
import { readForm, safeReturnPath } from "./form.ts";
import { isId } from "../lib/id.ts";

export interface NotificationRoutesDeps {
  readonly notifications: Pick<NotificationService, "list" | "markRead">;
  readonly posts: Pick<PostRepository, "findVisible">;
  readonly views: AppViews;
  readonly shell: Shell;
}

const PAGE_SIZE = 60;

/** Notifications, and mentions and replies alone. */
export function notificationRoutes(deps: NotificationRoutesDeps): Hono<WebEnv> {
  const app = new Hono<WebEnv>();

  const page = (kinds: readonly string[] | null, title: string, nav: "notifications" | "mentions") => async (c: Context<WebEnv>) => {
    const member = c.get("member");
    const listed = await deps.notifications.list(member.account.username, { before: c.req.query("before") ?? null, limit: PAGE_SIZE });
    if (!listed.ok) return c.redirect("/app", 303);
    const entries = listed.value.filter((n) => kinds === null || kinds.includes(n.kind));
    // Replies, mentions and quotes show the post itself, with reply, like and boost.
    const { related, about } = await relatedPosts(deps.posts, member, entries);
    const shown = await deps.views.posts(member.account.actorId, [...new Map([...related.values()].map((p) => [p.id, p])).values()].map((post) => ({ post })));
    const byPostId = new Map(shown.map((p) => [p.post.id, p]));
    const posts = new Map<string, AppPost>();
    for (const [notificationId, post] of related) {
      const item = byPostId.get(post.id);
      if (item !== undefined) posts.set(notificationId, item);
    }
    const back = nav === "mentions" ? "/app/mentions" : "/app/notifications";
    const next = listed.value.length >= PAGE_SIZE ? listed.value.at(-1)!.id : null;
    return sendPage(c, notificationsPage(deps.shell, member, { title, nav, back, entries, posts, about, next, notice: c.req.query("done") }));
  };
  app.get("/app/notifications", page(null, "Notifications", "notifications"));
  app.get("/app/mentions", page(["mention", "reply", "quote"], "Mentions and replies", "mentions"));

  // "Mark as read" marks what the page showed (up to its newest entry), not what arrived since.
  app.post("/app/notifications/read", async (c) => {
    const member = c.get("member");
    const form = await readForm(c);
    const upTo = form.text("up_to", 40);
    const back = safeReturnPath(form.text("back", 200), "/app/notifications");
    if (!isId(upTo)) return c.text("Bad request", 400);
    const marked = await deps.notifications.markRead(member.account.username, upTo);
    if (!marked.ok) return c.redirect("/app", 303);
    return c.redirect(`${back}${back.includes("?") ? "&" : "?"}done=read`, 303);
  });
  return app;
}

/**
 * The post each notification is about: the reply, mention or quote itself, else the post interacted
 * with; only posts the account acted for may see (a followers-only reply that reached this server
 * through another account's follow notifies, but its text is not this account's to read). One query
 * for the whole page, not one or two per notification.
 */
async function relatedPosts(posts: Pick<PostRepository, "findVisible">, member: Member, entries: readonly NotificationEntry[]): Promise<{ related: Map<string, Post>; about: Map<string, Post> }> {
  const refOf = (n: NotificationEntry): { uri: string } | { id: string } | null => {
    const uri = n.objectUri ?? (n.kind === "mention" ? n.post?.uri : null) ?? null;
    if (uri !== null) return { uri };
    return n.postId !== null ? { id: n.postId } : null;
  };
  const refs = entries.map((n) => [n.id, refOf(n)] as const);
  const found = await posts.findVisible(
    {
      uris: refs.flatMap(([, r]) => (r !== null && "uri" in r ? [r.uri] : [])),
      // The posts interacted with too: a reply or quote names the account's post it answers.
      ids: [...refs.flatMap(([, r]) => (r !== null && "id" in r ? [r.id] : [])), ...entries.flatMap((n) => (n.postId !== null ? [n.postId] : []))],
    },
    { id: member.account.actorId, uri: member.account.uri },
  );
  const related = new Map<string, Post>();
  const about = new Map<string, Post>();
  for (const [notificationId, ref] of refs) {
    const post = ref === null ? undefined : "uri" in ref ? found.byUri.get(ref.uri) : found.byId.get(ref.id);
    if (post !== undefined) related.set(notificationId, post);
  }
  for (const n of entries) {
    const post = n.postId !== null ? found.byId.get(n.postId) : undefined;
    if (post !== undefined && n.kind !== "mention") about.set(n.id, post);
  }
  return { related, about };
}
