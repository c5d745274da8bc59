import type { Kysely } from "kysely";
import type { DB } from "../db/schema.ts";
import { toCount } from "../db/rows.ts";
import { tagsOfPosts } from "../post/post.queries.ts";
import { KIND_COLUMNS, type KindColumn } from "./insights.rollups.ts";

export type KindCounts = Record<KindColumn, number>;

export interface DayRollup extends KindCounts {
  readonly day: number;
  readonly followersGained: number;
  readonly followersLost: number;
}

export interface PostRollup extends KindCounts {
  readonly postId: string;
  readonly publishedAt: string;
  readonly interactions: number;
  /** Distinct accounts and servers, once folded (HEROLD_ANALYTICS_RAW_DAYS); null while the ledger answers. */
  readonly accounts: number | null;
  readonly servers: number | null;
}

/** Reads of the insights module's own rollup tables (written by insights.rollups.ts and insights.recount.ts). */
export class InsightsRepository {
  readonly #db: Kysely<DB>;

  constructor(db: Kysely<DB>) {
    this.#db = db;
  }

  /** Day rows of an account with `fromDay <= day <= toDay` (a range of the primary key). */
  async days(actorId: string, fromDay: number, toDay: number): Promise<DayRollup[]> {
    const rows = await this.#db.selectFrom("insights_days").selectAll().where("actor_id", "=", actorId).where("day", ">=", fromDay).where("day", "<=", toDay).execute();
    return rows.map((r) => ({
      day: Number(r.day),
      likes: Number(r.likes),
      boosts: Number(r.boosts),
      replies: Number(r.replies),
      quotes: Number(r.quotes),
      reactions: Number(r.reactions),
      followersGained: Number(r.followers_gained),
      followersLost: Number(r.followers_lost),
    }));
  }

  /** Followers gained minus lost on days after `day` (to walk back from today's follower count). */
  async netFollowersAfter(actorId: string, day: number): Promise<number> {
    const row = await this.#db
      .selectFrom("insights_days")
      .select((eb) => [eb.fn.sum<string | number>("followers_gained").as("g"), eb.fn.sum<string | number>("followers_lost").as("l")])
      .where("actor_id", "=", actorId)
      .where("day", ">", day)
      .executeTakeFirst();
    return toCount(row?.g ?? 0) - toCount(row?.l ?? 0);
  }

  /**
   * Interactions per server over a range of days: of these servers (one range of the key each), or
   * of every server (the account's whole table is read: for accounts with few servers).
   */
  async hosts(actorId: string, fromDay: number, toDay: number, hosts?: readonly string[]): Promise<Map<string, number>> {
    if (hosts !== undefined && hosts.length === 0) return new Map();
    let query = this.#db
      .selectFrom("insights_hosts")
      .select(["host", (eb) => eb.fn.sum<string | number>("interactions").as("n")])
      .where("actor_id", "=", actorId)
      .where("day", ">=", fromDay)
      .where("day", "<=", toDay);
    if (hosts !== undefined) query = query.where("host", "in", [...hosts]);
    const rows = await query.groupBy("host").execute();
    return new Map(rows.map((r) => [r.host, toCount(r.n)]).filter(([, n]) => n !== 0) as [string, number][]);
  }

  /** Accepted followers per server, most first (at most `limit` servers). */
  async followersByHost(actorId: string, limit?: number): Promise<Array<{ host: string; followers: number }>> {
    let query = this.#db
      .selectFrom("insights_followers")
      .select(["host", "followers"])
      .where("actor_id", "=", actorId)
      .where("followers", ">", 0)
      .orderBy("followers", "desc")
      .orderBy("host");
    if (limit !== undefined) query = query.limit(limit);
    return (await query.execute()).map((r) => ({ host: r.host, followers: Number(r.followers) }));
  }

  /** Interactions per hour of the week (0 = Monday 00:00), whole history. */
  async heat(actorId: string): Promise<Map<number, number>> {
    const rows = await this.#db.selectFrom("insights_heat").select(["hour_of_week", "interactions"]).where("actor_id", "=", actorId).execute();
    return new Map(rows.map((r) => [Number(r.hour_of_week), Number(r.interactions)]));
  }

  async posts(postIds: readonly string[]): Promise<Map<string, PostRollup>> {
    if (postIds.length === 0) return new Map();
    const rows = await this.#db.selectFrom("insights_posts").selectAll().where("post_id", "in", [...postIds]).execute();
    return new Map(rows.map((r) => [r.post_id, postOf(r)]));
  }

  /** Posts of the account published in [from, to) with interactions, most first. */
  async topPosts(actorId: string, from: string, to: string, limit: number): Promise<PostRollup[]> {
    const rows = await this.#db
      .selectFrom("insights_posts")
      .selectAll()
      .where("actor_id", "=", actorId)
      .where("published_at", ">=", from)
      .where("published_at", "<", to)
      .where("interactions", ">", 0)
      .orderBy("interactions", "desc")
      .orderBy("published_at", "desc")
      .limit(limit)
      .execute();
    return rows.map(postOf);
  }

  /** Hashtags of these posts: how many of them carry each, and their interactions, most first. */
  async hashtags(postIds: readonly string[], limit: number): Promise<Array<{ tag: string; posts: number; interactions: number }>> {
    if (postIds.length === 0) return [];
    const rows = await this.#db
      .selectFrom(tagsOfPosts(this.#db, postIds).as("t"))
      .innerJoin("insights_posts as ip", "ip.post_id", "t.post_id")
      .select((eb) => ["t.tag", eb.fn.count("t.post_id").distinct().as("posts"), eb.fn.sum<string | number>("ip.interactions").as("interactions")])
      .groupBy("t.tag")
      .orderBy("interactions", "desc")
      .orderBy("t.tag")
      .limit(limit)
      .execute();
    return rows.map((r) => ({ tag: r.tag, posts: toCount(r.posts), interactions: toCount(r.interactions) }));
  }

  /** Posts of the account published before `before` whose distinct accounts/servers are not folded yet. */
  async unfolded(before: string, limit: number): Promise<string[]> {
    const rows = await this.#db.selectFrom("insights_posts").select("post_id").where("folded_at", "is", null).where("published_at", "<", before).orderBy("published_at").limit(limit).execute();
    return rows.map((r) => r.post_id);
  }

  async fold(figures: ReadonlyMap<string, { accounts: number; servers: number }>, postIds: readonly string[], now: string): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      for (const id of postIds) {
        const f = figures.get(id) ?? { accounts: 0, servers: 0 };
        await trx.updateTable("insights_posts").set({ accounts: f.accounts, servers: f.servers, folded_at: now }).where("post_id", "=", id).execute();
      }
    });
  }
}

function postOf(r: { post_id: string; published_at: string; interactions: number; accounts: number | null; servers: number | null } & Record<KindColumn, number>): PostRollup {
  const counts = Object.fromEntries(KIND_COLUMNS.map((c) => [c, Number(r[c])])) as KindCounts;
  return { postId: r.post_id, publishedAt: r.published_at, ...counts, interactions: Number(r.interactions), accounts: r.accounts === null ? null : Number(r.accounts), servers: r.servers === null ? null : Number(r.servers) };
}
