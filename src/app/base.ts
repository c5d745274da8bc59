import type { Config } from "../config/config.ts";
import type { Database } from "../db/database.ts";
import type { Clock } from "../lib/time.ts";
import type { AccountRepository } from "../account/account.repository.ts";
import type { AccountService } from "../account/account.service.ts";
import type { SigningKeyStore } from "../account/signing-keys.ts";
import type { ActorRepository } from "../actor/actor.repository.ts";
import type { PostRepository } from "../post/post.repository.ts";
import type { JobQueue } from "../queue/queue.ts";
import type { QueueHandler } from "../queue/worker.ts";
import type { RouteGroup } from "../http/app.ts";
import type { FederationRegistration } from "../federation/federation.ts";
import type { Urls } from "./urls.ts";

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
  readonly keys: SigningKeyStore;
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
  readonly federation?: readonly FederationRegistration[];
  /** Queue handlers run by the worker role. */
  readonly jobs?: readonly QueueHandler[];
}
