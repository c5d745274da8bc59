import type { AccountRepository } from "../account/account.repository.ts";
import type { Account } from "../account/account.entity.ts";
import type { ActorRepository } from "../actor/actor.repository.ts";
import type { CounterCorrection } from "../db/counters.ts";
import type { Kysely } from "kysely";
import type { DB } from "../db/schema.ts";
import { err, ok, type Result } from "../lib/result.ts";
import type { Clock } from "../lib/time.ts";
import type { PostSummaries, PostSummary } from "../post/post.queries.ts";
import type { FollowersRepository } from "../social/followers.repository.ts";
import type { InteractionService } from "../social/interaction.service.ts";
import type { DeliveryReach, InsightsError, InsightsPeriod, InsightsQueries, PageViewCounts, ReachFigures, ServerSoftware } from "./insights.ports.ts";
import { resolvePeriod, type ResolvedPeriod } from "./insights.period.ts";
import { recountAccount } from "./insights.recount.ts";
import type { DayRollup, InsightsRepository, PostRollup } from "./insights.repository.ts";
import type { DayTotals, InsightsReport, PeriodTotals, PostFigures, PostInsights, RankedPost, ServerFigures } from "./insights.report.ts";
import { KIND_COLUMNS } from "./insights.rollups.ts";
import { dateOfDay, isTimeZone, localDayFunction, localDayOf, startOfLocalDay } from "./insights.zone.ts";

/** Posts listed in a report (newest first): enough for any real period's posts, bounded for the biggest accounts. */
export const REPORT_POSTS = 100;
const TOP_POSTS = 10;
/** The period's posts with most interactions from which the top lists and the hashtags are taken (all of a smaller account's). */
export const RANKED_CANDIDATES = 500;
const HASHTAGS = 20;
const BEST_HOURS = 5;
/**
 * Servers listed: the account's follower servers with the most followers. An account with fewer
 * has every server listed, those whose accounts interacted without following included.
 */
export const REPORT_SERVERS = 100;
/** Entries read for a post's page (its curve and who interacted). */
const POST_PAGE_ENTRIES = 5_000;

export interface InsightsServiceDeps {
  readonly db: Kysely<DB>;
  readonly accounts: AccountRepository;
  readonly actors: Pick<ActorRepository, "findManyByIds">;
  readonly rollups: InsightsRepository;
  readonly posts: PostSummaries;
  readonly interactions: Pick<InteractionService, "interactorCounts" | "countedOn">;
  readonly followers: Pick<FollowersRepository, "counts">;
  readonly reach: DeliveryReach;
  readonly pageViews: PageViewCounts;
  readonly software: ServerSoftware;
  readonly clock: Clock;
}

const ZERO_TOTALS: PeriodTotals = {
  likes: 0, boosts: 0, replies: 0, quotes: 0, reactions: 0, interactions: 0,
  followersGained: 0, followersLost: 0, followersNet: 0, followers: 0, pageViews: 0,
};

/**
 * Insights of a local account, from the rollups (never a scan of the ledger for a period): totals
 * beside the previous period, days, posts, servers and software, top posts, hashtags, the heat map.
 * Days are the account's local days; per-post distinct accounts and servers come from the ledger's
 * post index for the few posts a report lists.
 */
export class InsightsService implements InsightsQueries {
  readonly #d: InsightsServiceDeps;

  constructor(deps: InsightsServiceDeps) {
    this.#d = deps;
  }

  async report(accountId: string, period: InsightsPeriod): Promise<Result<InsightsReport, InsightsError>> {
    const account = await this.#d.accounts.findById(accountId);
    if (account === null) return err("unknown-account", `no local account ${JSON.stringify(accountId)}`);
    const timeZone = (await this.#d.accounts.timeZone(accountId)) ?? "UTC";
    const now = this.#d.clock.now().getTime();
    const resolved = resolvePeriod(period, now, timeZone);
    if (!resolved.ok) return resolved;
    return ok(await this.#report(account, timeZone, resolved.value));
  }

  /** A post's figures as `herold stats --post` prints them: `ref` is its id, URI or URL; the post must be the account's. */
  async postFigures(accountId: string, ref: string): Promise<Result<PostFigures, InsightsError>> {
    const account = await this.#d.accounts.findById(accountId);
    if (account === null) return err("unknown-account", `no local account ${JSON.stringify(accountId)}`);
    const found = await this.#d.posts.findByUriOrId(ref);
    const summary = found === null ? undefined : (await this.#d.posts.byIds(account.actorId, [found.id])).get(found.id);
    if (summary === undefined) return err("unknown-post", `no published post ${ref} of ${account.username}`);
    const [figures] = await this.#figures([summary]);
    return ok(figures!);
  }

  async post(accountId: string, postId: string): Promise<Result<PostInsights, InsightsError>> {
    const account = await this.#d.accounts.findById(accountId);
    if (account === null) return err("unknown-account", `no local account ${JSON.stringify(accountId)}`);
    const summary = (await this.#d.posts.byIds(account.actorId, [postId])).get(postId);
    if (summary === undefined) return err("unknown-post", `no published post ${JSON.stringify(postId)} of ${account.username}`);
    const timeZone = (await this.#d.accounts.timeZone(accountId)) ?? "UTC";
    const [figures] = await this.#figures([summary]);
    const followersAtPublish = await this.#followersAt(account.actorId, timeZone, Date.parse(summary.publishedAt));
    const entries = await this.#d.interactions.countedOn(postId, POST_PAGE_ENTRIES);
    const published = Date.parse(summary.publishedAt);
    const hourly = new Array<number>(168).fill(0);
    for (const e of entries) {
      const hour = Math.floor((Date.parse(e.createdAt) - published) / 3_600_000);
      if (hour >= 0 && hour < 168) hourly[hour]! += 1;
    }
    const within = (hours: number) => hourly.slice(0, hours).reduce((a, b) => a + b, 0);
    const byActor = new Map<string, Set<(typeof KIND_NAMES)[keyof typeof KIND_NAMES]>>();
    for (const e of entries) {
      const kind = KIND_NAMES[e.kind as keyof typeof KIND_NAMES];
      if (kind === undefined) continue;
      const kinds = byActor.get(e.actorId) ?? new Set();
      kinds.add(kind);
      byActor.set(e.actorId, kinds);
    }
    const actors = await this.#d.actors.findManyByIds([...byActor.keys()]);
    const reach = (await this.#d.reach.reachOf([postId])).get(postId);
    const followersByHost = new Map((await this.#d.rollups.followersByHost(account.actorId)).map((h) => [h.host, h.followers]));
    return ok({
      post: ranked(figures!, summary, followersAtPublish),
      timeZone,
      curve: { firstHour: within(1), firstDay: within(24), firstWeek: within(168) },
      hourly,
      accounts: [...byActor.entries()].flatMap(([actorId, kinds]) => {
        const actor = actors.get(actorId);
        if (actor === undefined) return [];
        return [{ uri: actor.uri, handle: actor.handle, name: actor.name, profileUrl: actor.url ?? actor.uri, kinds: KIND_ORDER.filter((k) => kinds.has(k)) }];
      }),
      followersReached: (reach?.deliveredHosts ?? []).reduce((n, host) => n + (followersByHost.get(host) ?? 0), 0),
    });
  }

  /**
   * Sets an account's time zone and recounts its rollups in that zone, in one transaction: the
   * rollups count local days, so they must move with the zone.
   */
  async setTimeZone(accountId: string, timeZone: string): Promise<Result<CounterCorrection[], "unknown-account" | "bad-time-zone">> {
    if (!isTimeZone(timeZone)) return err("bad-time-zone", `not a time zone: ${JSON.stringify(timeZone)} (an IANA name such as Europe/Berlin)`);
    const account = await this.#d.accounts.findById(accountId);
    if (account === null) return err("unknown-account", `no local account ${JSON.stringify(accountId)}`);
    const now = this.#d.clock.now().getTime();
    return ok(
      await this.#d.db.transaction().execute(async (trx) => {
        await this.#d.accounts.setTimeZone(accountId, timeZone, trx);
        return await recountAccount(trx, account.actorId, timeZone, now);
      }),
    );
  }

  /** `herold repair`: every local account's rollups recounted from the ledger and the follow history. */
  async repair(): Promise<CounterCorrection[]> {
    const out: CounterCorrection[] = [];
    const now = this.#d.clock.now().getTime();
    for (const account of await this.#d.accounts.list()) {
      const zone = (await this.#d.accounts.timeZone(account.id)) ?? "UTC";
      out.push(...(await recountAccount(this.#d.db, account.actorId, zone, now)));
    }
    return out;
  }

  async #report(account: Account, timeZone: string, p: ResolvedPeriod): Promise<InsightsReport> {
    const actorId = account.actorId;
    const fromIso = new Date(startOfLocalDay(p.fromDay, timeZone)).toISOString();
    const toIso = new Date(startOfLocalDay(p.toDay + 1, timeZone)).toISOString();
    const [rows, netAfter, current, views] = await Promise.all([
      this.#d.rollups.days(actorId, p.previousFromDay, p.toDay),
      this.#d.rollups.netFollowersAfter(actorId, p.toDay),
      this.#d.followers.counts(actorId),
      this.#d.pageViews.viewsByDay(account.id, dateOfDay(p.previousFromDay), dateOfDay(p.toDay), timeZone),
    ]);
    const byDay = new Map(rows.map((r) => [r.day, r]));
    // Followers at the end of each day, walking back from today's count.
    const followersAtEnd = new Map<number, number>();
    let followers = current.followers - netAfter;
    for (let day = p.toDay; day >= p.previousFromDay - 1; day--) {
      followersAtEnd.set(day, followers);
      const r = byDay.get(day);
      if (r !== undefined) followers -= r.followersGained - r.followersLost;
    }
    const dayTotals = (day: number): DayTotals => {
      const r = byDay.get(day);
      const date = dateOfDay(day);
      return { date, ...totalsOf(r === undefined ? [] : [r], followersAtEnd.get(day) ?? 0, views.get(date)?.views ?? 0) };
    };
    const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
    const days = range(p.fromDay, p.toDay).map(dayTotals);
    const previousDays = range(p.previousFromDay, p.previousToDay).map(dayTotals);
    const totals = sumDays(days, followersAtEnd.get(p.toDay) ?? 0);
    const previous = sumDays(previousDays, followersAtEnd.get(p.previousToDay) ?? 0);
    const followersAtStart = followersAtEnd.get(p.fromDay - 1) ?? 0;
    const followersAtPreviousStart = followersAtEnd.get(p.previousFromDay - 1) ?? 0;
    const crawlerViews = range(p.fromDay, p.toDay).reduce((n, day) => n + (views.get(dateOfDay(day))?.crawlerViews ?? 0), 0);

    const listed = await this.#d.posts.publishedBetween(actorId, fromIso, toIso, REPORT_POSTS);
    const dayOf = localDayFunction(timeZone, Date.parse(fromIso), Date.parse(toIso));
    // The period's posts with the most interactions: the top lists and the hashtags are taken from
    // them. A post's engagement rate is its interactions over its followers at the start of the day
    // it was published, which vary within a period far less than interactions do. Deleted posts keep
    // their rollups and are left out when their summaries are read. Each post's figures are read once.
    const candidates = await this.#d.rollups.topPosts(actorId, fromIso, toIso, RANKED_CANDIDATES);
    const rateOf = (c: { interactions: number; publishedAt: string }) => rate(c.interactions, followersBefore(followersAtEnd, c.publishedAt, dayOf));
    const byInteractions = candidates.slice(0, TOP_POSTS * 2).map((c) => c.postId);
    const byEngagement = [...candidates].sort((a, b) => rateOf(b) - rateOf(a) || b.interactions - a.interactions).slice(0, TOP_POSTS * 2).map((c) => c.postId);
    const [rankedSummaries, servers, hashtags, heat] = await Promise.all([
      this.#d.posts.byIds(actorId, [...new Set([...byInteractions, ...byEngagement])]),
      this.#servers(actorId, p),
      this.#d.rollups.hashtags(candidates.map((c) => c.postId), HASHTAGS),
      this.#d.rollups.heat(actorId),
    ]);
    const shown = new Map(listed.map((s) => [s.id, s]));
    for (const s of rankedSummaries.values()) shown.set(s.id, s);
    const all = [...shown.values()];
    const computed = await this.#figures(all);
    const figuresOfId = new Map(all.map((s, i) => [s.id, computed[i]!]));
    const posts = listed.map((s) => figuresOfId.get(s.id)!);
    const rankedOf = (ids: readonly string[]) =>
      ids.flatMap((id) => {
        const s = rankedSummaries.get(id);
        return s === undefined ? [] : [ranked(figuresOfId.get(id)!, s, followersBefore(followersAtEnd, s.publishedAt, dayOf))];
      }).slice(0, TOP_POSTS);
    const top = rankedOf(byInteractions);
    const engagement = rankedOf(byEngagement).sort((a, b) => b.engagementRate - a.engagementRate || b.interactions - a.interactions);
    const heatMap = Array.from({ length: 7 }, (_, weekday) => Array.from({ length: 24 }, (_, hour) => heat.get(weekday * 24 + hour) ?? 0));
    const bestHours = heatMap
      .flatMap((row, weekday) => row.map((interactions, hour) => ({ weekday, hour, interactions })))
      .filter((c) => c.interactions > 0)
      .sort((a, b) => b.interactions - a.interactions || a.weekday - b.weekday || a.hour - b.hour)
      .slice(0, BEST_HOURS);
    const bySoftware = new Map<string | null, { servers: number; followers: number; interactions: number }>();
    for (const s of servers) {
      const entry = bySoftware.get(s.software) ?? { servers: 0, followers: 0, interactions: 0 };
      bySoftware.set(s.software, { servers: entry.servers + 1, followers: entry.followers + s.followers, interactions: entry.interactions + s.interactions });
    }
    return {
      account: account.username,
      from: dateOfDay(p.fromDay),
      to: dateOfDay(p.toDay),
      totals,
      previous,
      days,
      posts,
      servers,
      timeZone,
      engagementRate: rate(totals.interactions, followersAtStart),
      previousEngagementRate: rate(previous.interactions, followersAtPreviousStart),
      churn: rate(totals.followersLost, followersAtStart),
      topByInteractions: top,
      topByEngagement: engagement,
      hashtags,
      software: [...bySoftware.entries()].map(([software, v]) => ({ software, ...v })).sort((a, b) => b.followers - a.followers || b.interactions - a.interactions),
      heatMap,
      bestHours,
      crawlerViews,
    };
  }

  async #figures(summaries: readonly PostSummary[]): Promise<PostFigures[]> {
    const ids = summaries.map((s) => s.id);
    const [rollups, reach] = await Promise.all([this.#d.rollups.posts(ids), this.#d.reach.reachOf(ids)]);
    // Distinct accounts and servers come from the ledger until a post's raw data is folded.
    const unfolded = ids.filter((id) => rollups.get(id)?.accounts == null);
    const distinct = await this.#d.interactions.interactorCounts(unfolded);
    return summaries.map((s) => figuresOf(s, rollups.get(s.id), distinct.get(s.id), reach.get(s.id)));
  }

  async #servers(actorId: string, p: ResolvedPeriod): Promise<ServerFigures[]> {
    const listed = await this.#d.rollups.followersByHost(actorId, REPORT_SERVERS);
    const many = listed.length >= REPORT_SERVERS;
    const interactions = await this.#d.rollups.hosts(actorId, p.fromDay, p.toDay, many ? listed.map((h) => h.host) : undefined);
    const hosts = new Map<string, { followers: number; interactions: number }>();
    for (const h of listed) hosts.set(h.host, { followers: h.followers, interactions: 0 });
    for (const [host, n] of interactions) hosts.set(host, { followers: hosts.get(host)?.followers ?? 0, interactions: n });
    const software = await this.#d.software.softwareOf([...hosts.keys()]);
    const unknown = [...hosts.keys()].filter((h) => !software.has(h));
    // Durably queued by the owner of the cache, at most once a day per server.
    if (unknown.length > 0) await this.#d.software.refresh(unknown);
    return [...hosts.entries()]
      .map(([host, v]) => ({ host, software: software.get(host) ?? null, followers: v.followers, interactions: v.interactions }))
      .sort((a, b) => b.followers - a.followers || b.interactions - a.interactions || a.host.localeCompare(b.host));
  }

  /** Followers at the start of the local day of `ms` (for a post outside the report's days). */
  async #followersAt(actorId: string, timeZone: string, ms: number): Promise<number> {
    const day = localDayOf(ms, timeZone);
    const [current, netAfter] = await Promise.all([this.#d.followers.counts(actorId), this.#d.rollups.netFollowersAfter(actorId, day - 1)]);
    return current.followers - netAfter;
  }
}

const KIND_NAMES = { like: "like", boost: "boost", reply: "reply", quote: "quote", react: "reaction" } as const;
const KIND_ORDER = ["like", "boost", "reply", "quote", "reaction"] as const;

/** Followers at the start of the local day a post was published (the end of the day before). */
function followersBefore(followersAtEnd: ReadonlyMap<number, number>, publishedAt: string, dayOf: (ms: number) => number): number {
  return followersAtEnd.get(dayOf(Date.parse(publishedAt)) - 1) ?? 0;
}

function rate(n: number, of: number): number {
  return of > 0 ? n / of : 0;
}

function totalsOf(rows: readonly DayRollup[], followers: number, pageViews: number): PeriodTotals {
  const t = { ...ZERO_TOTALS } as { -readonly [K in keyof PeriodTotals]: number };
  for (const r of rows) {
    for (const c of KIND_COLUMNS) t[c] += r[c];
    t.followersGained += r.followersGained;
    t.followersLost += r.followersLost;
  }
  t.interactions = t.likes + t.boosts + t.replies + t.quotes + t.reactions;
  t.followersNet = t.followersGained - t.followersLost;
  t.followers = followers;
  t.pageViews = pageViews;
  return t;
}

function sumDays(days: readonly DayTotals[], followersAtEnd: number): PeriodTotals {
  const t = { ...ZERO_TOTALS } as { -readonly [K in keyof PeriodTotals]: number };
  for (const d of days) {
    for (const key of ["likes", "boosts", "replies", "quotes", "reactions", "interactions", "followersGained", "followersLost", "followersNet", "pageViews"] as const) t[key] += d[key];
  }
  t.followers = followersAtEnd;
  return t;
}

function figuresOf(s: PostSummary, rollup: PostRollup | undefined, distinct: { accounts: number; servers: number } | undefined, reach: ReachFigures | undefined): PostFigures {
  return {
    uri: s.uri,
    publishedAt: s.publishedAt,
    likes: rollup?.likes ?? 0,
    boosts: rollup?.boosts ?? 0,
    replies: rollup?.replies ?? 0,
    quotes: rollup?.quotes ?? 0,
    reactions: rollup?.reactions ?? 0,
    interactions: rollup?.interactions ?? 0,
    accounts: rollup?.accounts ?? distinct?.accounts ?? 0,
    servers: rollup?.servers ?? distinct?.servers ?? 0,
    deliveredServers: reach?.deliveredServers ?? 0,
    failedServers: reach?.failedServers ?? 0,
    pendingServers: reach?.pendingServers ?? 0,
  };
}

function ranked(f: PostFigures, s: PostSummary, followersAtPublish: number): RankedPost {
  const excerpt = s.text.length > 100 ? `${s.text.slice(0, 99)}…` : s.text;
  return { ...f, excerpt, insightsPath: `/app/insights/posts/${s.id}`, followersAtPublish, engagementRate: rate(f.interactions, followersAtPublish) };
}
