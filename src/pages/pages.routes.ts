import { Hono, type Context } from "hono";
import { USERNAME_PATTERN } from "../account/account.entity.ts";
import type { Urls } from "../app/urls.ts";
import { unreachable } from "../lib/result.ts";
import { atomFeed, rssFeed } from "./feed.ts";
import type { Html } from "./html.ts";
import { errorPage, type Site } from "./layout.ts";
import { wantsJson } from "../http/negotiation.ts";
import type { Stylesheet } from "./assets.ts";
import type { PageKind } from "./page-views.repository.ts";
import type { PageViewService } from "./page-views.service.ts";
import type { PostViews } from "./post.view.ts";
import { postPage } from "./post.template.ts";
import type { ProfileViews } from "./profile.view.ts";
import { profilePage } from "./profile.template.ts";

/**
 * Public pages: the profile at `/@name` and at the actor URL `/users/name`, each post at its id URL
 * `/users/name/posts/id`, RSS and Atom feeds, and the stylesheet. ActivityPub clients get JSON at
 * the same URLs from Fedify, which runs first; what falls through to here is for browsers.
 */
export interface PageRoutesDeps {
  readonly stylesheet: Stylesheet;
  readonly profiles: Pick<ProfileViews, "page" | "feed">;
  readonly posts: Pick<PostViews, "page">;
  /** Counts each page answered 200 to a GET (see `counted`). */
  readonly views: Pick<PageViewService, "record">;
  readonly urls: Pick<Urls, "actor">;
  readonly domain: string;
  readonly version: string;
}

export function pageRoutes(deps: PageRoutesDeps): Hono {
  const app = new Hono();
  const { stylesheet, profiles, posts, urls, views } = deps;
  /**
   * A view is an HTML page or feed answered 200 to a GET: not HEAD (no page was read), not the
   * ActivityPub JSON at the same URLs (a server fetching a document, answered before this), not
   * redirects or errors. There are no 304s to count: these pages send no validators. Only the
   * User-Agent's yes/no "is it a program" is looked at (see crawler.ts).
   */
  const counted = (c: Context, accountId: string, kind: PageKind): void => {
    if (c.req.method === "GET") views.record(accountId, kind, c.req.header("user-agent"));
  };
  const site: Site = { domain: deps.domain, stylesheetHref: stylesheet.href, version: deps.version };
  const generator = `Herold ${deps.version}`;

  const profile = (base: "/@" | "/users/") => async (c: Context) => {
    const username = base === "/@" ? c.req.param("handle")!.slice(1) : c.req.param("username")!;
    if (wantsJson(c.req.header("accept"))) {
      // The human URL of an actor points ActivityPub clients at the actor document.
      const known = base === "/@" && USERNAME_PATTERN.test(username.toLowerCase());
      return known ? c.redirect(urls.actor(username.toLowerCase()), 301) : c.notFound();
    }
    const result = await profiles.page(username, c.req.query("before"));
    if (!result.ok) {
      switch (result.error) {
        case "not-found":
          return send(c, errorPage(site, "Not found", "There is no account with this name on this server."), 404);
        case "invalid-cursor":
          return send(c, errorPage(site, "Bad request", "The link to this page of posts is not valid."), 400);
        default:
          return unreachable(result.error);
      }
    }
    const canonical = result.value.account.username;
    if (canonical !== username) return c.redirect(`${base}${canonical}${new URL(c.req.url).search}`, 301);
    counted(c, result.value.account.id, "profile");
    return send(c, profilePage(site, result.value), 200);
  };
  // Hono parameters cannot start after a literal inside a segment, hence the pattern for `/@name`.
  app.get("/:handle{@[^/]+}", profile("/@"));
  app.get("/users/:username", profile("/users/"));

  app.get("/users/:username/posts/:id", async (c) => {
    if (wantsJson(c.req.header("accept"))) return c.notFound();
    const result = await posts.page(c.req.param("username"), c.req.param("id"));
    if (!result.ok) {
      switch (result.error) {
        case "not-found":
          return send(c, errorPage(site, "Not found", "This post does not exist, or it is not public."), 404);
        case "gone":
          return send(c, errorPage(site, "Deleted", "This post was deleted by its author."), 410);
        default:
          return unreachable(result.error);
      }
    }
    if (result.value.account.username !== c.req.param("username")) return c.notFound();
    counted(c, result.value.account.id, "post");
    return send(c, postPage(site, result.value), 200);
  });

  const feed = (format: "rss" | "atom") => async (c: Context) => {
    const result = await profiles.feed(c.req.param("username")!);
    if (!result.ok) {
      switch (result.error) {
        case "not-found":
          return c.notFound();
        default:
          return unreachable(result.error);
      }
    }
    // Feeds answer at the canonical name only.
    if (result.value.account.username !== c.req.param("username")) return c.notFound();
    const body = format === "rss" ? rssFeed(result.value, generator) : atomFeed(result.value, generator);
    counted(c, result.value.account.id, "feed");
    return c.body(body, 200, {
      "Content-Type": format === "rss" ? "application/rss+xml; charset=utf-8" : "application/atom+xml; charset=utf-8",
      "Cache-Control": "public, max-age=300",
    });
  };
  app.get("/users/:username/feed.rss", feed("rss"));
  app.get("/users/:username/feed.atom", feed("atom"));

  return app;
}

/** HTML responses vary by Accept: the same URLs answer ActivityPub JSON to servers. */
function send(c: Context, page: Html, status: 200 | 400 | 404 | 410): Response {
  return c.body(page.toString(), status, { "Content-Type": "text/html; charset=utf-8", Vary: "Accept" });
}
