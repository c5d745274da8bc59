import type { Config } from "../config/config.ts";
import { AccountRepository } from "../account/account.repository.ts";
import { AccountService } from "../account/account.service.ts";
import { SigningKeyStore } from "../account/signing-keys.ts";
import { ActorGoneAnnouncer } from "../actor/actor-gone.ts";
import { ActorRepository } from "../actor/actor.repository.ts";
import { PostRepository } from "../post/post.repository.ts";
import { createJobQueue } from "../queue/queue.ts";
import { Urls } from "./urls.ts";
import type { Database } from "../db/database.ts";
import type { Clock } from "../lib/time.ts";
import type { JobQueue } from "../queue/queue.ts";
import type { QueueHandler } from "../queue/worker.ts";
import type { RouteGroup } from "../http/route-group.ts";
import type { FedifyRegistration } from "../federation/federation.deps.ts";

/** The infrastructure every feature module receives from the composition root. */
export interface AppBase {
  readonly config: Config;
  readonly version: string;
  readonly clock: Clock;
  readonly database: Database;
  readonly queue: JobQueue;
  readonly urls: Urls;
  /** Instance secret (HMAC keys for sessions, CSRF, signed media URLs); generated on first start. */
  readonly secret: Buffer;
  /** Local accounts' signing keys (ours; the inbox's cache of remote actors' keys is `FederationModule.remoteKeys`). */
  readonly signingKeys: SigningKeyStore;
  /** Where any module says remote actors are gone; the modules owning relations with actors subscribe. */
  readonly actorsGone: ActorGoneAnnouncer;
  readonly repos: {
    readonly accounts: AccountRepository;
    readonly actors: ActorRepository;
    readonly posts: PostRepository;
  };
  readonly services: {
    readonly accounts: AccountService;
  };
}

/** What a feature module contributes to the process besides its services. */
export interface ModuleContributions {
  /** HTTP route groups, mounted after discovery and Fedify. */
  readonly routes?: readonly RouteGroup[];
  /** Fedify dispatchers (objects, collections) this module serves. */
  readonly fedifyDispatchers?: readonly FedifyRegistration[];
  /** Queue handlers run by the worker role. */
  readonly jobs?: readonly QueueHandler[];
}

/**
 * Builds the infrastructure every module receives, on an open database. The composition root
 * (context.ts) uses it, and so do test kits that wire modules on fakes: one assembly, not five.
 */
export function createAppBase(input: {
  readonly config: Config;
  readonly database: Database;
  readonly clock: Clock;
  readonly secret: Buffer;
  readonly version: string;
}): AppBase {
  const { config, database, clock } = input;
  const urls = new Urls(config.origin);
  const accounts = new AccountRepository(database.db);
  const actors = new ActorRepository(database.db);
  return {
    config,
    version: input.version,
    clock,
    database,
    queue: createJobQueue(database, { clock }),
    urls,
    secret: input.secret,
    signingKeys: new SigningKeyStore(accounts, (username) => urls.rsaKeyId(username)),
    actorsGone: new ActorGoneAnnouncer(database.db, actors),
    repos: { accounts, actors, posts: new PostRepository(database.db) },
    services: { accounts: new AccountService({ accounts, urls, domain: config.domain, clock }) },
  };
}
