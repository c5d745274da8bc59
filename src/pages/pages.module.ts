import type { AppBase, ModuleContributions } from "../app/base.ts";
import { loadStylesheet, type Stylesheet } from "./assets.ts";
import { assetRoutes } from "../http/static-assets.ts";
import { pageRoutes } from "./pages.routes.ts";
import { PostViews } from "./post.view.ts";
import { ProfileViews, type FollowCounts } from "./profile.view.ts";

/** Public HTML pages (profiles, posts), RSS/Atom feeds and the stylesheet: read-only views of local accounts. */
export interface PagesModule extends ModuleContributions {
  readonly stylesheet: Stylesheet;
  readonly profiles: ProfileViews;
  readonly posts: PostViews;
}

export function createPagesModule(base: AppBase, deps: { followers: FollowCounts }): PagesModule {
  const { accounts, posts } = base.repos;
  const postViews = new PostViews({ accounts, posts, urls: base.urls, domain: base.config.domain });
  const profiles = new ProfileViews({ followers: deps.followers, accounts, posts, postViews, urls: base.urls, domain: base.config.domain });
  const stylesheet = loadStylesheet();
  return {
    stylesheet,
    posts: postViews,
    profiles,
    // Static files through the one asset route group, before the pages.
    routes: [() => assetRoutes([stylesheet]), () => pageRoutes({ stylesheet, profiles, posts: postViews, urls: base.urls, domain: base.config.domain, version: base.version })],
  };
}
