/**
 * Test support for the posts module (not a test file): a complete application context on a test
 * database (real social module, ledger, notifications, bridge), with the posts services rebuilt on
 * fakes for everything that would touch the network — an actor resolver and a document fetcher that
 * only know what a test registered — and a delivery port that records instead of sending.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { AcceptedFollows } from "../../social/accepted-follows.ts";
import { homeFeedFollowsListener } from "../home-feed.ts";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Account } from "../../account/account.entity.ts";
import type { Actor } from "../../actor/actor.entity.ts";
import { createAppContext, type AppContext } from "../../app/context.ts";
import { loadConfig } from "../../config/config.ts";
import type { InboundActivity, InboxOutcome } from "../../federation/inbox/inbox.types.ts";
import { FakeResolver, RecordingDelivery } from "../../testing/fakes.ts";
import { OutboundBridge } from "../../federation/outbound/bridge.ts";
import { newId } from "../../lib/id.ts";
import { err, ok, type Result } from "../../lib/result.ts";
import { ManualClock } from "../../lib/time.ts";
import type { TestDatabase } from "../../testing/databases.ts";
import { createPostServices, type PostServices } from "../post.module.ts";
import type { FetchedObject, ObjectFetcher } from "../post.ports.ts";
import { remoteActorData } from "../../testing/fixtures.ts";

export { FakeResolver, RecordingDelivery };

export const TEST_ORIGIN = "https://herold.test";

/** Serves documents a test added, applying the same id rules as the real fetcher. */
export class FakeFetcher implements ObjectFetcher {
  readonly #documents = new Map<string, Record<string, unknown>>();
  readonly #failures = new Map<string, string>();
  readonly requests: string[] = [];

  /** Serves `document` at `url` (default: its own id). */
  add(document: Record<string, unknown>, url: string = String(document["id"])): void {
    this.#documents.set(url, document);
  }

  fail(url: string, error: string): void {
    this.#failures.set(url, error);
  }

  async fetch(url: string, options: { requireIdEquals: "final-url" | "requested-url" | "same-origin" }): Promise<Result<FetchedObject, string>> {
    this.requests.push(url);
    const failure = this.#failures.get(url);
    if (failure !== undefined) return err(failure, `fake failure ${failure} for ${url}`);
    const document = this.#documents.get(url);
    if (document === undefined) return err("not-found", `${url} answered 404`);
    const id = String(document["id"]);
    if (new URL(id).origin !== new URL(url).origin) return err("id-mismatch", `document id ${id} is not on the origin of ${url}`);
    if (options.requireIdEquals !== "same-origin" && id !== url) return err("id-mismatch", `document id ${id} differs from ${url}`);
    return ok({ document, id, finalUrl: url });
  }
}

export interface Delivered {
  readonly uri: string;
  readonly type: string;
  readonly visibility: string;
  readonly objectUri: string | null;
  readonly json: Record<string, any>;
  readonly inboxes: readonly string[];
}

export interface PostHarness {
  readonly ctx: AppContext;
  readonly clock: ManualClock;
  readonly resolver: FakeResolver;
  readonly fetcher: FakeFetcher;
  readonly delivery: RecordingDelivery;
  /** The bridge the posts services report to (tests set its fault hooks). */
  readonly bridge: OutboundBridge;
  readonly posts: PostServices;
  addAccount(username: string): Promise<Account>;
  /** A remote actor as the resolver would have stored it (inbox `https://host/users/name/inbox`, shared inbox `https://host/inbox`). */
  addRemote(username: string, host: string, options?: { sharedInbox?: boolean; uri?: string }): Promise<Actor>;
  /** An accepted (or pending) follow, written directly. */
  follow(followerActorId: string, followeeActorId: string, state?: "accepted" | "pending"): Promise<void>;
  block(actorId: string, targetId: string): Promise<void>;
  /** Activities the bridge stored and the inboxes it asked to deliver them to, oldest first. */
  delivered(): Promise<Delivered[]>;
  /** While set, every notification write throws (a crash in the middle of processing an activity). */
  failNotifications(on: boolean): void;
  /** While set, every undo in the interaction ledger throws (a crash while a Delete is processed). */
  failLedgerUndo(on: boolean): void;
  /** Runs the posts inbox handler for this activity type as the dispatcher would. */
  receive(actor: Actor, json: Record<string, unknown>, recipient?: Account | null): Promise<InboxOutcome>;
  close(): Promise<void>;
}

export async function createPostHarness(db: TestDatabase, env: Record<string, string> = {}): Promise<PostHarness> {
  const dataDir = mkdtempSync(join(tmpdir(), "herold-posts-"));
  const config = loadConfig({ HEROLD_ORIGIN: TEST_ORIGIN, HEROLD_DATABASE_URL: db.url, HEROLD_DATA_DIR: dataDir, ...env });
  const clock = new ManualClock("2026-03-01T10:00:00.000Z");
  const ctx = await createAppContext(config, { clock, migrate: true });
  const resolver = new FakeResolver();
  const fetcher = new FakeFetcher();
  const delivery = new RecordingDelivery();
  const bridge = new OutboundBridge({ db: ctx.database.db, urls: ctx.urls, clock, delivery, queue: ctx.queue, followerInboxes: (actorId, trx) => ctx.social.followers.remoteInboxes(actorId, trx) });
  let notificationsFail = false;
  let ledgerUndoFails = false;
  const posts = createPostServices(ctx, {
    resolver,
    fetcher,
    bridge,
    followers: ctx.social.followers,
    outbox: ctx.federationModule.outbox,
    ledger: {
      record: (input, db) => ctx.social.interactions.record(input, db),
      undo: (uri, actorId, at, db) =>
        ledgerUndoFails ? Promise.reject(new Error("ledger undo failed (test fault)")) : ctx.social.interactions.undo(uri, actorId, at, db),
      get: (id) => ctx.social.interactions.get(id),
      active: (actorId, postId, kind) => ctx.social.interactions.active(actorId, postId, kind),
      votesBy: (postId, actorId, db) => ctx.social.interactions.votesBy(postId, actorId, db),
    },
    notifier: {
      notify: (input, db) => {
        if (notificationsFail) return Promise.reject(new Error("notification write failed (test fault)"));
        return ctx.social.notifications.notify(input, db);
      },
      existsForInteraction: (id, db) => ctx.social.notifications.existsForInteraction(id, db) },
    blocks: { isBlocked: (a, b) => ctx.social.blocks.isBlocked(a, b) },
  });
  const db2 = ctx.database.db;
  const now = () => clock.now().toISOString();
  let counter = 0;

  return {
    ctx,
    clock,
    resolver,
    fetcher,
    delivery,
    bridge,
    posts,
    failNotifications(on) {
      notificationsFail = on;
    },
    failLedgerUndo(on) {
      ledgerUndoFails = on;
    },
    async addAccount(username) {
      const result = await ctx.services.accounts.create({ username });
      if (!result.ok) throw new Error(result.message);
      return result.value;
    },
    async addRemote(username, host, options = {}) {
      const uri = options.uri ?? `https://${host}/users/${username}`;
      const actor = await ctx.repos.actors.upsertRemote(
        remoteActorData(host, username, {
          uri,
          inboxUrl: `${uri}/inbox`,
          sharedInboxUrl: options.sharedInbox === false ? null : `https://${host}/inbox`,
          outboxUrl: `${uri}/outbox`,
          followersUrl: `${uri}/followers`,
          followingUrl: `${uri}/following`,
          featuredUrl: `${uri}/collections/featured`,
          publicKeyId: `${uri}#main-key`,
        }),
        now(),
      );
      resolver.add(actor);
      return actor;
    },
    async follow(followerActorId, followeeActorId, state = "accepted") {
      await db2
        .insertInto("follows")
        .values({
          id: newId(),
          follower_id: followerActorId,
          followee_id: followeeActorId,
          state,
          uri: `https://follow.test/${newId()}`,
          created_at: now(),
          accepted_at: state === "accepted" ? now() : null,
          updated_at: now(),
        })
        .execute();
      // What social keeps with its follow writes: the counters and the home feeds (accepted-follows.ts).
      if (state === "accepted") await seededFollows().changed(db2, [{ follower_id: followerActorId, followee_id: followeeActorId }], +1, now());
    },
    async block(actorId, targetId) {
      await db2.insertInto("blocks").values({ id: newId(), actor_id: actorId, target_id: targetId, uri: null, created_at: now() }).execute();
    },
    async delivered() {
      const rows = await db2.selectFrom("outbox_activities").selectAll().orderBy("id").execute();
      return rows.map((row) => ({
        uri: row.uri,
        type: row.type,
        visibility: row.visibility,
        objectUri: row.object_uri,
        json: JSON.parse(row.json) as Record<string, any>,
        inboxes: delivery.requests.filter((r) => r.outboxActivityId === row.id).flatMap((r) => r.inboxes),
      }));
    },
    async receive(actor, json, recipient = null) {
      const activity: InboundActivity = {
        id: typeof json["id"] === "string" ? json["id"] : `${actor.uri}#activities/${++counter}`,
        type: String(json["type"]),
        actor,
        json,
        recipient,
        receivedAt: now(),
      };
      const inbox = posts.inbox;
      const object = json["object"];
      switch (activity.type) {
        case "Create":
          return await inbox.create(activity);
        case "Update":
          return await inbox.update(activity);
        case "Delete":
          return await inbox.delete(activity);
        case "Announce":
          return await inbox.announce(activity);
        case "Undo":
          if (typeof object === "object" && object !== null && (object as Record<string, unknown>)["type"] !== "Announce") throw new Error("only Undo/Announce is the posts module's");
          return await inbox.undoAnnounce(activity);
        case "Add":
          return await inbox.add(activity);
        case "Remove":
          return await inbox.remove(activity);
        default:
          throw new Error(`the posts module has no handler for ${activity.type}`);
      }
    },
    async close() {
      await ctx.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Follows written with plain SQL keep what the repositories keep: social's counters and the home timelines. */
function seededFollows(): AcceptedFollows {
  const accepted = new AcceptedFollows();
  accepted.on(homeFeedFollowsListener);
  return accepted;
}
