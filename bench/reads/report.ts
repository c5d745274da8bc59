/**
 * The read benchmark's table: per endpoint the near-empty baseline and the big data set, one client
 * and then several, p50 / p95 in milliseconds, and the ratio of the big p95 to the baseline's.
 */
import type { Measured } from "./loadgen.ts";

/** Goals of issue #15 (goal 1): p95 under 20 ms for one client, under 50 ms for four, ratio under 3. */
export const GOAL_P95_ONE_MS = 20;
export const GOAL_P95_MANY_MS = 50;
export const GOAL_RATIO = 3;
export const GOAL_RSS_MB = 200;

export interface Run {
  readonly label: string;
  readonly posts: number;
  /** Measured per client count, in the order of `clients`. */
  readonly byClients: ReadonlyMap<number, readonly Measured[]>;
  readonly memory: { readonly hwmMiB: number; readonly rssMiB: number };
  readonly views?: { readonly count: number; readonly hwmMiB: number; readonly rssMiB: number; readonly statuses: Record<string, number> };
}

const ms = (n: number) => (Number.isNaN(n) ? "–" : n < 10 ? n.toFixed(1) : Math.round(n).toLocaleString("en"));
const mb = (mib: number) => `${((mib * 1048576) / 1e6).toFixed(0)} MB`;

export function formatTable(baseline: Run, big: Run, clients: readonly number[]): string {
  const names = (baseline.byClients.get(clients[0]!) ?? []).map((m) => m.name);
  const find = (run: Run, c: number, name: string) => run.byClients.get(c)?.find((m) => m.name === name);
  const header = [
    "endpoint",
    `empty p95 (${clients[0]})`,
    ...clients.map((c) => `${big.posts.toLocaleString("en")} posts p50 / p95 (${c} client${c === 1 ? "" : "s"})`),
    `ratio p95 (${clients[0]})`,
    ...(clients.length > 1 ? [`ratio p95 (${clients.at(-1)})`] : []),
    "n",
    "goal",
  ];
  const rows = names.map((name) => {
    const base = find(baseline, clients[0]!, name)!;
    const cells = clients.map((c) => {
      const m = find(big, c, name);
      return m === undefined ? "–" : `${ms(m.p50)} / ${ms(m.p95)}`;
    });
    const one = find(big, clients[0]!, name);
    const many = find(big, clients.at(-1)!, name);
    const manyBase = find(baseline, clients.at(-1)!, name);
    const ratio = (m: Measured | undefined, b: Measured | undefined) => (m === undefined || b === undefined ? "–" : `${(m.p95 / b.p95).toFixed(1)}×`);
    const meets =
      one !== undefined && many !== undefined && one.p95 < GOAL_P95_ONE_MS && many.p95 < GOAL_P95_MANY_MS && one.p95 / base.p95 < GOAL_RATIO ? "met" : "missed";
    return [name, ms(base.p95), ...cells, ratio(one, base), ...(clients.length > 1 ? [ratio(many, manyBase)] : []), clients.map((c) => find(big, c, name)?.count ?? 0).join("/"), meets];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(" | ")} |`;
  return [line(header), `|${widths.map((w, i) => (i === 0 ? "-".repeat(w + 2) : "-".repeat(w + 1) + ":")).join("|")}|`, ...rows.map(line)].join("\n") + "\n";
}

export function formatMemory(run: Run): string {
  const views =
    run.views === undefined
      ? ""
      : `; after ${run.views.count.toLocaleString("en")} more web-app page views: peak ${mb(run.views.hwmMiB)}, now ${mb(run.views.rssMiB)} (statuses ${JSON.stringify(run.views.statuses)})`;
  return `  ${run.label}: peak RSS (VmHWM) during the latency runs ${mb(run.memory.hwmMiB)}, now ${mb(run.memory.rssMiB)}${views}  (goal < ${GOAL_RSS_MB} MB)\n`;
}

/** Requests that did not answer 200 (a benchmark of error pages measures nothing). */
export function failures(run: Run): string[] {
  const out: string[] = [];
  for (const [c, measured] of run.byClients) {
    for (const m of measured) {
      const bad = Object.entries(m.statuses).filter(([status]) => status !== "200");
      if (bad.length > 0) out.push(`${run.label}, ${m.name}, ${c} client(s): ${JSON.stringify(m.statuses)}`);
    }
  }
  return out;
}
