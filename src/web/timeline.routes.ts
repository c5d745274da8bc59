import { Hono } from "hono";
import { unreachable } from "../lib/result.ts";
import type { InteractError, PostInteractionService, UndoInteractionError } from "../post/post-interaction.service.ts";
import type { TimelineService } from "../post/timeline.service.ts";
import { can } from "../user/user.entity.ts";
import type { AppViews } from "./app.views.ts";
import { readForm, safeReturnPath } from "./form.ts";
import { sendPage } from "./respond.ts";
import { sendRefusal } from "./refusal.template.ts";
import { timelinePage, interactionFailedPage } from "./timeline.template.ts";
import type { WebEnv } from "./web.env.ts";
import type { Shell } from "./web.layout.ts";

export interface TimelineRoutesDeps {
  readonly timeline: Pick<TimelineService, "list">;
  readonly interactions: Pick<PostInteractionService, "like" | "unlike" | "boost" | "unboost">;
  readonly views: AppViews;
  readonly shell: Shell;
}

const DONE = { like: "liked", unlike: "unliked", boost: "boosted", unboost: "unboosted" } as const;

/** The home timeline (/app/timeline), and liking and boosting from any list of posts. */
export function timelineRoutes(deps: TimelineRoutesDeps): Hono<WebEnv> {
  const app = new Hono<WebEnv>();
  const { interactions, shell } = deps;

  // The home timeline moved from /app (now the channel's home, home.routes.ts) in issue #12.
  app.get("/app/timeline", async (c) => {
    const member = c.get("member");
    const page = await deps.timeline.list(member.account.username, { before: c.req.query("before") ?? null, limit: 30 });
    if (!page.ok) return c.redirect("/app/timeline", 303);
    const items = await deps.views.posts(member.account.actorId, page.value.entries.map((e) => ({ post: e.post, author: e.author, boostedBy: e.boostedBy })));
    return sendPage(c, timelinePage(shell, member, { items, next: page.value.next, notice: c.req.query("done") }));
  });

  app.post("/app/interact", async (c) => {
    const member = c.get("member");
    if (!can(member.membership.role, "interact")) return sendRefusal(c, shell, { member, title: "Not possible", message: "Your role (author) writes drafts; liking, boosting and replying need a publisher or more.", status: 403 });
    const form = await readForm(c);
    const url = form.text("url", 4096);
    const back = safeReturnPath(form.text("back", 2000), "/app");
    const action = form.text("action", 20);
    const username = member.account.username;
    let result;
    switch (action) {
      case "like":
        result = await interactions.like(username, url);
        break;
      case "unlike":
        result = await interactions.unlike(username, url);
        break;
      case "boost":
        result = await interactions.boost(username, url);
        break;
      case "unboost":
        result = await interactions.unboost(username, url);
        break;
      default:
        return sendRefusal(c, shell, { member, title: "Not possible", message: "Herold does not know this action.", status: 400 });
    }
    if (!result.ok) {
      const status = interactionStatus(result.error);
      // Liking what is liked, or undoing what is not done, is what the person wanted: no error.
      if (status !== null) return sendPage(c, interactionFailedPage(shell, member, result.message, back), status);
    }
    return c.redirect(`${back}${back.includes("?") ? "&" : "?"}done=${DONE[action]}`, 303);
  });

  return app;
}

/** The status for a failed like, boost or undo; null where the outcome is already what was asked. */
function interactionStatus(error: InteractError | UndoInteractionError): 403 | 404 | null {
  switch (error) {
    case "already-done":
    case "not-done":
      return null;
    case "not-found":
      return 404;
    case "unknown-account":
    case "not-allowed":
      return 403;
    default:
      return unreachable(error);
  }
}
