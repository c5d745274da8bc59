import type { AppBase, ModuleContributions } from "../app/base.ts";
import type { FederationModule } from "../federation/federation.module.ts";

// SKELETON (lead): the social-federation engineer fills this module (follows, interactions, blocks, notifications).
export interface SocialModule extends ModuleContributions {}

export function createSocialModule(_base: AppBase, _deps: { federation: FederationModule }): SocialModule {
  return {};
}
