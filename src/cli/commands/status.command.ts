import type { DeliveryStatus } from "../../delivery/delivery.module.ts";
import { requirePositionals, type Command } from "../cli.ts";

/**
 * `herold status`: delivery health from the database (the CLI is its own process, so it shows the
 * persistent state every worker shares: jobs and hosts, not one process's counters).
 */
export const status: Command = {
  path: ["status"],
  usage: "status [--json]",
  summary: "queue depths, retry backlog, unavailable domains and failing hosts",
  context: "delivery",
  options: { json: { type: "boolean" } },
  async run(ctx, args, io) {
    requirePositionals(args, []);
    const report = await ctx.delivery.status();
    io.out(args.values.json === true ? JSON.stringify(report, null, 2) : formatStatus(report));
  },
};

export function formatStatus(report: DeliveryStatus): string {
  const lines: string[] = [];
  const queues = Object.entries(report.queues).sort(([a], [b]) => (a < b ? -1 : 1));
  lines.push("Queues (ready / delayed / running / dead):");
  if (queues.length === 0) lines.push("  all empty");
  const width = Math.max(8, ...queues.map(([name]) => name.length));
  for (const [name, d] of queues) lines.push(`  ${name.padEnd(width)}  ${d.ready} / ${d.delayed} / ${d.running} / ${d.dead}`);

  const backlog = report.retryBacklog;
  lines.push("", `Retry backlog: ${backlog.count} deliveries waiting to be tried again${backlog.nextAt ? ` (next due ${backlog.nextAt})` : ""}`);

  lines.push("", `Unavailable domains: ${report.unavailableCount}${report.unavailableCount > report.unavailable.length ? ` (showing ${report.unavailable.length})` : ""}`);
  for (const host of report.unavailable) {
    lines.push(`  ${host.domain}  since ${host.unavailableSince}, failures on ${host.failureDays.length} days${host.lastError ? `, last: ${host.lastError}` : ""}`);
  }

  lines.push("", `Failing hosts: ${report.failing.length === 0 ? "none" : report.failing.length}`);
  for (const host of report.failing) {
    lines.push(`  ${host.domain}  failures on ${host.failureDays.length} day(s), last ${host.lastFailureAt}${host.lastError ? `: ${host.lastError}` : ""}`);
  }

  if (report.dead.count > 0) {
    lines.push("", `Undeliverable (dead letters): ${report.dead.count}`);
    for (const { reason, count } of report.dead.reasons) lines.push(`  ${String(count).padStart(6)}  ${reason}`);
  }
  return lines.join("\n");
}
