import { reportCsv, type ReportTable } from "../insights/insights.csv.ts";
import type { InsightsReport, StatsJson } from "../insights/insights.report.ts";

/**
 * The downloads of the Insights pages. The JSON URL answers exactly `StatsJson` — the object
 * `herold stats --json` prints — so a script written against one works against the other; the
 * page-only fields of `InsightsReport` are left out by naming the keys, not by deleting some.
 */
export function statsJsonOf(report: InsightsReport): StatsJson {
  const { account, from, to, totals, previous, days, posts, servers } = report;
  return { account, from, to, totals, previous, days, posts, servers };
}

/** Which ranking the top-posts download holds: the page shows both tables with the same columns. */
export type TopPostsOrder = "interactions" | "engagement";

/** One table as CSV, from the one CSV definition (src/insights/insights.csv.ts) the CLI uses too. */
export function tableCsv(report: InsightsReport, table: ReportTable, order: TopPostsOrder): string {
  // The engagement ranking has the top-posts columns; the CSV module writes them from `topByInteractions`.
  const source = table === "top-posts" && order === "engagement" ? { ...report, topByInteractions: report.topByEngagement } : report;
  return reportCsv(source, table);
}

/** One table as JSON: its rows as objects with the same names as the CSV's columns. */
export function tableJson(report: InsightsReport, table: ReportTable, order: TopPostsOrder): unknown {
  switch (table) {
    case "days":
      return report.days;
    case "posts":
      return report.posts;
    case "servers":
      return report.servers;
    case "top-posts":
      return (order === "engagement" ? report.topByEngagement : report.topByInteractions).map((p) => ({
        uri: p.uri,
        publishedAt: p.publishedAt,
        excerpt: p.excerpt,
        interactions: p.interactions,
        followersAtPublish: p.followersAtPublish,
        engagementRate: p.engagementRate,
      }));
    case "hashtags":
      return report.hashtags;
    case "software":
      return report.software;
    case "heat-map":
      return report.heatMap.map((hours, weekday) => ({ weekday: WEEKDAYS[weekday] ?? String(weekday), hours }));
  }
}

export const WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"] as const;
