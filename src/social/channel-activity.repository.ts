import { sql, type Kysely } from "kysely";
import { toCount } from "../db/rows.ts";
import type { DB } from "../db/schema.ts";
import { FOLLOWERS } from "./follow.counters.ts";
import { NOTIFICATION_KINDS, type NotificationKind } from "./notification.repository.ts";

/** What came in for an account since an instant, by notification kind (the app's home). */
export interface ActivitySince {
  /** Notifications of each kind (kinds with none are 0). */
  readonly counts: Readonly<Record<NotificationKind, number>>;
  /** Distinct actors behind them. */
  readonly people: number;
  /** The newest notification's time, null when there is none. */
  readonly latestAt: string | null;
}

/** Accepted followers now, and the accepted follows that began and ended since an instant. */
export interface FollowerTrend {
  readonly followers: number;
  readonly gained: number;
  readonly lost: number;
}

/**
 * The home's questions to social (issue #12, item 11), one statement each: what came in since the
 * person's last visit (from `notifications`) and the follower count with its change (the counters
 * and the `follow_events` history). Read-only; social owns these tables, the web app gets this port.
 */
export class ChannelActivityRepository {
  readonly #db: Kysely<DB>;

  constructor(db: Kysely<DB>) {
    this.#db = db;
  }

  /** Notifications of `actorId` created after `since`, counted by kind (the notifications' (actor_id, id) index). */
  async since(actorId: string, since: string): Promise<ActivitySince> {
    const rows = await this.#db
      .selectFrom("notifications")
      .select((eb) => ["kind", eb.fn.countAll<string | number>().as("n"), eb.fn.count<string | number>("from_actor_id").distinct().as("people"), eb.fn.max("created_at").as("latest")])
      .where("actor_id", "=", actorId)
      .where("created_at", ">", since)
      .groupBy("kind")
      .execute();
    const counts = Object.fromEntries(NOTIFICATION_KINDS.map((k) => [k, 0])) as Record<NotificationKind, number>;
    let people = 0;
    let latestAt: string | null = null;
    for (const row of rows) {
      if ((NOTIFICATION_KINDS as readonly string[]).includes(row.kind)) counts[row.kind as NotificationKind] = toCount(row.n);
      // An upper bound across kinds (one person who liked and boosted counts in both); exact within a kind.
      people = Math.max(people, toCount(row.people));
      if (row.latest !== null && (latestAt === null || row.latest > latestAt)) latestAt = row.latest;
    }
    return { counts, people, latestAt };
  }

  /**
   * Accepted followers of `actorId` (the `social.followers` counter) and, from the follow history
   * since `since`, follows accepted and accepted follows ended: one statement of two scalar subqueries.
   */
  async followerTrend(actorId: string, since: string): Promise<FollowerTrend> {
    const row = await this.#db
      .selectNoFrom((eb) => [
        eb.selectFrom("counters").select(sql<string | number | null>`sum(value)`.as("v")).where("scope", "=", actorId).where("name", "=", FOLLOWERS).as("followers"),
        eb
          .selectFrom("follow_events")
          .select(sql<string | number>`count(*)`.as("v"))
          .where("followee_id", "=", actorId)
          .where("created_at", ">=", since)
          .where("kind", "=", "accepted")
          .as("gained"),
        eb
          .selectFrom("follow_events")
          .select(sql<string | number>`count(*)`.as("v"))
          .where("followee_id", "=", actorId)
          .where("created_at", ">=", since)
          .where("kind", "=", "ended")
          .where("was_accepted", "=", 1)
          .as("lost"),
      ])
      .executeTakeFirstOrThrow();
    return { followers: toCount(row.followers), gained: toCount(row.gained), lost: toCount(row.lost) };
  }
}
