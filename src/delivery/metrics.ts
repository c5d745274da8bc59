import type { Clock } from "../lib/time.ts";
import type { QueueDepth } from "../queue/queue.ts";

/**
 * In-process delivery metrics, rendered as OpenMetrics text at `GET /metrics`.
 *
 * Counters live in the process that delivers (role `worker` or `all`); queue depths and the number of
 * unavailable hosts are read from the database at scrape time, so they are right in every process.
 * Per-host series are bounded: at most `trackedHosts` hosts are counted (the quietest is evicted when
 * a new one arrives, which restarts its series — Prometheus reads that as a counter reset), and only
 * the `topHosts` busiest by failures and by successes are exposed, so a fan-out to 50,000 servers
 * cannot turn a scrape into 50,000 lines.
 */
export type FinalResult = "ok" | "failed" | "skipped";
export type PostponeReason = "circuit-open" | "host-busy";

export interface MetricsOptions {
  readonly topHosts?: number;
  readonly trackedHosts?: number;
}

export interface ScrapeExtras {
  readonly depth: Readonly<Record<string, QueueDepth>>;
  readonly unavailableHosts: number;
  readonly openCircuits: number;
}

const WINDOW_SECONDS = 60;

export class DeliveryMetrics {
  readonly #clock: Clock;
  readonly #topHosts: number;
  readonly #trackedHosts: number;
  readonly #results: Record<FinalResult, number> = { ok: 0, failed: 0, skipped: 0 };
  readonly #postponed: Record<PostponeReason, number> = { "circuit-open": 0, "host-busy": 0 };
  #retries = 0;
  readonly #hosts = new Map<string, { ok: number; failed: number }>();
  // One bucket per second of the last minute, for the delivery rate.
  readonly #bucketCounts = new Array<number>(WINDOW_SECONDS).fill(0);
  readonly #bucketSeconds = new Array<number>(WINDOW_SECONDS).fill(-1);

  constructor(clock: Clock, options: MetricsOptions = {}) {
    this.#clock = clock;
    this.#topHosts = options.topHosts ?? 20;
    this.#trackedHosts = options.trackedHosts ?? 1000;
  }

  /** A delivery reached its end: sent (`ok`), given up (`failed`), or not sent because the domain is unavailable (`skipped`). */
  final(result: FinalResult, host: string): void {
    this.#results[result]++;
    if (result === "ok") {
      this.#host(host).ok++;
      const second = Math.floor(this.#clock.now().getTime() / 1000);
      const index = second % WINDOW_SECONDS;
      if (this.#bucketSeconds[index] !== second) {
        this.#bucketSeconds[index] = second;
        this.#bucketCounts[index] = 0;
      }
      this.#bucketCounts[index]!++;
    } else if (result === "failed") {
      this.#host(host).failed++;
    }
  }

  /** An attempt failed and the delivery will be tried again. */
  retry(host: string): void {
    this.#retries++;
    this.#host(host).failed++;
  }

  postponed(reason: PostponeReason): void {
    this.#postponed[reason]++;
  }

  /** Successful deliveries per second, averaged over the last minute. */
  rate(): number {
    const now = Math.floor(this.#clock.now().getTime() / 1000);
    let total = 0;
    for (let i = 0; i < WINDOW_SECONDS; i++) {
      const second = this.#bucketSeconds[i]!;
      if (second > now - WINDOW_SECONDS && second <= now) total += this.#bucketCounts[i]!;
    }
    return total / WINDOW_SECONDS;
  }

  totals(): { readonly results: Readonly<Record<FinalResult, number>>; readonly retries: number; readonly postponed: Readonly<Record<PostponeReason, number>> } {
    return { results: { ...this.#results }, retries: this.#retries, postponed: { ...this.#postponed } };
  }

  /** Counts of one host, if it is tracked. */
  host(host: string): { ok: number; failed: number } | undefined {
    const entry = this.#hosts.get(host);
    return entry ? { ...entry } : undefined;
  }

  render(extras: ScrapeExtras): string {
    const out: string[] = [];
    const family = (name: string, type: string, help: string): void => {
      out.push(`# TYPE ${name} ${type}`, `# HELP ${name} ${help}`);
    };

    family("herold_deliveries", "counter", "Deliveries that reached an end: ok, failed (given up or refused), skipped (domain unavailable).");
    for (const result of Object.keys(this.#results) as FinalResult[]) out.push(`herold_deliveries_total{result="${result}"} ${this.#results[result]}`);

    family("herold_delivery_retries", "counter", "Delivery attempts that failed and were scheduled again.");
    out.push(`herold_delivery_retries_total ${this.#retries}`);

    family("herold_delivery_postponed", "counter", "Deliveries postponed without a request (circuit open, too many waiting for one host).");
    for (const reason of Object.keys(this.#postponed) as PostponeReason[]) out.push(`herold_delivery_postponed_total{reason="${reason}"} ${this.#postponed[reason]}`);

    family("herold_delivery_host_deliveries", "counter", `Successful deliveries and failed attempts by host (the ${this.#topHosts} busiest hosts each).`);
    const entries = [...this.#hosts];
    const top = (key: "ok" | "failed") =>
      entries
        .filter(([, c]) => c[key] > 0)
        .sort((a, b) => b[1][key] - a[1][key] || (a[0] < b[0] ? -1 : 1))
        .slice(0, this.#topHosts);
    for (const key of ["ok", "failed"] as const) {
      for (const [host, counts] of top(key)) out.push(`herold_delivery_host_deliveries_total{host="${escapeLabel(host)}",result="${key}"} ${counts[key]}`);
    }

    family("herold_delivery_rate", "gauge", "Successful deliveries per second over the last minute.");
    out.push(`herold_delivery_rate ${formatNumber(this.rate())}`);

    family("herold_delivery_circuits_open", "gauge", "Hosts whose circuit breaker is open in this process.");
    out.push(`herold_delivery_circuits_open ${extras.openCircuits}`);

    family("herold_delivery_hosts_unavailable", "gauge", "Domains marked unavailable (failures on too many distinct days).");
    out.push(`herold_delivery_hosts_unavailable ${extras.unavailableHosts}`);

    family("herold_queue_jobs", "gauge", "Jobs per queue and state (ready, delayed incl. retries, running, dead).");
    for (const queue of Object.keys(extras.depth).sort()) {
      const depth = extras.depth[queue]!;
      for (const state of ["ready", "delayed", "running", "dead"] as const) {
        out.push(`herold_queue_jobs{queue="${escapeLabel(queue)}",state="${state}"} ${depth[state]}`);
      }
    }
    out.push("# EOF");
    return out.join("\n") + "\n";
  }

  #host(host: string): { ok: number; failed: number } {
    let entry = this.#hosts.get(host);
    if (entry === undefined) {
      if (this.#hosts.size >= this.#trackedHosts) this.#evictQuietest();
      entry = { ok: 0, failed: 0 };
      this.#hosts.set(host, entry);
    }
    return entry;
  }

  #evictQuietest(): void {
    let quietest: string | undefined;
    let least = Infinity;
    for (const [host, counts] of this.#hosts) {
      const total = counts.ok + counts.failed;
      if (total < least) {
        least = total;
        quietest = host;
      }
    }
    if (quietest !== undefined) this.#hosts.delete(quietest);
  }
}

/** OpenMetrics label values escape backslash, double quote and line feed. */
export function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(3);
}
