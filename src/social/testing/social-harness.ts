/**
 * Test support for the social module (not a test file): a social module wired to a real test
 * database, a fake actor resolver, and a delivery port that records what would be delivered.
 * The outbound bridge is the real one, so every test also exercises serialisation and addressing.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { FollowersRepository } from "../followers.repository.ts";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Account } from "../../account/account.entity.ts";
import type { Actor } from "../../actor/actor.entity.ts";
import { type AppBase, createAppBase } from "../../app/base.ts";
import { Urls } from "../../app/urls.ts";
import { loadConfig } from "../../config/config.ts";
import { dispatchKey } from "../../federation/inbox/dispatch-key.ts";
import { InboxDispatcher, type InboundActivity, type InboxOutcome } from "../../federation/inbox/inbox.types.ts";
import { FakeResolver, RecordingDelivery } from "../../testing/fakes.ts";
import { OutboundBridge } from "../../federation/outbound/bridge.ts";
import { newId } from "../../lib/id.ts";
import { ManualClock } from "../../lib/time.ts";
import type { Post, Visibility } from "../../post/post.entity.ts";
import { addToCounters } from "../../db/counters.ts";
import { countDeltas } from "../../post/post.repository.ts";
import type { TestDatabase } from "../../testing/databases.ts";
import { createSocialModule, type SocialFederationDeps, type SocialModule } from "../social.module.ts";
import { remoteActorData } from "../../testing/fixtures.ts";

export { FakeResolver, RecordingDelivery };

export const TEST_ORIGIN = "https://herold.test";

export interface SentActivity {
  readonly uri: string;
  readonly type: string;
  readonly actorId: string;
  readonly visibility: string;
  readonly json: Record<string, any>;
  /** Inboxes the delivery engine was asked to deliver it to. */
  readonly inboxes: readonly string[];
}

export interface SocialHarness {
  readonly base: AppBase;
  readonly social: SocialModule;
  readonly inbox: InboxDispatcher;
  readonly bridge: OutboundBridge;
  readonly resolver: FakeResolver;
  readonly delivery: RecordingDelivery;
  readonly clock: ManualClock;
  readonly urls: Urls;
  addAccount(username: string, options?: { manuallyApprovesFollowers?: boolean }): Promise<Account>;
  /** A remote actor stored (as the resolver would have stored it) and known to the fake resolver. */
  addRemote(username: string, host: string, extra?: { alsoKnownAs?: string[]; movedToUri?: string | null; register?: boolean }): Promise<Actor>;
  addPost(account: Account, options?: { visibility?: Visibility; mentions?: readonly string[]; state?: "published" | "deleted" }): Promise<Post>;
  /** Runs the registered handler for the activity, keyed as the inbox dispatcher keys it. */
  receive(actor: Actor, json: Record<string, unknown>, recipient?: Account | null): Promise<InboxOutcome>;
  /** Activities stored by the bridge since the harness started (or since `sentSince`). */
  sent(): Promise<SentActivity[]>;
  close(): Promise<void>;
}

export async function createSocialHarness(db: TestDatabase): Promise<SocialHarness> {
  const dataDir = mkdtempSync(join(tmpdir(), "herold-social-"));
  const config = loadConfig({ HEROLD_ORIGIN: TEST_ORIGIN, HEROLD_DATABASE_URL: db.url, HEROLD_DATA_DIR: dataDir });
  const clock = new ManualClock("2026-03-01T10:00:00.000Z");
  const database = db.database;
  const base = createAppBase({ config, database, clock, secret: Buffer.alloc(32, 7), version: "test" });
  const { urls } = base;
  const { accounts, actors } = base.repos;

  const delivery = new RecordingDelivery();
  const bridge = new OutboundBridge({ db: database.db, urls, clock, delivery, queue: base.queue, followerInboxes: (actorId, trx) => new FollowersRepository(database.db).remoteInboxes(actorId, trx) });
  const resolver = new FakeResolver();
  const inbox = new InboxDispatcher();
  const federation: SocialFederationDeps = { resolver, bridge, inbox };
  const social = createSocialModule(base, { federation });
  const startedAt = await database.db.selectFrom("outbox_activities").select((eb) => eb.fn.max("id").as("max")).executeTakeFirst();
  const sentAfter = startedAt?.max ?? "";
  let activityCounter = 0;

  return {
    base,
    social,
    inbox,
    bridge,
    resolver,
    delivery,
    clock,
    urls,
    async addAccount(username, options = {}) {
      const created = await base.services.accounts.create({ username, type: "organization" });
      if (!created.ok) throw new Error(created.message);
      if (options.manuallyApprovesFollowers) {
        const updated = await accounts.updateProfile(created.value.id, { manuallyApprovesFollowers: true }, clock.now().toISOString());
        if (updated === null) throw new Error("account vanished");
        return updated;
      }
      return created.value;
    },
    async addRemote(username, host, extra = {}) {
      const actor = await actors.upsertRemote(
        remoteActorData(host, username, { alsoKnownAs: extra.alsoKnownAs ?? [], movedToUri: extra.movedToUri ?? null }),
        clock.now().toISOString(),
      );
      if (extra.register !== false) resolver.add(actor);
      return actor;
    },
    async addPost(account, options = {}) {
      const id = newId();
      const now = clock.now().toISOString();
      await database.db
        .insertInto("posts")
        .values({
          id,
          uri: urls.post(account.username, id),
          actor_id: account.actorId,
          is_local: 1,
          type: "Note",
          state: options.state ?? "published",
          visibility: options.visibility ?? "public",
          content_html: "<p>hello</p>",
          url: urls.post(account.username, id),
          published_at: now,
          deleted_at: options.state === "deleted" ? now : null,
          created_at: now,
          updated_at: now,
        })
        .execute();
      // The counters the posts repository keeps with its inserts (db/counters.ts).
      await addToCounters(database.db, countDeltas({ actorId: account.actorId, state: options.state ?? "published", visibility: options.visibility ?? "public", boostOfId: null, isLocal: true }, +1));
      for (const actorUri of options.mentions ?? []) await database.db.insertInto("post_mentions").values({ post_id: id, actor_uri: actorUri, handle: null }).execute();
      const post = await base.repos.posts.findById(id);
      if (post === null) throw new Error("post vanished");
      return post;
    },
    async receive(actor, json, recipient = null) {
      const type = typeof json["type"] === "string" ? json["type"] : "";
      const key = await dispatchKey(json, (uri) => inbox.undoneType(uri));
      const handler = inbox.get(key);
      if (handler === undefined) throw new Error(`no handler registered for ${key}`);
      const activity: InboundActivity = {
        id: typeof json["id"] === "string" ? json["id"] : `${actor.uri}#activity-${++activityCounter}`,
        type,
        actor,
        json,
        recipient,
        receivedAt: clock.now().toISOString(),
      };
      return await handler(activity);
    },
    async sent() {
      const rows = await database.db.selectFrom("outbox_activities").selectAll().where("id", ">", sentAfter).orderBy("id").execute();
      return rows.map((row) => ({
        uri: row.uri,
        type: row.type,
        actorId: row.actor_id,
        visibility: row.visibility,
        json: JSON.parse(row.json) as Record<string, any>,
        inboxes: delivery.requests.find((r) => r.outboxActivityId === row.id)?.inboxes ?? [],
      }));
    },
    async close() {
      await base.queue.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
