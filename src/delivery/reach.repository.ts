import { sql, type Kysely } from "kysely";
import type { Database } from "../db/database.ts";
import { toCount } from "../db/rows.ts";
import type { DB } from "../db/schema.ts";
import { unreachable } from "../lib/result.ts";
import type { OutcomeRow, ReachEngine } from "./reach.engine.ts";
import { postgresReachEngine } from "./reach.postgres.ts";
import { sqliteReachEngine } from "./reach.sqlite.ts";
import type { DeliveryReach, ReachFigures } from "../insights/insights.ports.ts";

/** Where a post's Create stands at one inbox. Only `pending` changes, and only once. */
export type OutcomeState = "pending" | "delivered" | "failed";

export type SettledState = Exclude<OutcomeState, "pending">;

/** How a deliver job ended for good, at one inbox. */
export interface SettledOutcome {
  readonly activityId: string;
  readonly inbox: string;
  readonly state: SettledState;
  readonly at: string;
}

/** A queued delivery whose outcome is kept. */
export type PendingOutcome = OutcomeRow;

/** Rows per INSERT and inboxes per UPDATE: one parameter each, bounded for statement memory. */
const INSERT_CHUNK = 5000;
/** Post ids per read. */
const READ_CHUNK = 500;

/**
 * `delivery_outcomes`, owned by the delivery module: the outcome of each local post's Create at each
 * inbox it was queued for (migration 0018). The queue's jobs are deleted when done, so they cannot
 * answer "which servers accepted this post"; these rows can. Written pending with the deliver jobs,
 * settled by the deliver job, read per post by the insights module through `DeliveryReach`.
 */
export class DeliveryReachRepository implements DeliveryReach {
  readonly #db: Kysely<DB>;
  readonly #engine: ReachEngine;

  constructor(database: Pick<Database, "db" | "kind">) {
    this.#db = database.db;
    this.#engine = engineOf(database.kind);
  }

  /**
   * Records the queued deliveries as pending, in `executor` (the transaction that queues the deliver
   * jobs, so the jobs and their record commit together). A repeated enqueue changes nothing: an
   * outcome already recorded (maybe settled) is kept.
   */
  async insertPending(rows: readonly PendingOutcome[], now: string, executor: Kysely<DB> = this.#db): Promise<void> {
    for (let i = 0; i < rows.length; i += INSERT_CHUNK) await this.#engine.insertPending(executor, rows.slice(i, i + INSERT_CHUNK), now);
  }

  /**
   * Settles outcomes, in one transaction (one statement per activity and state). Only a pending
   * outcome changes: a job that runs again after it was settled (a lost lease, a crash after the
   * send) cannot turn a delivery into a failure or back.
   */
  async settleMany(outcomes: readonly SettledOutcome[]): Promise<void> {
    if (outcomes.length === 0) return;
    const groups = new Map<string, { activityId: string; state: SettledState; at: string; inboxes: string[] }>();
    for (const o of outcomes) {
      const key = `${o.state} ${o.activityId}`;
      const group = groups.get(key);
      if (group === undefined) groups.set(key, { activityId: o.activityId, state: o.state, at: o.at, inboxes: [o.inbox] });
      else {
        group.inboxes.push(o.inbox);
        if (o.at > group.at) group.at = o.at;
      }
    }
    const write = async (db: Kysely<DB>) => {
      for (const g of groups.values()) {
        for (let i = 0; i < g.inboxes.length; i += INSERT_CHUNK) await this.#engine.settle(db, g.activityId, g.inboxes.slice(i, i + INSERT_CHUNK), g.state, g.at);
      }
    };
    // The usual batch is one activity and one state: a single statement needs no transaction around it.
    const single = groups.size === 1 && outcomes.length <= INSERT_CHUNK;
    await (single ? write(this.#db) : this.#db.transaction().execute(write));
  }

  /**
   * Raw-data retention (`HEROLD_ANALYTICS_RAW_DAYS`, asked for by insights' daily job): settled
   * outcomes last changed before `cutoff` are folded into one row per (activity, server) whose
   * `inbox` is the marker `host:<host>`, so a personal inbox URL — which names a remote actor — is not
   * kept beyond the period. Reach stays what it was: a server accepted when any of its inboxes did,
   * and pending rows stay until the engine settles them. One transaction; the number of rows folded.
   */
  async foldSettledBefore(cutoff: string): Promise<number> {
    return await this.#db.transaction().execute(async (trx) => {
      await sql`INSERT INTO delivery_outcomes (activity_id, inbox, host, post_id, state, updated_at)
        SELECT activity_id, 'host:' || host, host, post_id,
          CASE WHEN sum(CASE WHEN state = 'delivered' THEN 1 ELSE 0 END) > 0 THEN 'delivered' ELSE 'failed' END,
          max(updated_at)
        FROM delivery_outcomes
        WHERE state <> 'pending' AND updated_at < ${cutoff} AND inbox NOT LIKE 'host:%'
        GROUP BY activity_id, host, post_id
        ON CONFLICT (activity_id, inbox) DO UPDATE SET
          state = CASE WHEN excluded.state = 'delivered' OR delivery_outcomes.state = 'delivered' THEN 'delivered' ELSE 'failed' END`.execute(trx);
      const deleted = await trx
        .deleteFrom("delivery_outcomes")
        .where("state", "<>", "pending")
        .where("updated_at", "<", cutoff)
        .where("inbox", "not like", "host:%")
        .executeTakeFirst();
      return Number(deleted.numDeletedRows);
    });
  }

  /**
   * Per post: servers (hosts) that accepted its Create (any of its inboxes there answered 2xx), that
   * failed for good (every inbox there failed), and that are still pending (none accepted, one still
   * retrying). Posts never fanned out (no remote followers, or sent before outcomes were kept) are
   * absent. One grouped read per 500 posts over `delivery_outcomes_post`.
   */
  async reachOf(postIds: readonly string[]): Promise<ReadonlyMap<string, ReachFigures>> {
    const byPost = new Map<string, { delivered: string[]; failed: number; pending: number }>();
    const unique = [...new Set(postIds)];
    for (let i = 0; i < unique.length; i += READ_CHUNK) {
      const rows = await this.#db
        .selectFrom("delivery_outcomes")
        .select((eb) => [
          "post_id",
          "host",
          eb.fn.sum<number | string>(eb.case().when("state", "=", "delivered").then(1).else(0).end()).as("delivered"),
          eb.fn.sum<number | string>(eb.case().when("state", "=", "pending").then(1).else(0).end()).as("pending"),
        ])
        .where("post_id", "in", unique.slice(i, i + READ_CHUNK))
        .groupBy(["post_id", "host"])
        .orderBy("post_id")
        .orderBy("host")
        .execute();
      for (const row of rows) {
        let figures = byPost.get(row.post_id);
        if (figures === undefined) byPost.set(row.post_id, (figures = { delivered: [], failed: 0, pending: 0 }));
        if (toCount(row.delivered) > 0) figures.delivered.push(row.host);
        else if (toCount(row.pending) > 0) figures.pending++;
        else figures.failed++;
      }
    }
    const result = new Map<string, ReachFigures>();
    for (const [postId, f] of byPost) {
      result.set(postId, { deliveredServers: f.delivered.length, failedServers: f.failed, pendingServers: f.pending, deliveredHosts: f.delivered });
    }
    return result;
  }
}

function engineOf(kind: Database["kind"]): ReachEngine {
  switch (kind) {
    case "sqlite":
      return sqliteReachEngine;
    case "postgres":
      return postgresReachEngine;
    default:
      return unreachable(kind);
  }
}
