import { Hono, type Context } from "hono";
import { USERNAME_PATTERN } from "../account/account.entity.ts";
import type { Urls } from "../app/urls.ts";
import { unreachable } from "../lib/result.ts";
import { atomFeed, profileChannel, rssFeed, tagChannel, type FeedChannel } from "./feed.ts";
import type { FaviconService } from "./favicon.service.ts";
import type { HomeViews } from "./home.view.ts";
import { homePage } from "./home.template.ts";
import type { Html } from "./html.ts";
import { errorPage, type Site } from "./layout.ts";
import { wantsJson } from "../http/negotiation.ts";
import type { PageKind } from "./page-views.repository.ts";
import type { PageViewService } from "./page-views.service.ts";
import type { PostViews } from "./post.view.ts";
import { postPage } from "./post.template.ts";
import type { ProfileViews } from "./profile.view.ts";
import { profilePage } from "./profile.template.ts";
import type { TagViews } from "./tag.view.ts";
import { tagPage } from "./tag.template.ts";

export const FAVICON_PATH = "/favicon.png";

/**
 * Public pages: the site root `/`, the profile at `/@name` and at the actor URL `/users/name`, each
 * post at its id URL `/users/name/posts/id`, hashtags at `/tags/name`, RSS and Atom feeds, and the
 * favicon. ActivityPub clients get JSON at the same URLs from Fedify, which runs first; what falls
 * through to here is for browsers.
 */
export interface PageRoutesDeps {
  readonly site: Site;
  readonly profiles: Pick<ProfileViews, "page" | "feed">;
  readonly posts: Pick<PostViews, "page">;
  readonly tags: Pick<TagViews, "page">;
  readonly home: Pick<HomeViews, "page">;
  readonly favicon: Pick<FaviconService, "icon">;
  /** Counts each page answered 200 to a GET (see `counted`). */
  readonly views: Pick<PageViewService, "record">;
  readonly urls: Pick<Urls, "actor">;
}

export function pageRoutes(deps: PageRoutesDeps): Hono {
  const app = new Hono();
  const { site, profiles, posts, tags, urls, views } = deps;
  /**
   * A view is an HTML page or feed answered 200 to a GET: not HEAD (no page was read), not the
   * ActivityPub JSON at the same URLs (a server fetching a document, answered before this), not
   * redirects or errors. There are no 304s to count: these pages send no validators. Only the
   * User-Agent's yes/no "is it a program" is looked at (see crawler.ts).
   */
  const counted = (c: Context, accountId: string, kind: PageKind): void => {
    if (c.req.method === "GET") views.record(accountId, kind, c.req.header("user-agent"));
  };
  const generator = `Herold ${site.version}`;

  app.get("/", async (c) => {
    // Nothing at the root for ActivityPub clients: they keep the JSON 404 they always had.
    if (wantsJson(c.req.header("accept"))) return c.notFound();
    return send(c, homePage(site, await deps.home.page()), 200);
  });

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

  app.get("/tags/:tag", async (c) => {
    if (wantsJson(c.req.header("accept"))) return c.notFound();
    const result = await tags.page(c.req.param("tag"), c.req.query("before"));
    if (!result.ok) {
      switch (result.error) {
        case "not-found":
          return send(c, errorPage(site, "Not found", "This is not a hashtag."), 404);
        case "invalid-cursor":
          return send(c, errorPage(site, "Bad request", "The link to this page of posts is not valid."), 400);
        default:
          return unreachable(result.error);
      }
    }
    // One URL per tag: other spellings (`/tags/Café`, as posts link them) redirect to the stored one.
    if (result.value.tag !== c.req.param("tag")) return c.redirect(`${result.value.pageUrl}${new URL(c.req.url).search}`, 301);
    return send(c, tagPage(site, result.value), 200);
  });

  const feed = (format: "rss" | "atom", channel: FeedChannel, c: Context): Response => {
    const body = format === "rss" ? rssFeed(channel, generator) : atomFeed(channel, generator);
    return c.body(body, 200, {
      "Content-Type": format === "rss" ? "application/rss+xml; charset=utf-8" : "application/atom+xml; charset=utf-8",
      "Cache-Control": "public, max-age=300",
    });
  };

  const profileFeed = (format: "rss" | "atom") => async (c: Context) => {
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
    counted(c, result.value.account.id, "feed");
    return feed(format, profileChannel(result.value), c);
  };
  app.get("/users/:username/feed.rss", profileFeed("rss"));
  app.get("/users/:username/feed.atom", profileFeed("atom"));

  const tagFeed = (format: "rss" | "atom") => async (c: Context) => {
    const result = await tags.page(c.req.param("tag")!, undefined);
    if (!result.ok) {
      switch (result.error) {
        case "not-found":
        case "invalid-cursor":
          return c.notFound();
        default:
          return unreachable(result.error);
      }
    }
    if (result.value.tag !== c.req.param("tag")) return c.redirect(format === "rss" ? result.value.rssUrl : result.value.atomUrl, 301);
    return feed(format, tagChannel(result.value, site.domain), c);
  };
  app.get("/tags/:tag/feed.rss", tagFeed("rss"));
  app.get("/tags/:tag/feed.atom", tagFeed("atom"));

  // Browsers ask for /favicon.ico on their own; pages link the PNG. Both answer the same icon.
  for (const path of [FAVICON_PATH, "/favicon.ico"]) {
    app.get(path, async (c) => {
      const icon = await deps.favicon.icon();
      const headers = { ETag: icon.etag, "Cache-Control": "public, max-age=3600" };
      if (c.req.header("if-none-match") === icon.etag) return c.body(null, 304, headers);
      return c.body(new Uint8Array(icon.body), 200, { ...headers, "Content-Type": "image/png" });
    });
  }

  return app;
}

/** HTML responses vary by Accept: the same URLs answer ActivityPub JSON to servers. */
function send(c: Context, page: Html, status: 200 | 400 | 404 | 410): Response {
  return c.body(page.toString(), status, { "Content-Type": "text/html; charset=utf-8", Vary: "Accept" });
}
