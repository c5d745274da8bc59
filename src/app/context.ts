import { readFileSync } from "node:fs";
import type { Federation } from "@fedify/fedify";
import type { Config } from "../config/config.ts";
import { ensureSchema, openDatabase, type Database } from "../db/database.ts";
import { migrateToLatest } from "../db/migrate.ts";
import { systemClock, type Clock } from "../lib/time.ts";
import { AccountRepository } from "../account/account.repository.ts";
import { AccountService } from "../account/account.service.ts";
import { SigningKeyStore } from "../account/signing-keys.ts";
import { ActorRepository } from "../actor/actor.repository.ts";
import { PostRepository } from "../post/post.repository.ts";
import { createHeroldFederation } from "../federation/federation.ts";
import { loadOrCreateSecret } from "./secret.ts";
import { Urls } from "./urls.ts";

export const VERSION: string = (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;

/**
 * The composition root: every long-lived object is built here, once, from the parsed config and
 * handed to what needs it. No container, no module singletons; tests build their own contexts.
 */
export interface AppContext {
  readonly config: Config;
  readonly version: string;
  readonly clock: Clock;
  readonly database: Database;
  readonly urls: Urls;
  /** Instance secret (HMAC keys for sessions, CSRF, signed media URLs); generated on first start. */
  readonly secret: Buffer;
  readonly repos: {
    readonly accounts: AccountRepository;
    readonly actors: ActorRepository;
    readonly posts: PostRepository;
  };
  readonly services: {
    readonly accounts: AccountService;
  };
  readonly keys: SigningKeyStore;
  readonly federation: Federation<void>;
  close(): Promise<void>;
}

export interface ContextOptions {
  readonly clock?: Clock;
  /** Apply pending migrations while opening (start, CLI). */
  readonly migrate?: boolean;
}

export async function createAppContext(config: Config, options: ContextOptions = {}): Promise<AppContext> {
  const clock = options.clock ?? systemClock;
  const database = openDatabase(config.database);
  try {
    await ensureSchema(database, config.database);
    if (options.migrate !== false) await migrateToLatest(database.db);
  } catch (error) {
    await database.close();
    throw error;
  }
  const urls = new Urls(config.origin);
  const secret = loadOrCreateSecret(config.dataDir);

  const accounts = new AccountRepository(database.db);
  const actors = new ActorRepository(database.db);
  const posts = new PostRepository(database.db);
  const keys = new SigningKeyStore(accounts, (username) => urls.rsaKeyId(username));

  const federation = createHeroldFederation({ config, database, clock, urls, accounts, posts, keys, version: VERSION });

  return {
    config,
    version: VERSION,
    clock,
    database,
    urls,
    secret,
    repos: { accounts, actors, posts },
    services: {
      accounts: new AccountService({ accounts, urls, domain: config.domain, clock }),
    },
    keys,
    federation,
    close: async () => {
      await database.close();
    },
  };
}
