import type { InsightsError, InsightsPeriod, InsightsQueries } from "../../insights/insights.ports.ts";
import type { DayTotals, InsightsReport, PeriodTotals, PostFigures, PostInsights, RankedPost } from "../../insights/insights.report.ts";
import { err, ok, type Result } from "../../lib/result.ts";
import { addDays, dayNumber } from "../insights.period.ts";

/**
 * Test support: an `InsightsQueries` that answers from figures computed here, deterministically, for
 * the web app's route, markup and browser tests (the real implementation is the insights module's).
 * Its numbers are consistent the way the real ones must be (totals are the sums of the days,
 * interactions the sum of the kinds, followers the running total), so pages can be checked against
 * them. It records every call, so tests see which account and period a route asked for.
 */
export interface FakeInsightsOptions {
  /** The username of an account it knows, null for others ("unknown-account"). */
  readonly usernameOf: (accountId: string) => Promise<string | null>;
  /** Where post URIs point (the instance's origin). */
  readonly origin: string;
  /** "Today" in the account's zone: the last day of a `days` period. */
  readonly today?: string;
  readonly timeZone?: string;
  /** Report an account with nothing at all (every figure 0, no posts). */
  readonly empty?: boolean;
}

export const FAKE_POST_ID = "01fakepost000000000000001";
export const FOLLOWERS_REACHED = 11_180;
const START_FOLLOWERS = 12_000;

export class FakeInsights implements InsightsQueries {
  readonly calls: { method: "report" | "post"; accountId: string; period?: InsightsPeriod; postId?: string }[] = [];
  /** When set, every call fails with it (to test how the routes map each error). */
  failWith: InsightsError | null = null;
  readonly #options: Required<FakeInsightsOptions>;

  constructor(options: FakeInsightsOptions) {
    this.#options = { today: "2026-12-07", timeZone: "Europe/Berlin", empty: false, ...options };
  }

  async report(accountId: string, period: InsightsPeriod): Promise<Result<InsightsReport, InsightsError>> {
    this.calls.push({ method: "report", accountId, period });
    const known = await this.#check(accountId);
    if (!known.ok) return known;
    const { from, to } = period.kind === "days" ? { from: addDays(this.#options.today, 1 - period.days), to: this.#options.today } : period;
    const start = dayNumber(from);
    const end = dayNumber(to);
    if (start === null || end === null || end < start) return err("bad-period", "from must not be after to");
    return ok(this.#report(known.value, from, end - start + 1));
  }

  async post(accountId: string, postId: string): Promise<Result<PostInsights, InsightsError>> {
    this.calls.push({ method: "post", accountId, postId });
    const known = await this.#check(accountId);
    if (!known.ok) return known;
    if (postId !== FAKE_POST_ID || this.#options.empty) return err("unknown-post", "There is no such post of this account.");
    const post = this.#ranked(this.#posts(addDays(this.#options.today, -29), 30)[0]!, 0);
    const hourly = spread(post.interactions);
    const sum = (n: number) => hourly.slice(0, n).reduce((a, b) => a + b, 0);
    return ok({
      post,
      timeZone: this.#options.timeZone,
      curve: { firstHour: sum(1), firstDay: sum(24), firstWeek: sum(168) },
      hourly,
      accounts: [
        { uri: "https://mastodon.example/users/ann", handle: "ann@mastodon.example", name: "Ann <Analyst>", profileUrl: "https://mastodon.example/@ann", kinds: ["like", "boost"] },
        { uri: "https://misskey.example/users/9abc", handle: "kai@misskey.example", name: null, profileUrl: null, kinds: ["like"] },
        { uri: "https://bad.example/users/x", handle: "x@bad.example", name: "X", profileUrl: "javascript:alert(1)", kinds: ["reply"] },
      ],
      followersReached: FOLLOWERS_REACHED,
    });
  }

  async #check(accountId: string): Promise<Result<string, InsightsError>> {
    if (this.failWith !== null) return err(this.failWith, `failing with ${this.failWith} as the test asked`);
    const username = await this.#options.usernameOf(accountId);
    return username === null ? err("unknown-account", "There is no such account.") : ok(username);
  }

  #report(username: string, from: string, length: number): InsightsReport {
    const empty = this.#options.empty;
    const day = (offset: number): DayTotals => {
      const date = addDays(from, offset);
      const n = dayNumber(date)!;
      const wave = empty ? 0 : 1 + ((n * 7919) % 13);
      const likes = wave * 3;
      const boosts = wave;
      const replies = Math.floor(wave / 2);
      const quotes = n % 5 === 0 && !empty ? 1 : 0;
      const reactions = Math.floor(wave / 3);
      const gained = empty ? 0 : 2 + (n % 4);
      const lost = empty ? 0 : n % 3;
      return {
        date, likes, boosts, replies, quotes, reactions, interactions: likes + boosts + replies + quotes + reactions,
        followersGained: gained, followersLost: lost, followersNet: gained - lost,
        followers: 0, pageViews: empty ? 0 : 40 + wave * 5,
      };
    };
    // Followers are a running total: each day's total is the previous one plus its net.
    const raw = Array.from({ length }, (_, i) => day(i));
    let running = empty ? 0 : START_FOLLOWERS;
    const days = raw.map((d) => ({ ...d, followers: (running += d.followersNet) }));
    const previousDays = Array.from({ length }, (_, i) => day(i - length));
    const totals = sumOf(days, running);
    // The previous period ends where this one starts.
    const previous = { ...sumOf(previousDays, 0), followers: empty ? 0 : START_FOLLOWERS };
    const posts = empty ? [] : this.#posts(from, length);
    const ranked = posts.map((p, i) => this.#ranked(p, i));
    const startFollowers = empty ? 0 : START_FOLLOWERS;
    const heatMap = Array.from({ length: 7 }, (_, d) => Array.from({ length: 24 }, (_, h) => (empty ? 0 : Math.max(0, 12 - Math.abs(h - 18)) * (d < 5 ? 2 : 1) + ((d + h) % 3))));
    const hours = heatMap.flatMap((row, weekday) => row.map((interactions, hour) => ({ weekday, hour, interactions })));
    const servers = empty ? [] : [
      { host: "mastodon.example", software: "mastodon", followers: 8_400, interactions: Math.floor(totals.interactions * 0.6) },
      { host: "misskey.example", software: "misskey", followers: 2_400, interactions: Math.floor(totals.interactions * 0.25) },
      { host: "=HYPERLINK(\"x\")", software: null, followers: 1, interactions: 0 },
    ];
    return {
      account: username, from, to: addDays(from, length - 1), totals, previous, days, posts, servers,
      timeZone: this.#options.timeZone,
      engagementRate: startFollowers === 0 ? 0 : totals.interactions / startFollowers,
      previousEngagementRate: empty ? 0 : previous.interactions / START_FOLLOWERS,
      churn: startFollowers === 0 ? 0 : totals.followersLost / startFollowers,
      topByInteractions: [...ranked].sort((a, b) => b.interactions - a.interactions).slice(0, 10),
      topByEngagement: [...ranked].sort((a, b) => b.engagementRate - a.engagementRate).slice(0, 10),
      hashtags: empty ? [] : [{ tag: "rockets", posts: 4, interactions: 120 }, { tag: "launch", posts: 2, interactions: 75 }],
      software: empty ? [] : [
        { software: "mastodon", servers: 1, followers: 8_400, interactions: servers[0]!.interactions },
        { software: "misskey", servers: 1, followers: 2_400, interactions: servers[1]!.interactions },
        { software: null, servers: 1, followers: 1, interactions: 0 },
      ],
      heatMap,
      bestHours: hours.sort((a, b) => b.interactions - a.interactions || a.weekday - b.weekday || a.hour - b.hour).slice(0, empty ? 0 : 5),
      crawlerViews: empty ? 0 : 17,
    };
  }

  /** One post every third day of the period, the first with id FAKE_POST_ID. */
  #posts(from: string, length: number): PostFigures[] {
    return Array.from({ length: Math.ceil(length / 3) }, (_, i) => {
      // The first is the launch post: the period's best by far.
      const likes = i === 0 ? 142 : 20 + ((i * 37) % 50);
      const boosts = i === 0 ? 38 : 5 + ((i * 11) % 9);
      const replies = i === 0 ? 12 : i % 4;
      const quotes = i === 0 ? 3 : i % 2;
      const reactions = i === 0 ? 9 : i % 3;
      const id = i === 0 ? FAKE_POST_ID : `01fakepost${String(i + 1).padStart(15, "0")}`;
      return {
        uri: `${this.#options.origin}/users/acme/posts/${id}`,
        publishedAt: `${addDays(from, i * 3)}T09:30:00.000Z`,
        likes, boosts, replies, quotes, reactions, interactions: likes + boosts + replies + quotes + reactions,
        accounts: likes + boosts, servers: 3 + (i % 5), deliveredServers: 40 - (i % 3), failedServers: i % 3, pendingServers: i % 2,
      };
    });
  }

  #ranked(post: PostFigures, i: number): RankedPost {
    const followersAtPublish = START_FOLLOWERS - 3_000 + ((i * 977) % 3_000);
    const id = post.uri.split("/").at(-1)!;
    return {
      ...post,
      excerpt: i === 0 ? "Launch day! Our new <rocket> & everything about it #rockets" : `Post number ${i + 1} about rockets`,
      insightsPath: `/app/insights/posts/${id}`,
      followersAtPublish,
      engagementRate: post.interactions / followersAtPublish,
    };
  }
}

function sumOf(days: readonly DayTotals[], followersWithoutDays: number): PeriodTotals {
  const sum = (key: keyof Omit<PeriodTotals, "followers">) => days.reduce((total, d) => total + d[key], 0);
  return {
    likes: sum("likes"), boosts: sum("boosts"), replies: sum("replies"), quotes: sum("quotes"), reactions: sum("reactions"),
    interactions: sum("interactions"), followersGained: sum("followersGained"), followersLost: sum("followersLost"),
    followersNet: sum("followersNet"), followers: days.at(-1)?.followers ?? followersWithoutDays, pageViews: sum("pageViews"),
  };
}

/**
 * A post's interactions over its first 168 hours, as posts fare: most in the first hours, then a
 * little every evening. Whole numbers that add up to `total` exactly (largest remainders).
 */
function spread(total: number): number[] {
  const weights = Array.from({ length: 168 }, (_, h) => (h < 24 ? (24 - h) ** 2 : h % 24 === 18 ? 40 : 0));
  const sum = weights.reduce((a, b) => a + b, 0);
  const exact = weights.map((w) => (w / sum) * total);
  const hours = exact.map(Math.floor);
  const order = exact.map((v, h) => ({ h, rest: v - Math.floor(v) })).sort((a, b) => b.rest - a.rest);
  for (let k = 0, left = total - hours.reduce((a, b) => a + b, 0); k < left; k++) hours[order[k]!.h]! += 1;
  return hours;
}
