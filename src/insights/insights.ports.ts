/**
 * The narrow ports through which the insights module reads what other modules own, and through which
 * the web app and the CLI read insights. Each is implemented by the module that owns the data:
 * delivery owns per-post delivery outcomes, pages owns the page-view counters, federation owns the
 * cache of remote servers' NodeInfo software. The composition root (src/app/context.ts) hands the
 * implementations to `createInsightsModule`.
 */
import type { Result } from "../lib/result.ts";
import type { InsightsReport, PostInsights } from "./insights.report.ts";

/** Delivery reach of local posts: the outcome of their Create per remote server. */
export interface DeliveryReach {
  /** For each post id: servers (hosts) that answered 2xx, failed for good, or are still pending/retrying. */
  reachOf(postIds: readonly string[]): Promise<ReadonlyMap<string, ReachFigures>>;
  /** Folds settled per-inbox outcomes older than `cutoff` into one per server (raw-data retention); the rows folded. */
  foldSettledBefore(cutoff: string): Promise<number>;
}

export interface ReachFigures {
  readonly deliveredServers: number;
  readonly failedServers: number;
  readonly pendingServers: number;
  /** Hosts that accepted (2xx), so insights can count the followers behind them. */
  readonly deliveredHosts: readonly string[];
}

/** Views of a local account's public pages, counted per page kind and day (no visitor data at all). */
export interface PageViewCounts {
  /** Views per local day `YYYY-MM-DD` in `timeZone`, between `fromDay` and `toDay` inclusive. */
  viewsByDay(
    accountId: string,
    fromDay: string,
    toDay: string,
    timeZone: string,
  ): Promise<ReadonlyMap<string, { readonly views: number; readonly crawlerViews: number }>>;
}

/** The software remote servers run, from their NodeInfo (fetched at most once a day per server). */
export interface ServerSoftware {
  /** Known software names for these hosts (hosts not known yet are absent). */
  softwareOf(hosts: readonly string[]): Promise<ReadonlyMap<string, string>>;
  /** Ask for these hosts' NodeInfo to be fetched (durably queued; at most once a day per host). */
  refresh(hosts: readonly string[]): Promise<void>;
}

/** A period of an Insights report: the last N days, or from–to (inclusive, in the account's zone). */
export type InsightsPeriod =
  | { readonly kind: "days"; readonly days: number }
  | { readonly kind: "range"; readonly from: string; readonly to: string };

export type InsightsError = "unknown-account" | "unknown-post" | "bad-period";

/** What the web app's Insights pages, its JSON URL and `herold stats` read. */
export interface InsightsQueries {
  report(
    accountId: string,
    period: InsightsPeriod,
  ): Promise<Result<InsightsReport, InsightsError>>;
  post(
    accountId: string,
    postId: string,
  ): Promise<Result<PostInsights, InsightsError>>;
}
