import { sql, type Kysely, type RawBuilder } from "kysely";

/**
 * Issue #14: the insights rollups (owned by src/insights/, written in the transaction of every ledger
 * entry, undo and accepted-follow change) and each account's time zone, in which the rollups count
 * days and hours.
 *
 * - `insights_days`: per local account and local day (days since 1970-01-01 in the account's zone),
 *   interactions by kind (net of undos: an undo takes its entry back from the day it was counted in)
 *   and followers gained and lost (on the day they happened). A period is a range of its key.
 * - `insights_hosts`: per account, server and day, the interactions from that server (audience by
 *   server; keyed by server first, so a report sums one range per listed server).
 * - `insights_followers`: per account and server, its accepted followers there (audience by server,
 *   without grouping the follows of an account with 50,000 followers at every report).
 * - `insights_heat`: per account and hour of the week, interactions over its whole history (the heat map).
 * - `insights_posts`: per local post, interactions by kind; `accounts`/`servers`/`folded_at` hold the
 *   distinct interacting accounts and servers once the post's raw data ages out (HEROLD_ANALYTICS_RAW_DAYS).
 *
 * No row carries an actor's identity. Every account starts in UTC, so the backfill below counts UTC
 * days and hours from the ledger and the follow history; `herold account time-zone` recounts an
 * account in its new zone. The quarter-hour arithmetic is the one `src/insights/insights.zone.ts`
 * documents, inlined here because a migration must not change when the code does.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("accounts").addColumn("time_zone", "text", (c) => c.notNull().defaultTo("UTC")).execute();

  const counts = ["likes", "boosts", "replies", "quotes", "reactions"] as const;
  let days = db.schema
    .createTable("insights_days")
    .addColumn("actor_id", "text", (c) => c.notNull().references("actors.id").onDelete("cascade"))
    .addColumn("day", "integer", (c) => c.notNull());
  for (const column of [...counts, "followers_gained", "followers_lost"]) days = days.addColumn(column, "integer", (c) => c.notNull().defaultTo(0));
  await days.addPrimaryKeyConstraint("insights_days_pk", ["actor_id", "day"]).execute();

  await db.schema
    .createTable("insights_hosts")
    .addColumn("actor_id", "text", (c) => c.notNull().references("actors.id").onDelete("cascade"))
    .addColumn("day", "integer", (c) => c.notNull())
    .addColumn("host", "text", (c) => c.notNull())
    .addColumn("interactions", "integer", (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint("insights_hosts_pk", ["actor_id", "host", "day"])
    .execute();

  await db.schema
    .createTable("insights_followers")
    .addColumn("actor_id", "text", (c) => c.notNull().references("actors.id").onDelete("cascade"))
    .addColumn("host", "text", (c) => c.notNull())
    .addColumn("followers", "integer", (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint("insights_followers_pk", ["actor_id", "host"])
    .execute();

  await db.schema
    .createTable("insights_heat")
    .addColumn("actor_id", "text", (c) => c.notNull().references("actors.id").onDelete("cascade"))
    .addColumn("hour_of_week", "integer", (c) => c.notNull())
    .addColumn("interactions", "integer", (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint("insights_heat_pk", ["actor_id", "hour_of_week"])
    .execute();

  let posts = db.schema
    .createTable("insights_posts")
    .addColumn("post_id", "text", (c) => c.primaryKey().references("posts.id").onDelete("cascade"))
    .addColumn("actor_id", "text", (c) => c.notNull().references("actors.id").onDelete("cascade"))
    .addColumn("published_at", "text", (c) => c.notNull());
  for (const column of counts) posts = posts.addColumn(column, "integer", (c) => c.notNull().defaultTo(0));
  await posts
    .addColumn("interactions", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("accounts", "integer")
    .addColumn("servers", "integer")
    .addColumn("folded_at", "text")
    .execute();
  // A period's posts with the most interactions: the account's posts in that order, filtered by the period.
  await db.schema.createIndex("insights_posts_top").on("insights_posts").columns(["actor_id", "interactions", "published_at"]).execute();

  const q = (column: string) => quarterOf(column);
  const kindSums = sql.raw(counts.map((c) => `sum(${c})`).join(", "));
  const kindCases = (kind: string) =>
    sql.raw(
      (["like", "boost", "reply", "quote", "react"] as const).map((k, i) => `CASE WHEN ${kind} = '${k}' THEN 1 ELSE 0 END AS ${counts[i]}`).join(", "),
    );
  const counted = sql`i.undone_at IS NULL AND i.kind IN ('like', 'boost', 'reply', 'quote', 'react')`;

  await sql`INSERT INTO insights_days (actor_id, day, likes, boosts, replies, quotes, reactions, followers_gained, followers_lost)
    SELECT actor_id, day, ${kindSums}, sum(gained), sum(lost) FROM (
      SELECT p.actor_id AS actor_id, ${q("i.created_at")} / 96 AS day, ${kindCases("i.kind")}, 0 AS gained, 0 AS lost
      FROM interactions i JOIN posts p ON p.id = i.post_id JOIN accounts a ON a.actor_id = p.actor_id
      WHERE ${counted}
      UNION ALL
      SELECT e.followee_id, ${q("e.created_at")} / 96, 0, 0, 0, 0, 0,
        CASE WHEN e.kind = 'accepted' THEN 1 ELSE 0 END, CASE WHEN e.kind = 'ended' THEN 1 ELSE 0 END
      FROM follow_events e JOIN accounts a ON a.actor_id = e.followee_id
      WHERE e.kind = 'accepted' OR (e.kind = 'ended' AND e.was_accepted = 1)
    ) x GROUP BY actor_id, day`.execute(db);

  await sql`INSERT INTO insights_hosts (actor_id, day, host, interactions)
    SELECT p.actor_id, ${q("i.created_at")} / 96, act.domain, count(*)
    FROM interactions i JOIN posts p ON p.id = i.post_id JOIN accounts a ON a.actor_id = p.actor_id JOIN actors act ON act.id = i.actor_id
    WHERE ${counted}
    GROUP BY p.actor_id, ${q("i.created_at")} / 96, act.domain`.execute(db);

  await sql`INSERT INTO insights_followers (actor_id, host, followers)
    SELECT f.followee_id, act.domain, count(*)
    FROM follows f JOIN accounts a ON a.actor_id = f.followee_id JOIN actors act ON act.id = f.follower_id
    WHERE f.state = 'accepted'
    GROUP BY f.followee_id, act.domain`.execute(db);

  await sql`INSERT INTO insights_heat (actor_id, hour_of_week, interactions)
    SELECT p.actor_id, (${q("i.created_at")} / 4 + 72) % 168, count(*)
    FROM interactions i JOIN posts p ON p.id = i.post_id JOIN accounts a ON a.actor_id = p.actor_id
    WHERE ${counted}
    GROUP BY p.actor_id, (${q("i.created_at")} / 4 + 72) % 168`.execute(db);

  await sql`INSERT INTO insights_posts (post_id, actor_id, published_at, likes, boosts, replies, quotes, reactions, interactions)
    SELECT post_id, actor_id, published_at, ${kindSums}, count(*) FROM (
      SELECT p.id AS post_id, p.actor_id AS actor_id, coalesce(p.published_at, p.created_at) AS published_at, ${kindCases("i.kind")}
      FROM interactions i JOIN posts p ON p.id = i.post_id JOIN accounts a ON a.actor_id = p.actor_id
      WHERE ${counted}
    ) x GROUP BY post_id, actor_id, published_at`.execute(db);
}

/** Quarter hours since the epoch of an ISO-8601 UTC text column (see src/insights/insights.zone.ts). */
function quarterOf(column: string): RawBuilder<number> {
  const c = sql.ref(column);
  const m = sql`CAST(substr(${c}, 6, 2) AS INTEGER)`;
  const y = sql`(CAST(substr(${c}, 1, 4) AS INTEGER) - CASE WHEN ${m} <= 2 THEN 1 ELSE 0 END)`;
  const era = sql`(${y} / 400)`;
  const yoe = sql`(${y} - ${era} * 400)`;
  const doy = sql`((153 * (CASE WHEN ${m} > 2 THEN ${m} - 3 ELSE ${m} + 9 END) + 2) / 5 + CAST(substr(${c}, 9, 2) AS INTEGER) - 1)`;
  const days = sql`(${era} * 146097 + ${yoe} * 365 + ${yoe} / 4 - ${yoe} / 100 + ${doy} - 719468)`;
  return sql<number>`(${days} * 96 + CAST(substr(${c}, 12, 2) AS INTEGER) * 4 + CAST(substr(${c}, 15, 2) AS INTEGER) / 15)`;
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ["insights_posts", "insights_heat", "insights_followers", "insights_hosts", "insights_days"]) await db.schema.dropTable(table).ifExists().execute();
  await db.schema.alterTable("accounts").dropColumn("time_zone").execute();
}
