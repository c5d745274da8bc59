/**
 * Per-host circuit breaker, in this process. After `failures` consecutive host failures (5xx,
 * timeouts, refused connections) the circuit opens for `cooldownMs`: deliveries to that host are
 * postponed without a request (and without counting an attempt), so a dead server does not occupy
 * connection slots and retries. After the cool-down one delivery is let through as a probe
 * (half-open); its success closes the circuit, its failure opens it for another cool-down.
 *
 * State is per process on purpose: it is a load-shedding device, not a record. Each worker learns
 * a dead host after a few failures of its own; the durable record is `hosts.failure_days_json`.
 * All times come from the caller (the app Clock), so tests can move through cool-downs.
 */
export interface BreakerOptions {
  readonly failures: number;
  readonly cooldownMs: number;
  /** A probe that neither succeeded nor failed within this time (its job was lost) frees the slot. */
  readonly probeTimeoutMs: number;
}

export type BreakerGate = { readonly allowed: true } | { readonly allowed: false; readonly retryAt: number };

interface HostCircuit {
  consecutive: number;
  openUntil: number | undefined;
  probeSince: number | undefined;
}

export class CircuitBreaker {
  readonly #options: BreakerOptions;
  readonly #hosts = new Map<string, HostCircuit>();

  constructor(options: BreakerOptions) {
    this.#options = options;
  }

  /** May a delivery to `host` be attempted at `now`? While open, says when to come back. */
  check(host: string, now: number): BreakerGate {
    const circuit = this.#hosts.get(host);
    if (circuit === undefined || circuit.openUntil === undefined) return { allowed: true };
    if (now < circuit.openUntil) return { allowed: false, retryAt: circuit.openUntil };
    if (circuit.probeSince !== undefined && now - circuit.probeSince < this.#options.probeTimeoutMs) {
      return { allowed: false, retryAt: now + this.#options.cooldownMs };
    }
    circuit.probeSince = now;
    return { allowed: true };
  }

  /** The host answered in a way that shows it works: close the circuit. */
  success(host: string): void {
    this.#hosts.delete(host);
  }

  /** A host failure; opens the circuit at the threshold, or again after a failed probe. */
  failure(host: string, now: number): void {
    let circuit = this.#hosts.get(host);
    if (circuit === undefined) {
      circuit = { consecutive: 0, openUntil: undefined, probeSince: undefined };
      this.#hosts.set(host, circuit);
    }
    circuit.consecutive++;
    if (circuit.probeSince !== undefined || circuit.consecutive >= this.#options.failures) {
      circuit.openUntil = now + this.#options.cooldownMs;
      circuit.probeSince = undefined;
    }
  }

  /** The attempt let through by `check` ended without a verdict about the host (postponed, aborted). */
  abandon(host: string): void {
    const circuit = this.#hosts.get(host);
    if (circuit !== undefined) circuit.probeSince = undefined;
  }

  isOpen(host: string, now: number): boolean {
    const circuit = this.#hosts.get(host);
    return circuit?.openUntil !== undefined && now < circuit.openUntil;
  }

  /** Hosts whose circuit is open at `now` (for metrics). */
  openCount(now: number): number {
    let count = 0;
    for (const circuit of this.#hosts.values()) if (circuit.openUntil !== undefined && now < circuit.openUntil) count++;
    return count;
  }
}
