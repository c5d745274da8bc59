import type { AppBase, ModuleContributions } from "../app/base.ts";
import { loadStylesheet, type Stylesheet } from "./assets.ts";
import { assetRoutes } from "../http/static-assets.ts";
import { pageRoutes } from "./pages.routes.ts";
import { PageViewRepository } from "./page-views.repository.ts";
import { PageViewService } from "./page-views.service.ts";
import type { PageViewCounts } from "../insights/insights.ports.ts";
import { PostViews } from "./post.view.ts";
import { ProfileViews, type FollowCounts } from "./profile.view.ts";

/** Public HTML pages (profiles, posts), RSS/Atom feeds and the stylesheet: read-only views of local accounts. */
export interface PagesModule extends ModuleContributions {
  readonly stylesheet: Stylesheet;
  readonly profiles: ProfileViews;
  readonly posts: PostViews;
  /** Views of the public pages per account and local day (counters only; no visitor data): for insights. */
  readonly pageViews: PageViewCounts;
  /** Writes the page views still buffered in memory. Call before closing the database. */
  close(): Promise<void>;
}

export function createPagesModule(base: AppBase, deps: { followers: FollowCounts }): PagesModule {
  const { accounts, posts } = base.repos;
  const postViews = new PostViews({ accounts, posts, urls: base.urls, domain: base.config.domain });
  const profiles = new ProfileViews({ followers: deps.followers, accounts, posts, postViews, urls: base.urls, domain: base.config.domain });
  const stylesheet = loadStylesheet();
  const views = new PageViewService({ repository: new PageViewRepository(base.database.db), clock: base.clock });
  return {
    stylesheet,
    posts: postViews,
    profiles,
    pageViews: views,
    close: () => views.close(),
    // Static files through the one asset route group, before the pages.
    routes: [() => assetRoutes([stylesheet]), () => pageRoutes({ stylesheet, profiles, posts: postViews, views, urls: base.urls, domain: base.config.domain, version: base.version })],
  };
}
