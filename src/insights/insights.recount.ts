import { sql, type Kysely, type RawBuilder } from "kysely";
import type { CounterCorrection } from "../db/counters.ts";
import type { DB } from "../db/schema.ts";
import { inTransaction } from "../db/transaction.ts";
import { localPostAuthors } from "../post/post.queries.ts";
import { acceptedFollowChanges } from "../social/follow-history.ts";
import { countedInteractions } from "../social/interaction.queries.ts";
import { acceptedFollowersByHost } from "../social/followers.repository.ts";
import { localQuarterOf, offsetSegments, quarterOf, type OffsetSegment } from "./insights.zone.ts";

/**
 * The rollups recounted from the ledger and the follow history (social's derived tables) in the
 * account's zone, set-based: `herold repair`, a change of an account's time zone, and the tests'
 * invariant "rollups == recount". The same figures the write path adds up one entry at a time.
 */

export const ROLLUP_TABLES = ["insights_days", "insights_hosts", "insights_followers", "insights_heat", "insights_posts"] as const;
export type RollupTable = (typeof ROLLUP_TABLES)[number];

const KEY_COLUMNS: Record<RollupTable, readonly string[]> = {
  insights_days: ["day"],
  insights_hosts: ["day", "host"],
  insights_followers: ["host"],
  insights_heat: ["hour_of_week"],
  insights_posts: ["post_id"],
};
const VALUE_COLUMNS: Record<RollupTable, readonly string[]> = {
  insights_days: ["likes", "boosts", "replies", "quotes", "reactions", "followers_gained", "followers_lost"],
  insights_hosts: ["interactions"],
  insights_followers: ["followers"],
  insights_heat: ["interactions"],
  insights_posts: ["likes", "boosts", "replies", "quotes", "reactions", "interactions"],
};

/** From 2000 (before any fediverse software) to two days ahead: every entry's offset is in one of these. */
export function segmentsFor(timeZone: string, nowMs: number): OffsetSegment[] {
  return offsetSegments(Date.UTC(2000, 0, 1), nowMs + 2 * 86_400_000, timeZone);
}

const KIND_CASES = sql.raw(
  [["like", "likes"], ["boost", "boosts"], ["reply", "replies"], ["quote", "quotes"], ["react", "reactions"]]
    .map(([kind, column]) => `CASE WHEN i.kind = '${kind}' THEN 1 ELSE 0 END AS ${column}`)
    .join(", "),
);

/** The true rows of each rollup table for one account (columns as in the table, `actor_id` included). */
export function truthOf(db: Kysely<DB>, actorId: string, segments: readonly OffsetSegment[]): Record<RollupTable, RawBuilder<Record<string, unknown>>> {
  const interactions = sql`SELECT i.post_id, p.published_at, act.domain AS host, ${quarterOf("i.created_at")} AS q, ${KIND_CASES}
    FROM (${countedInteractions(db)}) i
    JOIN (${localPostAuthors(db)}) p ON p.id = i.post_id
    JOIN actors act ON act.id = i.actor_id
    WHERE p.actor_id = ${actorId}`;
  const follows = sql`SELECT ${quarterOf("e.created_at")} AS q, e.gained, e.lost FROM (${acceptedFollowChanges(db)}) e WHERE e.followee_id = ${actorId}`;
  const local = localQuarterOf(sql`t.q`, segments);
  // MATERIALIZED: the quarter is computed once per entry; a flattened subquery would repeat its
  // arithmetic in every branch of the zone's offset CASE (minutes instead of seconds at 2,000,000 entries).
  const withInteractions = sql`WITH t AS MATERIALIZED (${interactions})`;
  return {
    insights_days: sql`WITH ti AS MATERIALIZED (${interactions}), tf AS MATERIALIZED (${follows})
      SELECT ${actorId} AS actor_id, day, sum(likes) AS likes, sum(boosts) AS boosts, sum(replies) AS replies, sum(quotes) AS quotes,
        sum(reactions) AS reactions, sum(gained) AS followers_gained, sum(lost) AS followers_lost
      FROM (
        SELECT ${localQuarterOf(sql`t.q`, segments)} / 96 AS day, t.likes, t.boosts, t.replies, t.quotes, t.reactions, 0 AS gained, 0 AS lost FROM ti t
        UNION ALL
        SELECT ${local} / 96, 0, 0, 0, 0, 0, t.gained, t.lost FROM tf t
      ) x GROUP BY day`,
    insights_hosts: sql`${withInteractions} SELECT ${actorId} AS actor_id, day, host, count(*) AS interactions
      FROM (SELECT ${local} / 96 AS day, t.host FROM t) x GROUP BY day, host`,
    insights_followers: sql`SELECT ${actorId} AS actor_id, f.host, f.followers FROM (${acceptedFollowersByHost(db, actorId)}) f`,
    insights_heat: sql`${withInteractions} SELECT ${actorId} AS actor_id, hour_of_week, count(*) AS interactions
      FROM (SELECT (${local} / 4 + 72) % 168 AS hour_of_week FROM t) x GROUP BY hour_of_week`,
    insights_posts: sql`${withInteractions} SELECT t.post_id, ${actorId} AS actor_id, t.published_at, sum(t.likes) AS likes, sum(t.boosts) AS boosts, sum(t.replies) AS replies,
        sum(t.quotes) AS quotes, sum(t.reactions) AS reactions, count(*) AS interactions
      FROM t GROUP BY t.post_id, t.published_at`,
  };
}

type Rows = Map<string, number[]>;

async function storedRows(db: Kysely<DB>, table: RollupTable, actorId: string): Promise<Rows> {
  const rows = await sql<Record<string, unknown>>`SELECT * FROM ${sql.table(table)} WHERE actor_id = ${actorId}`.execute(db);
  return keyed(table, rows.rows);
}

async function trueRows(db: Kysely<DB>, table: RollupTable, actorId: string, segments: readonly OffsetSegment[]): Promise<Rows> {
  const rows = await truthOf(db, actorId, segments)[table].execute(db);
  return keyed(table, rows.rows);
}

/** Rows by key, values as numbers; rows whose values are all zero (an entry counted and undone) are absent. */
function keyed(table: RollupTable, rows: readonly Record<string, unknown>[]): Rows {
  const out: Rows = new Map();
  for (const row of rows) {
    const values = VALUE_COLUMNS[table].map((c) => Number(row[c]));
    if (values.every((v) => v === 0)) continue;
    out.set(KEY_COLUMNS[table].map((c) => String(row[c])).join("|"), values);
  }
  return out;
}

/** Where the stored rollups of an account differ from a recount (empty when they agree): `key → [stored, true]`. */
export async function rollupDifferences(db: Kysely<DB>, actorId: string, timeZone: string, nowMs: number): Promise<Record<RollupTable, Array<[string, number[] | null, number[] | null]>>> {
  const segments = segmentsFor(timeZone, nowMs);
  const out = {} as Record<RollupTable, Array<[string, number[] | null, number[] | null]>>;
  for (const table of ROLLUP_TABLES) {
    const [stored, truth] = [await storedRows(db, table, actorId), await trueRows(db, table, actorId, segments)];
    out[table] = differences(stored, truth);
  }
  return out;
}

function differences(stored: Rows, truth: Rows): Array<[string, number[] | null, number[] | null]> {
  const out: Array<[string, number[] | null, number[] | null]> = [];
  for (const key of new Set([...stored.keys(), ...truth.keys()])) {
    const [a, b] = [stored.get(key) ?? null, truth.get(key) ?? null];
    if (JSON.stringify(a) !== JSON.stringify(b)) out.push([key, a, b]);
  }
  return out.sort((x, y) => x[0].localeCompare(y[0]));
}

/**
 * Replaces an account's rollups by a recount, in one transaction, and says per table what changed
 * (`from`/`to`: the sum of the table's values before and after). The rows are rewritten first (a
 * no-op UPDATE), so on PostgreSQL a concurrent interaction of an existing day waits for the recount.
 */
export async function recountAccount(db: Kysely<DB>, actorId: string, timeZone: string, nowMs: number): Promise<CounterCorrection[]> {
  const segments = segmentsFor(timeZone, nowMs);
  return await inTransaction(db, async (trx) => {
    const corrections: CounterCorrection[] = [];
    for (const table of ROLLUP_TABLES) {
      await sql`UPDATE ${sql.table(table)} SET actor_id = actor_id WHERE actor_id = ${actorId}`.execute(trx);
      const before = await storedRows(trx, table, actorId);
      await sql`DELETE FROM ${sql.table(table)} WHERE actor_id = ${actorId}`.execute(trx);
      const columns = sql.raw([...(table === "insights_posts" ? ["post_id", "actor_id", "published_at"] : ["actor_id", ...KEY_COLUMNS[table]]), ...VALUE_COLUMNS[table]].join(", "));
      await sql`INSERT INTO ${sql.table(table)} (${columns}) ${truthOf(trx, actorId, segments)[table]}`.execute(trx);
      const after = await storedRows(trx, table, actorId);
      if (differences(before, after).length > 0) corrections.push({ scope: actorId, name: table.replace("insights_", "insights."), from: total(before), to: total(after) });
    }
    return corrections;
  });
}

function total(rows: Rows): number {
  let n = 0;
  for (const values of rows.values()) for (const v of values) n += v;
  return n;
}
