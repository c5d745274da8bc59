import type { AppBase, ModuleContributions } from "../app/base.ts";
import type { ActorResolver } from "../actor/actor.resolver.ts";
import type { DeliveryModule } from "../delivery/delivery.module.ts";
import { InboxDispatcher } from "./inbox/inbox.types.ts";
import { OutboundBridge } from "./outbound/bridge.ts";

// SKELETON (lead): the inbound-federation engineer completes this module (resolver, fetcher, inbox route and worker).
export interface FederationModule extends ModuleContributions {
  readonly resolver: ActorResolver;
  readonly bridge: OutboundBridge;
  readonly inbox: InboxDispatcher;
}

export function createFederationModule(base: AppBase, deps: { delivery: DeliveryModule }): FederationModule {
  const bridge = new OutboundBridge({ db: base.database.db, urls: base.urls, clock: base.clock, delivery: deps.delivery.port });
  const resolver: ActorResolver = {
    resolveUri: async () => {
      throw new Error("actor resolver not wired yet");
    },
    resolveHandle: async () => {
      throw new Error("actor resolver not wired yet");
    },
  };
  return { resolver, bridge, inbox: new InboxDispatcher() };
}
