import { createFederation, type Federation } from "@fedify/fedify";
import type { AuthenticatedDocumentLoaderFactory, DocumentLoaderFactory } from "@fedify/fedify/runtime";
import type { AccountRepository } from "../account/account.repository.ts";
import type { SigningKeyStore } from "../account/signing-keys.ts";
import type { Urls } from "../app/urls.ts";
import type { PostRepository } from "../post/post.repository.ts";
import type { Clock } from "../lib/time.ts";
import type { Database } from "../db/database.ts";
import type { Config } from "../config/config.ts";
import { DatabaseKvStore } from "./kv.store.ts";
import { offlineContextLoader } from "./context-loader.ts";
import { registerActorDispatcher } from "./actor.dispatcher.ts";
import { registerNodeInfo } from "./nodeinfo.ts";

/** What the Fedify dispatchers need; a subset of the application context. */
export interface FederationDeps {
  readonly config: Config;
  readonly database: Database;
  readonly clock: Clock;
  readonly urls: Urls;
  readonly accounts: AccountRepository;
  readonly posts: PostRepository;
  readonly signingKeys: SigningKeyStore;
  readonly version: string;
  /** Document loaders through the SSRF guard, signed by the instance actor (federation.module.ts). */
  readonly loaders: FederationLoaders;
}

/** How Fedify fetches: never outside Herold's guarded, signed fetcher (src/federation/fetch/). */
export interface FederationLoaders {
  readonly documentLoaderFactory: DocumentLoaderFactory;
  readonly authenticatedDocumentLoaderFactory: AuthenticatedDocumentLoaderFactory;
}

/** A registration step that adds dispatchers (actor, objects, collections …) to the federation. */
export type FedifyRegistration = (fedify: Federation<void>, deps: FederationDeps) => void;

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
