/**
 * At most `perHost` deliveries in flight to one host across this process (all accounts, all
 * activities), so a fan-out never hammers one peer with the whole worker's concurrency. A job
 * beyond the limit waits for a slot; when too many already wait for the same host, `acquire`
 * returns undefined and the caller postpones the job, so one big host cannot hold every worker
 * slot while deliveries to other hosts queue behind it.
 */
export class HostLimiter {
  readonly #perHost: number;
  readonly #maxWaiting: number;
  readonly #hosts = new Map<string, { active: number; waiting: Array<() => void> }>();

  constructor(perHost: number, maxWaiting: number) {
    this.#perHost = perHost;
    this.#maxWaiting = maxWaiting;
  }

  /** Resolves with a release function once a slot is free; undefined when the wait list is full. */
  acquire(host: string): Promise<() => void> | undefined {
    let entry = this.#hosts.get(host);
    if (entry === undefined) {
      entry = { active: 0, waiting: [] };
      this.#hosts.set(host, entry);
    }
    const slot = entry;
    const release = (): void => {
      const next = slot.waiting.shift();
      if (next !== undefined) next();
      else if (--slot.active === 0) this.#hosts.delete(host);
    };
    if (slot.active < this.#perHost) {
      slot.active++;
      return Promise.resolve(once(release));
    }
    if (slot.waiting.length >= this.#maxWaiting) return undefined;
    // A released slot passes straight to the next waiter (active stays the same).
    return new Promise((resolve) => slot.waiting.push(() => resolve(once(release))));
  }

  /** In flight to `host` now (for tests and metrics). */
  active(host: string): number {
    return this.#hosts.get(host)?.active ?? 0;
  }
}

function once(fn: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    fn();
  };
}
