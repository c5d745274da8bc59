import type { AppBase, ModuleContributions } from "../app/base.ts";
import type { FederationModule } from "../federation/federation.module.ts";
import type { InsightsQueries } from "../insights/insights.ports.ts";
import type { PagesModule } from "../pages/pages.module.ts";
import type { PostModule } from "../post/post.module.ts";
import type { SocialModule } from "../social/social.module.ts";
import { createGuardedHttpClient } from "../net/guarded-client.ts";
import { Csrf } from "../user/csrf.ts";
import { LoginThrottle } from "../user/login-throttle.ts";
import { SessionStore } from "../user/session.store.ts";
import { UserRepository } from "../user/user.repository.ts";
import { UserService } from "../user/user.service.ts";
import { loadWebAssets, type WebAssets } from "./assets.ts";
import { AppViews } from "./app.views.ts";
import { assetRoutes } from "../http/static-assets.ts";
import { MediaProxy } from "./media-proxy.ts";
import { suggest } from "./suggest.ts";
import { WebCookies } from "./session.middleware.ts";
import { ProfileService } from "./profile.service.ts";
import { SentPostsService } from "./sent-posts.service.ts";
import { webRoutes, type WebRoutesDeps } from "./web.routes.ts";
import { HomeView } from "./home.view.ts";
import { HomeVisitRepository } from "../user/home-visit.repository.ts";
import { DraftRepository } from "../post/schedule/draft.repository.ts";
import { ComposeUploadRepository } from "../post/schedule/compose-upload.repository.ts";
import { scheduledPostHandler } from "../post/schedule/schedule.job.ts";
import { ScheduleService } from "../post/schedule/schedule.service.ts";

/**
 * The team web app (issue #6): people and sessions (src/user), the app under /app, the media proxy
 * at /media/proxy, and the scheduled-post publisher (src/post/schedule) run by the worker.
 */
export interface WebModule extends ModuleContributions {
  readonly users: UserService;
  readonly userRepository: UserRepository;
  readonly sessions: SessionStore;
  readonly csrf: Csrf;
  readonly throttle: LoginThrottle;
  readonly cookies: WebCookies;
  readonly assets: WebAssets;
  readonly mediaProxy: MediaProxy;
  /** Drafts, scheduled posts and publishing them (src/post/schedule). */
  readonly schedule: ScheduleService;
  /** Profile settings, avatar/header images and rel=me verification. */
  readonly profiles: ProfileService;
}

export interface WebModuleDeps {
  readonly federation: FederationModule;
  readonly social: SocialModule;
  readonly posts: PostModule;
  /** The public pages' stylesheet, which the app's pages load too. */
  readonly pages: Pick<PagesModule, "stylesheet">;
  /** What the Insights pages read (issue #14): the insights module's queries. */
  readonly insights: InsightsQueries;
}

export function createWebModule(base: AppBase, deps: WebModuleDeps): WebModule {
  const userRepository = new UserRepository(base.database);
  const throttle = new LoginThrottle(base.clock, base.secret);
  const guardedClient = createGuardedHttpClient({
    allowPrivateAddress: base.config.allowPrivateAddress,
    connectTimeoutMs: base.config.delivery.connectTimeoutMs,
    connectionsPerOrigin: 4,
  });
  const schedule = new ScheduleService({
    db: base.database.db,
    drafts: new DraftRepository(base.database.db),
    uploads: new ComposeUploadRepository(base.database.db),
    accounts: base.repos.accounts,
    publisher: deps.posts.service,
    media: deps.posts.media,
    queue: base.queue,
    clock: base.clock,
    maxChars: base.config.limits.postMaxChars,
    maxPollOptions: base.config.limits.maxPollOptions,
  });
  const profiles = new ProfileService({
    db: base.database.db,
    accounts: base.repos.accounts,
    media: deps.posts.media,
    events: deps.federation.bridge,
    urls: base.urls,
    clock: base.clock,
    guardedClient,
    allowHttp: base.config.allowPrivateAddress,
  });
  const users = new UserService({
    users: userRepository,
    accounts: base.repos.accounts,
    accountService: base.services.accounts,
    throttle,
    clock: base.clock,
  });
  const sessions = new SessionStore(base.database.db, base.clock);
  const csrf = new Csrf(base.secret);
  const cookies = new WebCookies(base.config.origin);
  const assets = loadWebAssets();
  const mediaProxy = new MediaProxy({
    secret: base.secret,
    dataDir: base.config.dataDir,
    guardedClient,
    allowHttp: base.config.allowPrivateAddress,
    clock: base.clock,
  });
  const { db } = base.database;
  const { posts: postRepository, actors, accounts } = base.repos;
  const media = deps.posts.media;
  const views = new AppViews({ interactions: deps.social.interactions, posts: postRepository, actors, urls: base.urls, proxy: mediaProxy });
  const home = new HomeView({
    clock: base.clock,
    schedule,
    unanswered: deps.posts.unanswered,
    activity: deps.social.channelActivity,
    visits: new HomeVisitRepository(db),
    views,
    insights: deps.insights,
  });
  const routes: WebRoutesDeps = {
    origin: base.config.origin,
    domain: base.config.domain,
    version: base.version,
    dataDir: base.config.dataDir,
    clock: base.clock,
    urls: base.urls,
    stylesheetHref: deps.pages.stylesheet.href,
    web: { users, userRepository, sessions, csrf, cookies, assets, mediaProxy, profiles },
    accounts,
    posts: postRepository,
    timeline: deps.posts.timeline,
    interactions: deps.posts.interactions,
    mediaLimits: media.limits,
    notifications: deps.social.notifications,
    follows: deps.social.follows,
    followerCounts: deps.social.followers,
    sent: new SentPostsService({ posts: postRepository, counts: deps.social.interactions, publisher: deps.posts.service, drafts: schedule, urls: base.urls, dataDir: base.config.dataDir }),
    views,
    home,
    media,
    compose: {
      maxChars: base.config.limits.postMaxChars,
      maxPollOptions: base.config.limits.maxPollOptions,
      schedule,
      actors,
      posts: postRepository,
      // The composer's thumbnails: the file of one of the account's own media rows.
      mediaFile: (actorId, mediaId) => media.ownFile(actorId, mediaId),
      suggest: (viewer, q) => suggest({ db, posts: postRepository }, viewer, q, base.config.domain),
    },
    insights: deps.insights,
  };
  return {
    schedule,
    profiles,
    users,
    userRepository,
    sessions,
    csrf,
    throttle,
    cookies,
    assets,
    mediaProxy,
    // Static files through the one asset route group, before the app's routes.
    routes: [() => assetRoutes([assets.css, assets.js]), () => webRoutes(routes)],
    jobs: [scheduledPostHandler(schedule, base.clock)],
  };
}
