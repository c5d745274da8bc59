import { sql, type Kysely } from "kysely";
import type { DB } from "../db/schema.ts";

/**
 * A visit ends after this much time without a request of the home (the usual web-analytics rule):
 * reloading the home, or coming back to it from another screen of the app within the same visit,
 * keeps the same "since your last visit" instead of emptying it.
 */
export const VISIT_GAP_MS = 30 * 60 * 1000;

/**
 * The home's per-person marker (migration 0022, columns of `memberships`): when this person last
 * looked at the home of this account. Per membership, not per account, so what one person of the
 * team has seen is still news to the others.
 */
export class HomeVisitRepository {
  readonly #db: Kysely<DB>;

  constructor(db: Kysely<DB>) {
    this.#db = db;
  }

  /**
   * Records a visit of the home at `now` and returns where "since your last visit" starts: the
   * previous visit when the last request is older than `VISIT_GAP_MS` (a new visit), the start of
   * the current visit otherwise; null on a person's first visit. One UPDATE … RETURNING: both engines
   * evaluate every SET expression with the row's old values, so two tabs cannot interleave a read
   * and a write.
   */
  async visit(membershipId: string, now: Date): Promise<string | null> {
    const cutoff = new Date(now.getTime() - VISIT_GAP_MS).toISOString();
    const row = await this.#db
      .updateTable("memberships")
      .set({
        home_seen_at: sql<string | null>`case when home_visited_at is null or home_visited_at < ${cutoff} then home_visited_at else home_seen_at end`,
        home_visited_at: now.toISOString(),
      })
      .where("id", "=", membershipId)
      .returning("home_seen_at")
      .executeTakeFirst();
    return row?.home_seen_at ?? null;
  }
}
