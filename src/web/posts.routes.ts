import { Hono, type Context } from "hono";
import { isId } from "../lib/id.ts";
import { unreachable } from "../lib/result.ts";
import type { Html } from "../pages/html.ts";
import { readForm } from "./form.ts";
import { deleteBody, editBody, sentListBody, sentPostBody } from "./posts.template.ts";
import { sendPage } from "./respond.ts";
import { SEARCH_MAX, type PostAgainError, type SentChangeError, type SentDeleteError, type SentPostsService } from "./sent-posts.service.ts";
import type { Member, WebEnv } from "./web.env.ts";
import { appLayout, type Shell } from "./web.layout.ts";
import { html } from "../pages/html.ts";

export interface PostsRoutesDeps {
  readonly sent: Pick<SentPostsService, "list" | "get" | "edit" | "delete" | "postAgain">;
  readonly maxChars: number;
  readonly shell: Shell;
}

type Status = 200 | 400 | 403 | 404 | 409 | 422;

/** The app's sent posts: the list (search, counts, paging), one post, edit, delete with confirmation, post again. */
export function postsRoutes(deps: PostsRoutesDeps): Hono<WebEnv> {
  const app = new Hono<WebEnv>();
  const { sent, shell } = deps;
  const editorOf = (m: Member) => ({ userId: m.session.user.id, role: m.membership.role });
  const page = (c: Context<WebEnv>, title: string, body: Html, options: { status?: Status; error?: string } = {}) =>
    sendPage(c, appLayout(shell, { title, nav: "posts", member: c.get("member"), notice: c.req.query("done"), error: options.error, body }), options.status ?? 200);
  const refusal = (c: Context<WebEnv>, status: Status, title: string, message: string) =>
    page(c, title, html`<h1>${title}</h1><p>${message}</p><p><a href="/app/posts">Back to your sent posts</a></p>`, { status });
  const unknown = (c: Context<WebEnv>) => refusal(c, 404, "Post not found", "This account has no published post with this address (it may have been deleted).");

  app.get("/app/posts", async (c) => {
    const member = c.get("member");
    const text = (c.req.query("q") ?? "").slice(0, SEARCH_MAX).trim();
    const before = c.req.query("before");
    if (before !== undefined && !isId(before)) return refusal(c, 400, "Bad request", "The link to this page of posts is not valid.");
    const result = await sent.list(member.account, { text, before: before ?? null });
    const query = text !== "" ? `q=${encodeURIComponent(text)}&` : "";
    return page(c, "Sent posts", sentListBody(member, {
      items: result.items,
      text,
      olderUrl: result.next !== null ? `/app/posts?${query}before=${result.next}` : null,
      newestUrl: before !== undefined ? `/app/posts${text !== "" ? `?q=${encodeURIComponent(text)}` : ""}` : null,
    }));
  });

  const detail = async (c: Context<WebEnv>) => {
    const id = c.req.param("id") ?? "";
    if (!isId(id)) return null;
    const result = await sent.get(c.get("member").account, id);
    return result.ok ? result.value : null;
  };

  app.get("/app/posts/:id", async (c) => {
    const view = await detail(c);
    return view === null ? unknown(c) : page(c, "Your post", sentPostBody(c.get("member"), view));
  });

  app.get("/app/posts/:id/edit", async (c) => {
    const view = await detail(c);
    if (view === null) return unknown(c);
    const member = c.get("member");
    if (member.membership.role === "author") return refusal(c, 403, "Not allowed", "Your role lets you write drafts; a publisher edits published posts.");
    return page(c, "Edit post", editBody(member, view, { text: view.sourceText, maxChars: deps.maxChars }));
  });

  app.post("/app/posts/:id/edit", async (c) => {
    const member = c.get("member");
    const view = await detail(c);
    if (view === null) return unknown(c);
    const text = (await readForm(c)).text("text", deps.maxChars * 4);
    const result = await sent.edit(member.account, editorOf(member), view.post.id, text);
    if (result.ok) return c.redirect(`/app/posts/${view.post.id}?done=edited`, 303);
    const status = editStatus(result.error);
    // Content that cannot be published comes back in the form, as typed.
    if (status === 422) return page(c, "Edit post", editBody(member, view, { text, maxChars: deps.maxChars }), { status, error: result.message });
    return status === 404 ? unknown(c) : refusal(c, status, "Not allowed", result.message);
  });

  app.get("/app/posts/:id/delete", async (c) => {
    const view = await detail(c);
    if (view === null) return unknown(c);
    const member = c.get("member");
    if (member.membership.role === "author") return refusal(c, 403, "Not allowed", "Your role lets you write drafts; a publisher deletes published posts.");
    return page(c, "Delete post", deleteBody(member, view));
  });

  app.post("/app/posts/:id/delete", async (c) => {
    const member = c.get("member");
    const id = c.req.param("id");
    if (!isId(id)) return unknown(c);
    const result = await sent.delete(member.account, editorOf(member), id);
    if (result.ok) return c.redirect("/app/posts?done=deleted", 303);
    const status = deleteStatus(result.error);
    return status === 404 ? unknown(c) : refusal(c, status, "Not allowed", result.message);
  });

  app.post("/app/posts/:id/again", async (c) => {
    const member = c.get("member");
    const id = c.req.param("id");
    if (!isId(id)) return unknown(c);
    const result = await sent.postAgain(member.account, editorOf(member), id);
    if (result.ok) return c.redirect(`/app/compose?draft=${result.value.id}&done=copied`, 303);
    const status = againStatus(result.error);
    return status === 404 ? unknown(c) : refusal(c, status, status === 403 ? "Not allowed" : "Could not copy the post", result.message);
  });

  return app;
}

function editStatus(error: SentChangeError): 403 | 404 | 422 {
  switch (error) {
    case "forbidden":
    case "not-owner":
      return 403;
    case "unknown-account":
    case "not-found":
      return 404;
    case "empty":
    case "too-long":
      return 422;
    default:
      return unreachable(error);
  }
}

function deleteStatus(error: SentDeleteError): 403 | 404 {
  switch (error) {
    case "forbidden":
    case "not-owner":
      return 403;
    case "unknown-account":
    case "not-found":
      return 404;
    default:
      return unreachable(error);
  }
}

function againStatus(error: PostAgainError): 403 | 404 | 409 | 422 {
  switch (error) {
    case "forbidden":
      return 403;
    case "not-found":
      return 404;
    case "not-editable":
      return 409;
    case "too-long":
    case "invalid-visibility":
    case "too-many-images":
    case "media":
    case "poll":
      return 422;
    default:
      return unreachable(error);
  }
}
