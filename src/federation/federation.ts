import { createFederation, type Federation } from "@fedify/fedify";
import { DatabaseKvStore } from "./kv.store.ts";
import { offlineContextLoader } from "./context-loader.ts";
import { registerActorDispatcher } from "./actor.dispatcher.ts";
import { registerNodeInfo } from "./nodeinfo.ts";
// The types sit in a leaf file so the dispatchers registered here need no import back to this file.
import type { FederationDeps, FederationRegistration } from "./federation.deps.ts";

/**
 * Fedify serves discovery and documents: WebFinger, NodeInfo, actors (and, registered by the
 * federation modules, objects and collections). Herold's own code owns the inbox and delivery paths.
 */
export function createHeroldFederation(deps: FederationDeps, extra: readonly FederationRegistration[] = []): Federation<void> {
  const federation = createFederation<void>({
    kv: new DatabaseKvStore(deps.database.db, deps.clock),
    origin: deps.config.origin.origin,
    documentLoaderFactory: deps.loaders.documentLoaderFactory,
    authenticatedDocumentLoaderFactory: deps.loaders.authenticatedDocumentLoaderFactory,
    contextLoaderFactory: () => offlineContextLoader,
  });
  registerActorDispatcher(federation, deps);
  registerNodeInfo(federation, deps);
  for (const register of extra) register(federation, deps);
  return federation;
}
