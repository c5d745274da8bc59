/**
 * The shape of an Insights report: the contract between the insights service (which computes it from
 * the rollups), `herold stats --json` (which prints `StatsJson` exactly as issue #14 names it), the
 * JSON URL of the web app (the same object) and the Insights pages (which render `InsightsReport`,
 * the JSON plus what only the pages show). Dates are `YYYY-MM-DD` in the account's time zone; every
 * count is an integer; a period with nothing is all zeros.
 */

/** The figures of one period or one day. */
export interface PeriodTotals {
  readonly likes: number;
  readonly boosts: number;
  readonly replies: number;
  readonly quotes: number;
  readonly reactions: number;
  /** likes + boosts + replies + quotes + reactions */
  readonly interactions: number;
  readonly followersGained: number;
  readonly followersLost: number;
  /** followersGained − followersLost */
  readonly followersNet: number;
  /** Accepted followers at the end of the period (of the day, for a day). */
  readonly followers: number;
  /** Views of the account's own public pages (profile, posts, feeds), crawlers not included. */
  readonly pageViews: number;
}

export interface DayTotals extends PeriodTotals {
  readonly date: string;
}

export interface PostFigures {
  readonly uri: string;
  readonly publishedAt: string;
  readonly likes: number;
  readonly boosts: number;
  readonly replies: number;
  readonly quotes: number;
  readonly reactions: number;
  readonly interactions: number;
  /** Distinct remote and local accounts that interacted (net of undos). */
  readonly accounts: number;
  /** Distinct servers those accounts are on. */
  readonly servers: number;
  /** Delivery reach: servers whose inbox accepted the post's Create (2xx). */
  readonly deliveredServers: number;
  /** Servers whose delivery failed for good. */
  readonly failedServers: number;
  /** Servers still being retried or not yet tried. */
  readonly pendingServers: number;
}

export interface ServerFigures {
  readonly host: string;
  /** From the server's NodeInfo (`software.name`), `null` when unknown. */
  readonly software: string | null;
  readonly followers: number;
  readonly interactions: number;
}

/** Exactly what `herold stats --json` prints and the web app's JSON URL answers (issue #14). */
export interface StatsJson {
  readonly account: string;
  readonly from: string;
  readonly to: string;
  readonly totals: PeriodTotals;
  readonly previous: PeriodTotals;
  readonly days: readonly DayTotals[];
  readonly posts: readonly PostFigures[];
  readonly servers: readonly ServerFigures[];
}

/** What the Insights pages show beyond `StatsJson`. */
export interface InsightsReport extends StatsJson {
  /** The account's time zone, in which `from`, `to` and the days are counted. */
  readonly timeZone: string;
  /** Engagement of the period: interactions ÷ followers at the start (0 when there were none), as a fraction. */
  readonly engagementRate: number;
  readonly previousEngagementRate: number;
  /** Followers lost ÷ followers at the start of the period (0 when there were none). */
  readonly churn: number;
  /** Top posts of the period, by interactions and by engagement rate (interactions ÷ followers at publish time). */
  readonly topByInteractions: readonly RankedPost[];
  readonly topByEngagement: readonly RankedPost[];
  readonly hashtags: readonly { readonly tag: string; readonly posts: number; readonly interactions: number }[];
  /** Audience by software: followers and interactions summed over `servers`. */
  readonly software: readonly { readonly software: string | null; readonly servers: number; readonly followers: number; readonly interactions: number }[];
  /**
   * Interactions by hour of the week in the account's time zone, over the account's whole history:
   * `heatMap[weekday][hour]`, weekday 0 = Monday … 6 = Sunday.
   */
  readonly heatMap: readonly (readonly number[])[];
  /** The best hours to post, derived from the heat map, best first (at most 5). */
  readonly bestHours: readonly { readonly weekday: number; readonly hour: number; readonly interactions: number }[];
  /** Views of public pages that came from obvious crawlers (counted apart, never in `pageViews`). */
  readonly crawlerViews: number;
}

export interface RankedPost extends PostFigures {
  /** The post's text, shortened for a table. */
  readonly excerpt: string;
  /** Its page in the web app (`/app/insights/posts/<id>`). */
  readonly insightsPath: string;
  readonly followersAtPublish: number;
  readonly engagementRate: number;
}

/** A post's page in Insights. */
export interface PostInsights {
  readonly post: RankedPost;
  readonly timeZone: string;
  /** Cumulative interactions at 1 h, 24 h and 7 d after publication. */
  readonly curve: { readonly firstHour: number; readonly firstDay: number; readonly firstWeek: number };
  /** Interactions by hour since publication (index 0 = the first hour), for the first 7 days. */
  readonly hourly: readonly number[];
  /** Accounts that interacted (net of undos), newest first, with what they did. */
  readonly accounts: readonly {
    readonly uri: string;
    readonly handle: string;
    readonly name: string | null;
    readonly profileUrl: string | null;
    readonly kinds: readonly ("like" | "boost" | "reply" | "quote" | "reaction")[];
  }[];
  /** Followers behind the servers that accepted the post. */
  readonly followersReached: number;
}
