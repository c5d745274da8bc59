import type { AppBase, ModuleContributions } from "../app/base.ts";
import type { FederationModule } from "../federation/federation.module.ts";
import type { SocialModule } from "../social/social.module.ts";

// SKELETON (lead): the posts-federation engineer fills this module (compose, publish, edit, delete, remote posts, collections).
export interface PostModule extends ModuleContributions {}

export function createPostModule(_base: AppBase, _deps: { federation: FederationModule; social: SocialModule }): PostModule {
  return {};
}
