import type { Activity } from "@fedify/vocab";
import type { Kysely } from "kysely";
import type { Account } from "../../account/account.entity.ts";
import type { Urls } from "../../app/urls.ts";
import type { DB } from "../../db/schema.ts";
import type { DeliveryPort } from "../../delivery/delivery.port.ts";
import { newId } from "../../lib/id.ts";
import { logger } from "../../lib/logger.ts";
import type { Clock } from "../../lib/time.ts";
import type { Visibility } from "../../post/post.entity.ts";
import { offlineContextLoader } from "../context-loader.ts";
import type { DomainEvent, DomainEventType, EventOf } from "./events.ts";

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

export type ActivityBuilder<T extends DomainEventType> = (event: EventOf<T>) => Promise<OutboundActivity | null>;

/**
 * The one place federation leaves the domain. Services report what happened (`publish(event)`);
 * the bridge builds the activity, serialises it once, stores it (so its id dereferences and the
 * outbox lists it), works out the distinct inboxes and hands them to the delivery engine — in one
 * transaction, so an activity is either stored with all its deliveries queued or not at all.
 * A local write never fails because a remote inbox did: sending happens later, in workers.
 */
export class OutboundBridge {
  readonly #db: Kysely<DB>;
  readonly #urls: Urls;
  readonly #clock: Clock;
  readonly #delivery: DeliveryPort;
  readonly #builders = new Map<DomainEventType, (event: DomainEvent) => Promise<OutboundActivity | null>>();

  constructor(deps: { db: Kysely<DB>; urls: Urls; clock: Clock; delivery: DeliveryPort }) {
    this.#db = deps.db;
    this.#urls = deps.urls;
    this.#clock = deps.clock;
    this.#delivery = deps.delivery;
  }

  /** Feature modules register one builder per event type they own. */
  on<T extends DomainEventType>(type: T, builder: ActivityBuilder<T>): void {
    if (this.#builders.has(type)) throw new Error(`outbound builder for ${type} registered twice`);
    this.#builders.set(type, builder as unknown as (event: DomainEvent) => Promise<OutboundActivity | null>);
  }

  /** Builds, stores and queues the activity for `event`; returns its id, or null when nothing is sent. */
  async publish(event: DomainEvent): Promise<string | null> {
    const builder = this.#builders.get(event.type);
    if (builder === undefined) throw new Error(`no outbound builder for ${event.type}`);
    const outbound = await builder(event);
    if (outbound === null) return null;
    return await this.send(outbound);
  }

  /** Stores and queues an already built activity (used by `publish` and by replies such as Accept). */
  async send(outbound: OutboundActivity): Promise<string> {
    const rowId = newId();
    const uri = this.#urls.activity(outbound.account.username, rowId);
    const activity = outbound.activity.clone({ id: new URL(uri) });
    // Serialised once per activity, never per recipient (JSON-LD compaction costs ~0.3 ms each).
    const document = (await activity.toJsonLd({ format: "compact", contextLoader: offlineContextLoader })) as { type?: unknown };
    const type = typeof document.type === "string" ? document.type : "Activity";
    const json = JSON.stringify(document);
    const now = this.#clock.now().toISOString();
    const count = await this.#db.transaction().execute(async (trx) => {
      await trx
        .insertInto("outbox_activities")
        .values({
          id: rowId,
          uri,
          actor_id: outbound.account.actorId,
          type,
          object_uri: outbound.objectUri,
          visibility: outbound.visibility,
          json,
          created_at: now,
        })
        .execute();
      const inboxes = await this.#inboxes(trx, outbound);
      return inboxes.length === 0 ? 0 : await this.#delivery.enqueue({ outboxActivityId: rowId, accountId: outbound.account.id, inboxes }, trx);
    });
    log.debug("queued {type} {uri} for {count} inboxes", { type, uri, count });
    return uri;
  }

  /** Distinct inboxes: accepted remote followers (shared inbox preferred) and direct recipients. */
  async #inboxes(db: Kysely<DB>, outbound: OutboundActivity): Promise<string[]> {
    const inboxes = new Set<string>();
    if (outbound.audience.followers) {
      const rows = await db
        .selectFrom("follows")
        .innerJoin("actors", "actors.id", "follows.follower_id")
        .select(["actors.shared_inbox_url", "actors.inbox_url"])
        .where("follows.followee_id", "=", outbound.account.actorId)
        .where("follows.state", "=", "accepted")
        .where("actors.is_local", "=", 0)
        .where("actors.gone_at", "is", null)
        .execute();
      for (const row of rows) {
        const inbox = row.shared_inbox_url ?? row.inbox_url;
        if (inbox) inboxes.add(inbox);
      }
    }
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
