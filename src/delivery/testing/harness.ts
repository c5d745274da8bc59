/**
 * A delivery engine on a test database, built from the same parts as the composition root
 * (src/app/context.ts) but without the other feature modules, so the delivery tests exercise the
 * real repositories, queue, key store, outbound bridge and delivery module and nothing else.
 * Test support only.
 */
import { randomBytes } from "node:crypto";
import { FollowersRepository } from "../../social/followers.repository.ts";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Create, Note, PUBLIC_COLLECTION } from "@fedify/vocab";
import type { Account } from "../../account/account.entity.ts";
import { type AppBase, createAppBase } from "../../app/base.ts";
import { AcceptedFollows } from "../../social/accepted-follows.ts";
import { endFollowsOfGoneActors } from "../../social/follow-history.ts";
import { loadConfig, type Config } from "../../config/config.ts";
import { OutboundBridge } from "../../federation/outbound/bridge.ts";
import { newId } from "../../lib/id.ts";
import { systemClock, type Clock } from "../../lib/time.ts";
import type { Database } from "../../db/database.ts";
import type { TestDatabase } from "../../testing/databases.ts";
import { createDeliveryModule, type DeliveryModule, type DeliveryModuleOptions } from "../delivery.module.ts";
import { OutboxRepository } from "../../federation/outbound/outbox.repository.ts";
import { remoteActorData } from "../../testing/fixtures.ts";

export const TEST_ORIGIN = "https://herold.test";

export interface HarnessOptions extends DeliveryModuleOptions {
  readonly clock?: Clock;
  /** Extra HEROLD_* variables (delivery settings). */
  readonly env?: Readonly<Record<string, string>>;
  /** Create the sending account (default true). */
  readonly account?: boolean;
  /** Another connection pool to the same database (a second worker process, in effect). */
  readonly database?: Database;
}

export interface DeliveryHarness {
  readonly base: AppBase;
  readonly config: Config;
  readonly delivery: DeliveryModule;
  readonly bridge: OutboundBridge;
  /** The sending account ("acme"); throws when created with `account: false`. */
  readonly account: Account;
  /** Public key PEM of the account (what a peer fetches from the key id). */
  readonly publicKeyPem: string;
  /** A remote actor following the account; returns its actor id. */
  addFollower(input: { inbox: string; sharedInbox?: string | null; username?: string }): Promise<string>;
  /** Publishes a public Create(Note) through the outbound bridge; returns the activity id and row id. */
  publish(text?: string): Promise<{ uri: string; rowId: string }>;
  close(): Promise<void>;
}

export function harnessConfig(databaseUrl: string, dataDir: string, env: Readonly<Record<string, string>> = {}): Config {
  return loadConfig({
    HEROLD_ORIGIN: TEST_ORIGIN,
    HEROLD_DATABASE_URL: databaseUrl,
    HEROLD_DATA_DIR: dataDir,
    HEROLD_ALLOW_PRIVATE_ADDRESS: "true",
    HEROLD_LOG_LEVEL: "error",
    ...env,
  });
}

/** The infrastructure part of the composition root (src/app/context.ts), on `database`. */
export function createTestBase(database: Database, config: Config, clock: Clock): AppBase {
  const base = createAppBase({ config, database, clock, secret: randomBytes(32), version: "test" });
  // No social module here: its part of an actor going (ending follows) is subscribed as
  // createSocialModule subscribes it in the real composition.
  base.actorsGone.subscribe(endFollowsOfGoneActors(new AcceptedFollows()));
  return base;
}

export async function createDeliveryHarness(test: TestDatabase, options: HarnessOptions = {}): Promise<DeliveryHarness> {
  const clock = options.clock ?? systemClock;
  const dataDir = mkdtempSync(join(tmpdir(), "herold-delivery-"));
  const config = harnessConfig(test.url, dataDir, options.env);
  const base = createTestBase(options.database ?? test.database, config, clock);
  const delivery = createDeliveryModule(base, { outbox: new OutboxRepository(base.database.db) }, options);
  const bridge = new OutboundBridge({ db: base.database.db, urls: base.urls, clock, delivery: delivery.port, queue: base.queue, followerInboxes: (actorId, trx) => new FollowersRepository(base.database.db).remoteInboxes(actorId, trx) });

  let account: Account | undefined;
  if (options.account !== false) {
    const username = `acme${Math.random().toString(36).slice(2, 8)}`;
    const created = await base.services.accounts.create({ username, type: "organization" });
    if (!created.ok) throw new Error(created.message);
    account = created.value;
  }
  const requireAccount = (): Account => {
    if (account === undefined) throw new Error("harness created without an account");
    return account;
  };

  return {
    base,
    config,
    delivery,
    bridge,
    get account() {
      return requireAccount();
    },
    get publicKeyPem() {
      return requireAccount().rsaPublicPem;
    },
    async addFollower({ inbox, sharedInbox = null, username }) {
      const now = clock.now().toISOString();
      const url = new URL(inbox);
      const name = username ?? `u${newId().slice(-10)}`;
      const actor = await base.repos.actors.upsertRemote(
        remoteActorData(url.host, name, {
          uri: `${url.origin}/users/${name}`,
          url: null,
          inboxUrl: inbox,
          sharedInboxUrl: sharedInbox,
          outboxUrl: null,
          followersUrl: null,
          followingUrl: null,
          publicKeyId: null,
        }),
        now,
      );
      await base.database.db
        .insertInto("follows")
        .values({ id: newId(), follower_id: actor.id, followee_id: requireAccount().actorId, state: "accepted", uri: null, created_at: now, accepted_at: now, updated_at: now })
        .execute();
      return actor.id;
    },
    async publish(text = "Hello, Fediverse") {
      const sender = requireAccount();
      const actor = new URL(base.urls.actor(sender.username));
      const noteId = new URL(base.urls.post(sender.username, newId()));
      const activity = new Create({
        actor,
        to: PUBLIC_COLLECTION,
        object: new Note({ id: noteId, attribution: actor, content: `<p>${text}</p>`, to: PUBLIC_COLLECTION }),
      });
      const uri = await bridge.send({
        account: sender,
        activity,
        visibility: "public",
        objectUri: noteId.href,
        audience: { followers: true, actorIds: [] },
      });
      const row = await base.database.db.selectFrom("outbox_activities").select("id").where("uri", "=", uri).executeTakeFirstOrThrow();
      return { uri, rowId: row.id };
    },
    async close() {
      await delivery.close();
      await base.queue.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
