import type { Federation } from "@fedify/fedify";
import type { AuthenticatedDocumentLoaderFactory, DocumentLoaderFactory } from "@fedify/fedify/runtime";
import type { AccountRepository } from "../account/account.repository.ts";
import type { SigningKeyStore } from "../account/signing-keys.ts";
import type { Urls } from "../app/urls.ts";
import type { PostRepository } from "../post/post.repository.ts";
import type { Clock } from "../lib/time.ts";
import type { Database } from "../db/database.ts";
import type { Config } from "../config/config.ts";

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
