/**
 * The inbound benchmark's printout: rates, their ratio to the probe measured in the same run, CPU time
 * per activity (the figure a busy, shared machine distorts least), latencies and memory.
 */
import type { Memory } from "./ipc.ts";
import type { SqlCounts } from "./sql-counter.ts";

export const GOAL_ACCEPTED_PER_S = 1000;
export const GOAL_RSS_MB = 200;

/** What the load generator reports for one set of requests. */
export interface Sent {
  readonly ms: number;
  readonly statuses: Record<string, number>;
  readonly errors: number;
  readonly firstError?: string;
  /** Of the first 503, if any (the inbox queue was over capacity). */
  readonly retryAfter?: string;
  readonly p50: number;
  readonly p99: number;
}

/** One measured set: sending it, and (with processing) until the inbox queue was empty again. */
export interface Measured {
  readonly sent: Sent;
  readonly accepted: number;
  readonly acceptedPerS: number;
  /** From the first request until the queue was empty; undefined when nothing processes (web role). */
  readonly processedMs: number | undefined;
  /** CPU seconds the measured process used meanwhile. */
  readonly cpuSeconds: number;
  /** The load generator's CPU use while sending, in cores (near 1: it, not the subject, may be the limit). */
  readonly loadgenBusy: number;
  /** SQL the measured Herold process ran meanwhile (absent for the probe). */
  readonly sql?: SqlCounts;
}

export interface Report {
  readonly count: number;
  readonly probe: readonly Measured[];
  readonly all: { readonly run: Measured; readonly startupRss: number; readonly memory: Memory; readonly exit: number | string };
  readonly web?: {
    readonly run: Measured;
    readonly memory: Memory;
    readonly drainMs: number;
    readonly drainCpuSeconds: number;
    readonly workerStartMs: number;
    readonly workerMemory: Memory;
    readonly drainSql: SqlCounts;
  };
  readonly checks: { readonly posts: number; readonly expectedPosts: number | undefined; readonly kinds: Record<string, number>; readonly waiting: number; readonly dead: number; readonly actorFetches: number; readonly metrics: readonly string[] };
}

const fmt = (n: number) => Math.round(n).toLocaleString("en");
const mib = (n: number) => `${n.toFixed(1)} MiB`;
/** MiB (what /proc reports, in KiB) as the goal's decimal megabytes. */
const mb = (mibValue: number) => `${((mibValue * 1048576) / 1e6).toFixed(1)} MB`;
const perS = (count: number, ms: number) => (count * 1000) / ms;
const µs = (seconds: number, n: number) => `${fmt((seconds / n) * 1e6)} µs`;
const perActivity = (sql: SqlCounts | undefined, n: number) =>
  sql === undefined ? "SQL not counted" : `SQL per activity: ${(sql.statements / n).toFixed(1)} statements, ${(sql.transactions / n).toFixed(2)} transactions, ${(sql.commits / n).toFixed(2)} commits`;
const latency = (sent: Sent) => `latency p50 ${sent.p50.toFixed(1)} ms, p99 ${sent.p99.toFixed(1)} ms`;

function statuses(sent: Sent): string {
  const errors = sent.errors > 0 ? `, ${sent.errors} connection errors` : "";
  const first = sent.firstError !== undefined ? ` (first: ${sent.firstError})` : "";
  const retry = sent.retryAfter !== undefined ? `; 503 with Retry-After: ${sent.retryAfter}` : "";
  return `statuses ${JSON.stringify(sent.statuses)}${errors}${first}${retry}`;
}

export function formatReport(r: Report): string {
  const probeRate = r.probe.reduce((sum, m) => sum + m.acceptedPerS, 0) / r.probe.length;
  const probeCpu = r.probe.reduce((sum, m) => sum + m.cpuSeconds, 0) / r.probe.reduce((sum, m) => sum + m.accepted, 0);
  const ratio = (rate: number) => `${(rate / probeRate).toFixed(2)} × probe`;
  const all = r.all.run;
  const processed = perS(r.count, all.processedMs!);
  const lines = [
    `  probe (verify + digest + JSON.parse, no storage): ${r.probe.map((m) => `${fmt(m.acceptedPerS)} /s`).join(" before, ")} after Herold; ` +
      `mean ${fmt(probeRate)} /s; CPU ${µs(probeCpu, 1)} per activity; load generator busy ${r.probe.map((m) => `${Math.round(m.loadgenBusy * 100)} %`).join(", ")}`,
    `  Herold --role all (one process accepts and processes):`,
    `    accepted (202, durably queued):  ${fmt(all.acceptedPerS)} /s = ${ratio(all.acceptedPerS)}  (goal ≥ ${fmt(GOAL_ACCEPTED_PER_S)} /s); ${latency(all.sent)}`,
    `    fully processed (queue drained): ${fmt(processed)} /s = ${ratio(processed)}  (${(all.processedMs! / 1000).toFixed(2)} s for ${fmt(r.count)}; CPU ${µs(all.cpuSeconds, r.count)} per activity, accepting and processing)`,
    `    ${perActivity(all.sql, r.count)} (accepting and processing)`,
    `    peak RSS (VmHWM): ${mib(r.all.memory.hwmMiB)} = ${mb(r.all.memory.hwmMiB)}  (goal < ${GOAL_RSS_MB} MB; ${mib(r.all.startupRss)} after start-up, ${mib(r.all.memory.rssMiB)} at the end)`,
    `    ${statuses(all.sent)}; exit ${r.all.exit}`,
  ];
  if (r.web !== undefined) {
    const web = r.web;
    lines.push(
      `  Herold --role web, then --role worker (same database):`,
      `    accepted (202, durably queued):  ${fmt(web.run.acceptedPerS)} /s = ${ratio(web.run.acceptedPerS)}  (goal ≥ ${fmt(GOAL_ACCEPTED_PER_S)} /s); ${latency(web.run.sent)}; CPU ${µs(web.run.cpuSeconds, web.run.accepted)} per activity`,
      `    drained by the worker alone:     ${fmt(perS(r.count, web.drainMs))} /s  (${(web.drainMs / 1000).toFixed(2)} s after its start-up of ${(web.workerStartMs / 1000).toFixed(1)} s; CPU ${µs(web.drainCpuSeconds, r.count)} per activity)`,
      `    ${perActivity(web.run.sql, web.run.accepted)} (web, accepting); ${perActivity(web.drainSql, r.count)} (worker, processing)`,
      `    peak RSS (VmHWM): web ${mib(web.memory.hwmMiB)} = ${mb(web.memory.hwmMiB)}, worker ${mib(web.workerMemory.hwmMiB)} = ${mb(web.workerMemory.hwmMiB)}  (goal < ${GOAL_RSS_MB} MB)`,
      `    ${statuses(web.run.sent)}`,
    );
  }
  const c = r.checks;
  lines.push(
    ...(Object.keys(c.kinds).length > 0 ? [`  activities sent to Herold by kind: ${Object.entries(c.kinds).map(([k, v]) => `${k} ${fmt(v)}`).join(", ")}`] : []),
    `  checks: ${fmt(c.posts)} remote posts stored (${c.expectedPosts === undefined ? "deletes remove some" : `expected ${fmt(c.expectedPosts)}`}); inbox jobs left ${c.waiting}, dead ${c.dead}; actor documents fetched ${c.actorFetches}`,
    `  /metrics at the end of the role-all run: ${c.metrics.length > 0 ? c.metrics.join(", ") : "no inbox jobs (queue empty)"}`,
  );
  return lines.join("\n") + "\n";
}
