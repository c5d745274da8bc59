import type { AppBase, ModuleContributions } from "../app/base.ts";
import { loadPageScript, loadStylesheet, type Stylesheet } from "./assets.ts";
import { assetRoutes } from "../http/static-assets.ts";
import { FaviconService } from "./favicon.service.ts";
import { HomeViews } from "./home.view.ts";
import { errorPage, type Site } from "./layout.ts";
import { FAVICON_PATH, pageRoutes } from "./pages.routes.ts";
import { PostViews, type InteractionCounts } from "./post.view.ts";
import { ProfileViews, type FollowCounts } from "./profile.view.ts";
import { TagViews } from "./tag.view.ts";
import { PageViewRepository } from "./page-views.repository.ts";
import { PageViewService } from "./page-views.service.ts";
import type { PageViewCounts } from "../insights/insights.ports.ts";

/** Public HTML pages (site root, profiles, posts, hashtags), RSS/Atom feeds, the stylesheet, script and favicon. */
export interface PagesModule extends ModuleContributions {
  readonly stylesheet: Stylesheet;
  readonly profiles: ProfileViews;
  readonly posts: PostViews;
  /** The site icon's URL, which the app's pages link too. */
  readonly faviconHref: string;
  /** The styled 404 page for browsers, for the HTTP app's not-found handler. */
  readonly notFoundHtml: () => string;
  /** Views of the public pages per account and local day (counters only; no visitor data): for insights. */
  readonly pageViews: PageViewCounts;
  /** Writes the page views still buffered in memory. Call before closing the database. */
  close(): Promise<void>;
}

export function createPagesModule(base: AppBase, deps: { followers: FollowCounts; interactions: InteractionCounts }): PagesModule {
  const { accounts, actors, posts } = base.repos;
  const postViews = new PostViews({ accounts, actors, posts, counts: deps.interactions, urls: base.urls, domain: base.config.domain });
  const profiles = new ProfileViews({ followers: deps.followers, accounts, posts, postViews, urls: base.urls, domain: base.config.domain });
  const tags = new TagViews({ accounts, posts, postViews, urls: base.urls });
  const home = new HomeViews({ accounts, postViews, urls: base.urls, domain: base.config.domain });
  const favicon = new FaviconService({ accounts, origin: base.urls.origin, dataDir: base.config.dataDir });
  const views = new PageViewService({ repository: new PageViewRepository(base.database.db), clock: base.clock });
  const stylesheet = loadStylesheet();
  const script = loadPageScript();
  const site: Site = { domain: base.config.domain, stylesheetHref: stylesheet.href, scriptHref: script.href, faviconHref: FAVICON_PATH, version: base.version };
  const notFound = errorPage(site, "Not found", "There is nothing at this address. It may have moved, or the link may be mistyped.").toString();
  return {
    stylesheet,
    posts: postViews,
    profiles,
    faviconHref: FAVICON_PATH,
    notFoundHtml: () => notFound,
    pageViews: views,
    close: () => views.close(),
    // Static files through the one asset route group, before the pages.
    routes: [() => assetRoutes([stylesheet, script]), () => pageRoutes({ site, profiles, posts: postViews, tags, home, favicon, views, urls: base.urls })],
  };
}
