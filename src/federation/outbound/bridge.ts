import type { Activity } from "@fedify/vocab";
import type { Kysely } from "kysely";
import type { Account } from "../../account/account.entity.ts";
import type { Urls } from "../../app/urls.ts";
import type { DB } from "../../db/schema.ts";
import type { DeliveryPort } from "../../delivery/delivery.port.ts";
import { inTransaction } from "../../db/transaction.ts";
import { newId } from "../../lib/id.ts";
import { logger } from "../../lib/logger.ts";
import type { Clock } from "../../lib/time.ts";
import type { Visibility } from "../../post/post.entity.ts";
import type { JobQueue, QueueHandler } from "../../queue/queue.ts";
import { offlineContextLoader } from "../context-loader.ts";
import type { DomainEvent, DomainEventType, EventOf } from "./events.ts";
import { OutboxRepository } from "./outbox.repository.ts";

const log = logger("federation", "outbound");

/** What a builder turns an event into: the activity (without id: the bridge mints it) and its audience. */
export interface OutboundActivity {
  readonly account: Pick<Account, "id" | "username" | "actorId">;
  readonly activity: Activity;
  readonly visibility: Visibility;
  readonly objectUri: string | null;
  readonly audience: {
    /** Deliver to every accepted follower's (shared) inbox. */
    readonly followers: boolean;
    /** Actors addressed directly (mentions, the followee, the author of a liked post). */
    readonly actorIds: readonly string[];
  };
}

/**
 * The inboxes of the remote accepted followers of a local actor, read in the bridge's transaction.
 * `follows` belongs to the social module, which implements this port; federation is wired before
 * social, so the composition root hands it in (social's `FollowersRepository.remoteInboxes`).
 */
export type FollowerInboxes = (actorId: string, db: Kysely<DB>) => Promise<string[]>;

export type ActivityBuilder<T extends DomainEventType> = (event: EventOf<T>) => Promise<OutboundActivity | null>;

/** Queue of the intents to federate (see `OutboundBridge.record`). */
export const FEDERATE_QUEUE = "federate";

/**
 * How long an intent waits before any worker may take it. The process that committed it sends it
 * within milliseconds and removes it; a worker only finds intents whose process died in between.
 */
export const FEDERATE_GRACE_MS = 30_000;

/** The intent to federate one event, committed with the write it reports. */
export interface FederationIntent {
  readonly jobId: string;
  /** The id the stored activity will have: its URI is `urls.activity(username, activityId)`. */
  readonly activityId: string;
  readonly event: DomainEvent;
}

/** Job payload: ids only (never keys): the event carries ids and the activity id is minted ahead. */
interface FederatePayload {
  readonly event: DomainEvent;
  readonly activityId: string;
}

/**
 * Runs `work` in one transaction with an `emit` that records intents in it, then sends what was
 * emitted. Services report events this way so that a write and its federation commit together.
 */
export interface EventOutbox {
  transaction<T>(work: (trx: Kysely<DB>, emit: (event: DomainEvent) => Promise<FederationIntent>) => Promise<T>): Promise<T>;
}

/**
 * The one place federation leaves the domain. Services report what happened (`publish(event)`);
 * the bridge builds the activity, serialises it once, stores it (so its id dereferences and the
 * outbox lists it), works out the distinct inboxes and hands them to the delivery engine — in one
 * transaction, so an activity is either stored with all its deliveries queued or not at all.
 * A local write never fails because a remote inbox did: sending happens later, in workers.
 *
 * Transactional outbox: services do not call `publish` after their write (a crash in between
 * would leave the write unfederated) but `transaction(work)`: the write and a durable `federate`
 * job carrying the event commit together; right after the commit this process builds, stores and
 * queues the activity and deletes that job in the same transaction that stores the activity. When
 * the process dies in between, a worker takes the job after FEDERATE_GRACE_MS and does the same.
 * The activity id is minted with the intent and is the outbox row's primary key, so a job run
 * twice (or by the committing process and a worker at once) stores and queues it only once.
 */
export class OutboundBridge implements EventOutbox {
  readonly #db: Kysely<DB>;
  readonly #urls: Urls;
  readonly #clock: Clock;
  readonly #delivery: DeliveryPort;
  readonly #queue: JobQueue;
  readonly #outbox: OutboxRepository;
  readonly #followerInboxes: FollowerInboxes;
  #afterCommit: ((intent: FederationIntent) => Promise<void> | void) | undefined;
  #beforeCommit: ((trx: Kysely<DB>, intents: readonly FederationIntent[]) => Promise<void> | void) | undefined;
  readonly #builders = new Map<DomainEventType, (event: DomainEvent) => Promise<OutboundActivity | null>>();

  constructor(deps: { db: Kysely<DB>; urls: Urls; clock: Clock; delivery: DeliveryPort; queue: JobQueue; followerInboxes: FollowerInboxes }) {
    this.#db = deps.db;
    this.#outbox = new OutboxRepository(deps.db);
    this.#followerInboxes = deps.followerInboxes;
    this.#urls = deps.urls;
    this.#clock = deps.clock;
    this.#delivery = deps.delivery;
    this.#queue = deps.queue;
  }

  /**
   * Fault injection, for tests only: `hook` runs after a write and its intents committed and before
   * this process sends them (the crash test kills the process there).
   */
  setAfterCommitHook(hook: ((intent: FederationIntent) => Promise<void> | void) | undefined): void {
    this.#afterCommit = hook;
  }

  /**
   * Fault injection, for tests only: `hook` runs when a `transaction`'s work is done and before it
   * commits (the crash test kills the process there: nothing of the write may survive on its own;
   * other tests look through `trx` at what commits with the intents).
   */
  setBeforeCommitHook(hook: ((trx: Kysely<DB>, intents: readonly FederationIntent[]) => Promise<void> | void) | undefined): void {
    this.#beforeCommit = hook;
  }

  async transaction<T>(work: (trx: Kysely<DB>, emit: (event: DomainEvent) => Promise<FederationIntent>) => Promise<T>): Promise<T> {
    const intents: FederationIntent[] = [];
    const value = await inTransaction(this.#db, async (trx) => {
      const result = await work(trx, async (event) => {
        const intent = await this.record(event, trx);
        intents.push(intent);
        return intent;
      });
      await this.#beforeCommit?.(trx, intents);
      return result;
    });
    for (const intent of intents) await this.dispatch(intent);
    return value;
  }

  /** The id the intent's activity gets when `username` sends it (stored with the write, e.g. a Follow's id). */
  activityUri(username: string, intent: FederationIntent): string {
    return this.#urls.activity(username, intent.activityId);
  }

  /** Records the intent to federate `event` inside `trx` (the caller's write transaction). */
  async record(event: DomainEvent, trx: Kysely<DB>): Promise<FederationIntent> {
    if (!trx.isTransaction) throw new Error("OutboundBridge.record needs the write's transaction");
    if (!this.#builders.has(event.type)) throw new Error(`no outbound builder for ${event.type}`);
    const activityId = newId(this.#clock.now().getTime());
    const payload: FederatePayload = { event, activityId };
    const { id } = await this.#queue.enqueue(FEDERATE_QUEUE, payload, { delayMs: FEDERATE_GRACE_MS, executor: trx });
    return { jobId: id, activityId, event };
  }

  /**
   * Sends a committed intent now; returns the activity's URI, or null when the builder sends
   * nothing. A failure here loses nothing: the intent's job stays and a worker retries it.
   */
  async dispatch(intent: FederationIntent): Promise<string | null> {
    await this.#afterCommit?.(intent);
    try {
      return await this.#run(intent.event, intent.activityId, intent.jobId);
    } catch (error) {
      log.warn("sending {type} failed; a worker retries it: {error}", { type: intent.event.type, error });
      return null;
    }
  }

  /** The worker side: intents whose process died (or failed) before sending them. */
  handler(): QueueHandler<FederatePayload> {
    return {
      queue: FEDERATE_QUEUE,
      concurrency: 4,
      leaseMs: 60_000,
      handle: async (job) => {
        await this.#run(job.payload.event, job.payload.activityId, null);
        return { kind: "done" };
      },
    };
  }

  async #run(event: DomainEvent, activityId: string, jobId: string | null): Promise<string | null> {
    const builder = this.#builders.get(event.type);
    if (builder === undefined) throw new Error(`no outbound builder for ${event.type}`);
    const outbound = await builder(event);
    if (outbound === null) {
      if (jobId !== null) await this.#db.deleteFrom("jobs").where("id", "=", jobId).where("locked_by", "is", null).execute();
      return null;
    }
    return await this.send(outbound, { activityId, jobId });
  }

  /** Feature modules register one builder per event type they own. */
  on<T extends DomainEventType>(type: T, builder: ActivityBuilder<T>): void {
    if (this.#builders.has(type)) throw new Error(`outbound builder for ${type} registered twice`);
    this.#builders.set(type, builder as unknown as (event: DomainEvent) => Promise<OutboundActivity | null>);
  }

  /**
   * Records, commits and sends `event` on its own: for events that report no write of their own
   * (an Accept answering a repeated Follow, a Reject of a blocked actor's Follow).
   */
  async publish(event: DomainEvent): Promise<string | null> {
    const intent = await inTransaction(this.#db, (trx) => this.record(event, trx));
    return await this.dispatch(intent);
  }

  /**
   * Stores and queues a built activity. With `activityId` (from an intent) storing is idempotent:
   * an activity already stored is neither stored nor queued again. With `jobId`, the intent's job
   * is deleted in the same transaction, unless a worker holds it (its run then stores nothing).
   */
  async send(outbound: OutboundActivity, options: { activityId?: string; jobId?: string | null } = {}): Promise<string> {
    const rowId = options.activityId ?? newId();
    const uri = this.#urls.activity(outbound.account.username, rowId);
    const activity = outbound.activity.clone({ id: new URL(uri) });
    // Serialised once per activity, never per recipient (JSON-LD compaction costs ~0.3 ms each).
    const document = (await activity.toJsonLd({ format: "compact", contextLoader: offlineContextLoader })) as { type?: unknown };
    const type = typeof document.type === "string" ? document.type : "Activity";
    const json = JSON.stringify(document);
    const now = this.#clock.now().toISOString();
    const count = await this.#db.transaction().execute(async (trx) => {
      if (options.jobId) await trx.deleteFrom("jobs").where("id", "=", options.jobId).where("locked_by", "is", null).execute();
      const stored = await this.#outbox.insert(
        { id: rowId, uri, actorId: outbound.account.actorId, type, objectUri: outbound.objectUri, visibility: outbound.visibility, json, createdAt: now },
        trx,
      );
      if (!stored) return 0; // sent before: by a worker, or a repeated run
      const inboxes = await this.#inboxes(trx, outbound);
      if (inboxes.length === 0) return 0;
      const reach = this.#reachOf(type, outbound);
      return await this.#delivery.enqueue({ outboxActivityId: rowId, accountId: outbound.account.id, inboxes, ...(reach ? { reach } : {}) }, trx);
    });
    log.debug("queued {type} {uri} for {count} inboxes", { type, uri, count });
    return uri;
  }

  /**
   * A local post's Create keeps its delivery outcomes (the post's reach, for insights). The post is
   * the activity's object, so its id comes from the object's URI, which only `Urls` mints; an Update
   * (an edit) or any other activity is not a post reaching a server and keeps nothing.
   */
  #reachOf(type: string, outbound: OutboundActivity): { postId: string } | null {
    if (type !== "Create" || outbound.objectUri === null) return null;
    const post = this.#urls.parsePost(outbound.objectUri);
    return post !== null && post.username === outbound.account.username ? { postId: post.postId } : null;
  }

  /** Distinct inboxes: accepted remote followers (shared inbox preferred) and direct recipients. */
  async #inboxes(db: Kysely<DB>, outbound: OutboundActivity): Promise<string[]> {
    const inboxes = new Set<string>();
    if (outbound.audience.followers) for (const inbox of await this.#followerInboxes(outbound.account.actorId, db)) inboxes.add(inbox);
    if (outbound.audience.actorIds.length > 0) {
      const rows = await db
        .selectFrom("actors")
        .select(["shared_inbox_url", "inbox_url"])
        .where("id", "in", [...outbound.audience.actorIds])
        .where("is_local", "=", 0)
        .where("gone_at", "is", null)
        .execute();
      for (const row of rows) {
        const inbox = row.shared_inbox_url ?? row.inbox_url;
        if (inbox) inboxes.add(inbox);
      }
    }
    return [...inboxes];
  }
}
