import { Hono, type Context } from "hono";
import type { AppContext } from "../app/context.ts";
import { limitBody } from "../http/body-limit.ts";
import { authRoutes } from "./auth.routes.ts";
import { bodyLimitFor, webBodyLimits } from "./body-limits.ts";
import { requireMember, sameOriginPosts } from "./session.middleware.ts";
import { sessionRoutes } from "./session.routes.ts";
import type { WebEnv } from "./web.env.ts";
import type { Shell } from "./web.layout.ts";
import type { Asset } from "./assets.ts";
import { unreachable } from "../lib/result.ts";
import { AppViews } from "./app.views.ts";
import { calendarRoutes } from "./calendar.routes.ts";
import { composeRoutes } from "./compose.routes.ts";
import { followerRoutes } from "./followers.routes.ts";
import { notificationRoutes } from "./notifications.routes.ts";
import { timelineRoutes } from "./timeline.routes.ts";
import { profileImageRoutes, profileRoutes } from "./profile.routes.ts";

/** Everything under /app, plus the media proxy. Signed-in routes sit behind `requireMember`. */
export function webRoutes(ctx: AppContext): Hono {
  const app = new Hono<WebEnv>();
  const { web } = ctx;
  const shell: Shell = {
    domain: ctx.config.domain,
    version: ctx.version,
    stylesheetHref: ctx.pages.stylesheet.href,
    appCssHref: web.assets.css.href,
    appJsHref: web.assets.js.href,
  };
  const now = () => ctx.clock.now().toISOString();

  app.get(web.assets.css.path, (c) => serveAsset(c, web.assets.css));
  app.get(web.assets.js.path, (c) => serveAsset(c, web.assets.js));

  app.get("/media/proxy/:mac/:encoded", async (c) => {
    const result = await web.mediaProxy.get(c.req.param("mac"), c.req.param("encoded"));
    if (!result.ok) {
      switch (result.error) {
        case "bad-signature":
        case "bad-url":
          return c.text("Not found", 404);
        case "not-found":
          return c.text("Not found", 404);
        case "not-an-image":
        case "too-large":
        case "unreachable":
          return c.text("The remote image is not available", 502);
        default:
          return unreachable(result.error);
      }
    }
    return c.body(new Uint8Array(result.value.body), 200, {
      "Content-Type": result.value.contentType,
      "Cache-Control": "public, max-age=86400",
      "Content-Security-Policy": "default-src 'none'; sandbox",
      "Content-Disposition": "inline",
    });
  });

  const views = new AppViews({ db: ctx.database.db, posts: ctx.repos.posts, actors: ctx.repos.actors, urls: ctx.urls, proxy: web.mediaProxy });
  app.route("/", profileImageRoutes(ctx, web.profiles));

  // Before anything under /app can read a body: forms small, uploads up to the media limits.
  const limit = limitBody(bodyLimitFor(webBodyLimits(ctx.posts.media.limits)));
  app.use("/app/*", limit);
  app.use("/app", limit);
  app.use("/app/*", sameOriginPosts(ctx.config.origin.origin));
  app.use("/app", sameOriginPosts(ctx.config.origin.origin));
  app.route("/", authRoutes({ shell, users: web.users, sessions: web.sessions, accounts: ctx.repos.accounts, csrf: web.csrf, cookies: web.cookies }));

  const member = requireMember({
    sessions: web.sessions,
    users: web.userRepository,
    accounts: ctx.repos.accounts,
    csrf: web.csrf,
    cookies: web.cookies,
    origin: ctx.config.origin.origin,
  });
  const needsSetup = async (c: Context, next: () => Promise<void>) => {
    if (c.req.method === "GET" && (await web.users.needsSetup())) return c.redirect("/app/setup", 303);
    await next();
  };
  app.use("/app", needsSetup, member);
  app.use("/app/*", needsSetup, member);
  app.route("/", sessionRoutes({ shell, sessions: web.sessions, users: web.userRepository, cookies: web.cookies, now }));
  app.route("/", timelineRoutes({ timeline: ctx.posts.timeline, interactions: ctx.posts.service, views, shell }));
  app.route("/", notificationRoutes({ notifications: ctx.social.notifications, posts: ctx.repos.posts, views, shell }));
  app.route("/", followerRoutes({ follows: ctx.social.follows, views, shell }));
  app.route("/", composeRoutes(ctx, shell, views));
  app.route("/", calendarRoutes(ctx, shell));
  app.route("/", profileRoutes(ctx, shell, views, web.profiles));
  return app as unknown as Hono;
}

function serveAsset(c: Context, asset: Asset): Response {
  const headers = {
    ETag: asset.etag,
    "Cache-Control": c.req.query("v") === asset.etag.slice(1, -1) ? "public, max-age=31536000, immutable" : "public, max-age=3600",
  };
  if (c.req.header("if-none-match") === asset.etag) return c.body(null, 304, headers);
  return c.body(asset.body, 200, { ...headers, "Content-Type": asset.contentType });
}
