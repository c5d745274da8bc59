import { unreachable } from "../lib/result.ts";
import { CommandError, requirePositionals, stringOption, UsageError, type Command } from "../cli/cli.ts";
import type { InsightsError, InsightsPeriod } from "./insights.ports.ts";
import type { PeriodTotals, StatsJson } from "./insights.report.ts";

/** Days of the default period (the web app's default too). */
const DEFAULT_DAYS = 30;

/**
 * `herold stats <account> [--days N | --from YYYY-MM-DD --to YYYY-MM-DD] [--post URL] [--json | --csv]`,
 * exactly as issue #14 names it: an unknown account (or post) is one line and exit 1, bad usage or a
 * bad date one line and exit 2; a period with nothing is all zeros.
 */
export const stats: Command = {
  path: ["stats"],
  usage: "stats <account> [--days N | --from YYYY-MM-DD --to YYYY-MM-DD] [--post URL] [--json | --csv]",
  summary: "an account's insights: interactions and followers by day, posts, servers (table, JSON or CSV)",
  context: "insights",
  options: { days: { type: "string" }, from: { type: "string" }, to: { type: "string" }, post: { type: "string" }, json: { type: "boolean" }, csv: { type: "boolean" } },
  async run(ctx, args, io) {
    const [name] = requirePositionals(args, ["account"]);
    if (args.values.json === true && args.values.csv === true) throw new UsageError("--json and --csv exclude each other");
    const period = periodOf(stringOption(args, "days"), stringOption(args, "from"), stringOption(args, "to"));
    const account = await ctx.repos.accounts.findByUsername(usernameOf(name!, ctx.config.domain));
    if (account === null) throw new CommandError(`no local account ${JSON.stringify(name)}`);
    const report = await ctx.insights.report(account.id, period);
    if (!report.ok) return fail(report.error, report.message);
    let json: StatsJson = pickStats(report.value);
    const postRef = stringOption(args, "post");
    if (postRef !== undefined) {
      const figures = await ctx.insights.postFigures(account.id, ctx.urls.parsePost(postRef.trim())?.postId ?? postRef.trim());
      if (!figures.ok) return fail(figures.error, figures.message);
      json = { ...json, posts: [figures.value] };
    }
    if (args.values.json === true) return io.out(JSON.stringify(json));
    if (args.values.csv === true) {
      const { statsCsv } = await import("./insights.csv.ts");
      return io.out(statsCsv(json, "days").trimEnd());
    }
    io.out(formatStats(json, report.value.timeZone));
  },
};

function fail(error: InsightsError, message: string): never {
  switch (error) {
    case "unknown-account":
    case "unknown-post":
      throw new CommandError(message);
    case "bad-period":
      throw new UsageError(message);
    default:
      return unreachable(error);
  }
}

/** `acme`, `@acme` or `acme@this.domain`. */
function usernameOf(name: string, domain: string): string {
  const bare = name.trim().replace(/^@/, "");
  const at = bare.indexOf("@");
  if (at < 0) return bare.toLowerCase();
  if (bare.slice(at + 1).toLowerCase() !== domain.toLowerCase()) throw new CommandError(`${name} is not an account of ${domain}`);
  return bare.slice(0, at).toLowerCase();
}

export function periodOf(days: string | undefined, from: string | undefined, to: string | undefined): InsightsPeriod {
  if (days !== undefined && (from !== undefined || to !== undefined)) throw new UsageError("give --days or --from and --to, not both");
  if ((from === undefined) !== (to === undefined)) throw new UsageError("--from and --to go together");
  if (from !== undefined && to !== undefined) {
    for (const date of [from, to]) if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new UsageError(`not a date (YYYY-MM-DD): ${JSON.stringify(date)}`);
    return { kind: "range", from, to };
  }
  if (days === undefined) return { kind: "days", days: DEFAULT_DAYS };
  if (!/^\d{1,5}$/.test(days)) throw new UsageError(`--days must be a whole number, got ${JSON.stringify(days)}`);
  return { kind: "days", days: Number(days) };
}

/** Exactly the keys of `StatsJson`, in its order (the report carries more for the pages). */
function pickStats(r: StatsJson): StatsJson {
  return { account: r.account, from: r.from, to: r.to, totals: r.totals, previous: r.previous, days: r.days, posts: r.posts, servers: r.servers };
}

const ROWS: readonly [keyof PeriodTotals, string][] = [
  ["likes", "Likes"], ["boosts", "Boosts"], ["replies", "Replies"], ["quotes", "Quotes"], ["reactions", "Reactions"],
  ["interactions", "Interactions"], ["followersGained", "Followers gained"], ["followersLost", "Followers lost"],
  ["followersNet", "Followers net"], ["followers", "Followers"], ["pageViews", "Page views"],
];

export function formatStats(s: StatsJson, timeZone: string): string {
  const signed = (n: number) => (n > 0 ? `+${n}` : String(n));
  const lines = [`${s.account}: ${s.from} to ${s.to} (${timeZone}), beside the ${s.days.length} days before`, ""];
  lines.push(`${"".padEnd(18)}${"period".padStart(10)}${"previous".padStart(10)}${"change".padStart(10)}`);
  for (const [key, label] of ROWS) lines.push(`${label.padEnd(18)}${String(s.totals[key]).padStart(10)}${String(s.previous[key]).padStart(10)}${signed(s.totals[key] - s.previous[key]).padStart(10)}`);
  lines.push("", "date        likes boosts replies quotes reactions  gained   lost followers views");
  for (const d of s.days) {
    lines.push(
      `${d.date}  ${[d.likes, d.boosts, d.replies, d.quotes, d.reactions].map((n, i) => String(n).padStart([5, 6, 7, 6, 9][i]!)).join(" ")} ${String(d.followersGained).padStart(7)} ${String(d.followersLost).padStart(6)} ${String(d.followers).padStart(9)} ${String(d.pageViews).padStart(5)}`,
    );
  }
  if (s.posts.length > 0) {
    lines.push("", "Posts (newest first): interactions, likes/boosts/replies/quotes/reactions, accounts, servers reached");
    for (const p of s.posts) lines.push(`${p.publishedAt.slice(0, 16).replace("T", " ")}  ${String(p.interactions).padStart(5)}  ${p.likes}/${p.boosts}/${p.replies}/${p.quotes}/${p.reactions}  ${p.accounts} accounts  ${p.deliveredServers} servers  ${p.uri}`);
  }
  if (s.servers.length > 0) {
    lines.push("", "Servers: followers, interactions");
    for (const v of s.servers.slice(0, 20)) lines.push(`${v.host.padEnd(40)} ${String(v.followers).padStart(7)} ${String(v.interactions).padStart(7)}  ${v.software ?? ""}`);
    if (s.servers.length > 20) lines.push(`… and ${s.servers.length - 20} more (--json lists all)`);
  }
  return lines.join("\n");
}

/** `herold account time-zone <username> <zone>`: the zone in which insights count days; recounts them. */
export const accountTimeZone: Command = {
  path: ["account", "time-zone"],
  usage: "account time-zone <username> <IANA zone, e.g. Europe/Berlin>",
  summary: "set the time zone in which an account's insights count days and hours (recounts them)",
  context: "insights",
  async run(ctx, args, io) {
    const [name, zone] = requirePositionals(args, ["username", "zone"]);
    const account = await ctx.repos.accounts.findByUsername(usernameOf(name!, ctx.config.domain));
    if (account === null) throw new CommandError(`no local account ${JSON.stringify(name)}`);
    const set = await ctx.insights.setTimeZone(account.id, zone!);
    if (!set.ok) {
      switch (set.error) {
        case "unknown-account":
          throw new CommandError(set.message);
        case "bad-time-zone":
          throw new UsageError(set.message);
        default:
          return unreachable(set.error);
      }
    }
    io.out(`${account.username} counts insights in ${zone} now (${set.value.length === 0 ? "nothing to recount" : `recounted ${set.value.map((c) => c.name).join(", ")}`}).`);
  },
};
