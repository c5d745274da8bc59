import { Hono, type Context } from "hono";
import type { AccountRepository } from "../account/account.repository.ts";
import type { Urls } from "../app/urls.ts";
import type { Clock } from "../lib/time.ts";
import type { MediaLimits } from "../media/media.service.ts";
import type { PostRepository } from "../post/post.repository.ts";
import type { PostInteractionService } from "../post/post-interaction.service.ts";
import type { TimelineService } from "../post/timeline.service.ts";
import type { InsightsQueries } from "../insights/insights.ports.ts";
import type { FollowService } from "../social/follow.service.ts";
import type { NotificationService } from "../social/notification.service.ts";
import type { Csrf } from "../user/csrf.ts";
import type { SessionStore } from "../user/session.store.ts";
import type { UserRepository } from "../user/user.repository.ts";
import type { UserService } from "../user/user.service.ts";
import type { MediaProxy } from "./media-proxy.ts";
import type { ProfileService } from "./profile.service.ts";
import type { WebAssets } from "./assets.ts";
import type { WebCookies } from "./session.middleware.ts";
import { limitBody } from "../http/body-limit.ts";
import { authRoutes } from "./auth.routes.ts";
import { bodyLimitFor, webBodyLimits } from "./body-limits.ts";
import { requireMember, sameOriginPosts } from "./session.middleware.ts";
import { sessionRoutes } from "./session.routes.ts";
import type { WebEnv } from "./web.env.ts";
import type { Shell } from "./web.layout.ts";
import { unreachable } from "../lib/result.ts";
import type { AppViews } from "./app.views.ts";
import { calendarRoutes } from "./calendar.routes.ts";
import { composeRoutes, type ComposeRoutesDeps } from "./compose.routes.ts";
import { followerRoutes } from "./followers.routes.ts";
import { insightsRoutes } from "./insights.routes.ts";
import { notificationRoutes } from "./notifications.routes.ts";
import { timelineRoutes } from "./timeline.routes.ts";
import { homeRoutes } from "./home.routes.ts";
import { mediaLibraryRoutes, type MediaLibraryRoutesDeps } from "./media-library.routes.ts";
import type { HomeView } from "./home.view.ts";
import { profileImageRoutes, profileRoutes } from "./profile.routes.ts";
import { memberRoutes } from "./members.routes.ts";
import { postsRoutes } from "./posts.routes.ts";
import { passwordRoutes } from "./password.routes.ts";
import type { SentPostsService } from "./sent-posts.service.ts";

/** What the web app's routes use: the web module's own parts and narrow ports of the modules below. */
export interface WebRoutesDeps {
  readonly origin: URL;
  readonly domain: string;
  readonly version: string;
  readonly dataDir: string;
  readonly clock: Clock;
  readonly urls: Urls;
  /** The public pages' stylesheet, which the app's pages load too. */
  readonly stylesheetHref: string;
  readonly web: {
    readonly users: UserService;
    readonly userRepository: UserRepository;
    readonly sessions: SessionStore;
    readonly csrf: Csrf;
    readonly cookies: WebCookies;
    readonly assets: WebAssets;
    readonly mediaProxy: MediaProxy;
    readonly profiles: ProfileService;
  };
  readonly accounts: AccountRepository;
  readonly posts: Pick<PostRepository, "findVisible" | "listLocalPublishedByDay">;
  readonly timeline: Pick<TimelineService, "list">;
  readonly interactions: Pick<PostInteractionService, "like" | "unlike" | "boost" | "unboost">;
  readonly mediaLimits: MediaLimits;
  readonly notifications: Pick<NotificationService, "list" | "markRead" | "unreadCount">;
  readonly follows: FollowService;
  /** Accepted follower and following counts (social's FollowersRepository). */
  readonly followerCounts: { counts(actorId: string): Promise<{ followers: number; following: number }> };
  readonly views: AppViews;
  /** The channel's home at /app (issue #12, item 11). */
  readonly home: Pick<HomeView, "load">;
  /** The media library at /app/media (issue #12, item 13). */
  readonly media: MediaLibraryRoutesDeps["media"];
  /** The account's published posts: list, edit, delete, post again. */
  readonly sent: SentPostsService;
  readonly compose: Omit<ComposeRoutesDeps, "origin" | "domain" | "clock" | "urls" | "users">;
  /** Insights (issue #14): the section and its navigation link are mounted when present. */
  readonly insights: InsightsQueries;
}

/** Everything under /app, plus the media proxy. Signed-in routes sit behind `requireMember`. */
export function webRoutes(deps: WebRoutesDeps): Hono {
  const app = new Hono<WebEnv>();
  const { web, views } = deps;
  const origin = deps.origin.origin;
  const shell: Shell = {
    domain: deps.domain,
    version: deps.version,
    stylesheetHref: deps.stylesheetHref,
    appCssHref: web.assets.css.href,
    appJsHref: web.assets.js.href,
    insights: true,
  };
  const now = () => deps.clock.now().toISOString();

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

  app.route("/", profileImageRoutes(deps.dataDir, web.profiles));

  // Before anything under /app can read a body: forms small, uploads up to the media limits.
  const limit = limitBody(bodyLimitFor(webBodyLimits(deps.mediaLimits)));
  app.use("/app/*", limit);
  app.use("/app", limit);
  app.use("/app/*", sameOriginPosts(origin, shell));
  app.use("/app", sameOriginPosts(origin, shell));
  app.route("/", authRoutes({ shell, users: web.users, sessions: web.sessions, accounts: deps.accounts, csrf: web.csrf, cookies: web.cookies }));

  const member = requireMember({
    sessions: web.sessions,
    users: web.userRepository,
    accounts: deps.accounts,
    csrf: web.csrf,
    cookies: web.cookies,
    origin,
    shell,
    unread: (actorId) => deps.notifications.unreadCount(actorId),
  });
  const needsSetup = async (c: Context, next: () => Promise<void>) => {
    if (c.req.method === "GET" && (await web.users.needsSetup())) return c.redirect("/app/setup", 303);
    await next();
  };
  app.use("/app", needsSetup, member);
  app.use("/app/*", needsSetup, member);
  app.route("/", sessionRoutes({ shell, sessions: web.sessions, users: web.userRepository, cookies: web.cookies, now }));
  app.route("/", homeRoutes({ home: deps.home, shell }));
  app.route("/", timelineRoutes({ timeline: deps.timeline, interactions: deps.interactions, views, shell }));
  app.route("/", notificationRoutes({ notifications: deps.notifications, posts: deps.posts, views, shell }));
  app.route("/", followerRoutes({ follows: deps.follows, views, counts: deps.followerCounts, shell }));
  app.route("/", composeRoutes({ ...deps.compose, origin: deps.origin, domain: deps.domain, clock: deps.clock, urls: deps.urls, users: web.userRepository }, shell, views));
  app.route("/", mediaLibraryRoutes({ media: deps.media, schedule: deps.compose.schedule, shell }));
  app.route("/", passwordRoutes({ shell, users: web.users }));
  app.route("/", postsRoutes({ sent: deps.sent, maxChars: deps.compose.maxChars, shell }));
  app.route("/", calendarRoutes({ clock: deps.clock, schedule: deps.compose.schedule, posts: deps.posts }, shell));
  app.route("/", profileRoutes(deps.urls, shell, views, web.profiles));
  app.route("/", insightsRoutes({ insights: deps.insights, shell }));
  app.route("/", memberRoutes({ shell, users: web.userRepository }));
  return app as unknown as Hono;
}
