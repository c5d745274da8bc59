import type { AppBase, ModuleContributions } from "../app/base.ts";
import type { PostModule } from "../post/post.module.ts";
import { loadStylesheet, type Stylesheet } from "./assets.ts";
import { assetRoutes } from "../http/static-assets.ts";
import { pageRoutes } from "./pages.routes.ts";
import { PostViews } from "./post.view.ts";
import { ProfileViews } from "./profile.view.ts";

/** Public HTML pages (profiles, posts), RSS/Atom feeds and the stylesheet: read-only views of local accounts. */
export interface PagesModule extends ModuleContributions {
  readonly stylesheet: Stylesheet;
  readonly profiles: ProfileViews;
  readonly posts: PostViews;
}

export function createPagesModule(base: AppBase, _deps: { posts: PostModule }): PagesModule {
  const { accounts, posts } = base.repos;
  const postViews = new PostViews({ accounts, posts, urls: base.urls, domain: base.config.domain });
  const stylesheet = loadStylesheet();
  return {
    stylesheet,
    posts: postViews,
    profiles: new ProfileViews({ db: base.database.db, accounts, posts, postViews, urls: base.urls, domain: base.config.domain }),
    // Static files through the one asset route group, before the pages.
    routes: [() => assetRoutes([stylesheet]), pageRoutes],
  };
}
