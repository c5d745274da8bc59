import { createFederation, type Federation } from "@fedify/fedify";
import { DatabaseKvStore } from "./kv.store.ts";
import { offlineContextLoader } from "./context-loader.ts";
import { registerActorDispatcher } from "./actor.dispatcher.ts";
import { registerNodeInfo } from "./nodeinfo.ts";
// The types sit in a leaf file so the dispatchers registered here need no import back to this file.
import type { FederationDeps, FedifyRegistration } from "./federation.deps.ts";

/**
 * Fedify serves discovery and documents: WebFinger, NodeInfo, actors (and, registered by the
 * federation modules, objects and collections). Herold's own code owns the inbox and delivery paths.
 */
export function createHeroldFederation(deps: FederationDeps, extra: readonly FedifyRegistration[] = []): Federation<void> {
  const fedify = createFederation<void>({
    kv: new DatabaseKvStore(deps.database.db, deps.clock),
    origin: deps.config.origin.origin,
    documentLoaderFactory: deps.loaders.documentLoaderFactory,
    authenticatedDocumentLoaderFactory: deps.loaders.authenticatedDocumentLoaderFactory,
    contextLoaderFactory: () => offlineContextLoader,
  });
  registerActorDispatcher(fedify, deps);
  registerNodeInfo(fedify, deps);
  for (const register of extra) register(fedify, deps);
  return fedify;
}
