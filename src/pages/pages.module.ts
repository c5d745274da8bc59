import type { AppBase, ModuleContributions } from "../app/base.ts";
import type { PostModule } from "../post/post.module.ts";

// SKELETON (lead): the public-pages engineer fills this module (profile and post pages, feeds).
export interface PagesModule extends ModuleContributions {}

export function createPagesModule(_base: AppBase, _deps: { posts: PostModule }): PagesModule {
  return {};
}
