/**
 * Every table of an Insights report as CSV (the web app's downloads and `herold stats --csv`).
 * One place, so the CLI and the downloads cannot drift apart. csv-stringify does the quoting
 * (RFC 4180); a cell that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR at its
 * start) is prefixed with `'`, because post excerpts and hosts come from other people.
 */
import { stringify } from "csv-stringify/sync";
import type { InsightsReport, PeriodTotals, StatsJson } from "./insights.report.ts";

export const REPORT_TABLES = ["days", "posts", "servers", "top-posts", "hashtags", "software", "heat-map"] as const;
export type ReportTable = (typeof REPORT_TABLES)[number];

const TOTAL_KEYS = [
  "likes", "boosts", "replies", "quotes", "reactions", "interactions",
  "followersGained", "followersLost", "followersNet", "followers", "pageViews",
] as const satisfies readonly (keyof PeriodTotals)[];

const POST_KEYS = [
  "uri", "publishedAt", "likes", "boosts", "replies", "quotes", "reactions", "interactions",
  "accounts", "servers", "deliveredServers", "failedServers", "pendingServers",
] as const;

const WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

export function isReportTable(name: string): name is ReportTable {
  return (REPORT_TABLES as readonly string[]).includes(name);
}

/** The tables `herold stats --csv` can print come from the JSON alone. */
export function statsCsv(report: StatsJson, table: "days" | "posts" | "servers"): string {
  switch (table) {
    case "days":
      return toCsv(["date", ...TOTAL_KEYS], report.days.map((d) => [d.date, ...TOTAL_KEYS.map((k) => d[k])]));
    case "posts":
      return toCsv([...POST_KEYS], report.posts.map((p) => POST_KEYS.map((k) => p[k])));
    case "servers":
      return toCsv(["host", "software", "followers", "interactions"], report.servers.map((s) => [s.host, s.software ?? "", s.followers, s.interactions]));
  }
}

export function reportCsv(report: InsightsReport, table: ReportTable): string {
  switch (table) {
    case "days":
    case "posts":
    case "servers":
      return statsCsv(report, table);
    case "top-posts":
      return toCsv(
        ["uri", "publishedAt", "excerpt", "interactions", "followersAtPublish", "engagementRate"],
        report.topByInteractions.map((p) => [p.uri, p.publishedAt, p.excerpt, p.interactions, p.followersAtPublish, p.engagementRate]),
      );
    case "hashtags":
      return toCsv(["tag", "posts", "interactions"], report.hashtags.map((h) => [h.tag, h.posts, h.interactions]));
    case "software":
      return toCsv(["software", "servers", "followers", "interactions"], report.software.map((s) => [s.software ?? "", s.servers, s.followers, s.interactions]));
    case "heat-map":
      return toCsv(
        ["weekday", ...Array.from({ length: 24 }, (_, h) => String(h).padStart(2, "0"))],
        report.heatMap.map((row, day) => [WEEKDAYS[day] ?? String(day), ...row]),
      );
  }
}

function toCsv(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  return stringify([header, ...rows].map((row) => row.map(cell)), { record_delimiter: "\r\n" });
}

function cell(value: string | number): string | number {
  if (typeof value === "number") return value;
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}
