import type { Clock } from "../../lib/time.ts";

/** What `InboxCapacity.admit` answers: a place in the queue to settle after the commit, or why not. */
export type Admission =
  | {
      readonly ok: true;
      /** After the commit: whether a job was queued (false: a duplicate, or the transaction failed). */
      settle(queued: boolean): void;
    }
  | { readonly ok: false; readonly reason: "full" | "share"; readonly message: string };

/** Below this fill of the queue every sender is admitted; from here on each is held to its share. */
const FAIR_SHARE_FROM = 0.5;

/**
 * Whether the inbox queue can take more (issue #4 item 4, issue #10 item 8): at `capacity` waiting
 * jobs the inbox answers 503 with Retry-After instead of letting the backlog, and memory, grow
 * without bound; and once the queue is half full, each sending server (the signer's host) may hold
 * at most `capacity / (n + 1)` of it, n being the number of servers with jobs queued, itself
 * included. One server flooding the inbox so gets half the queue at most, and there is always room
 * for a server that has nothing queued; servers below their share are still accepted.
 *
 * The counts per host come from the queue (`counts()`, one grouped count of the inbox jobs), at most
 * once per `ttlMs` however many requests ask (concurrent callers share one lookup). Between two
 * lookups, every admission is counted here the moment it is granted (`admit`, synchronously after
 * the lookup, so concurrent requests cannot all see the same stale depth): the queue does not
 * overshoot its capacity in this process. Jobs processed meanwhile are only seen at the next lookup,
 * so the depth errs on the high side. Several web processes each count their own admissions; the
 * overshoot across processes is bounded by what the others admit within one `ttlMs`.
 */
export class InboxCapacity {
  readonly #counts: () => Promise<ReadonlyMap<string, number>>;
  readonly #capacity: number;
  readonly #clock: Clock;
  readonly #ttlMs: number;
  /** The last lookup: queued inbox jobs per host ("" for jobs without one), and their sum. */
  #snapshot: ReadonlyMap<string, number> = new Map();
  #snapshotTotal = 0;
  #snapshotHosts = 0;
  #checkedAt = Number.NEGATIVE_INFINITY;
  #refreshing: Promise<void> | undefined;
  /** Admitted and not settled yet. */
  #reserved = new Tally();
  /** Settled as queued since the last lookup started (so possibly not in the snapshot). */
  #committed = new Tally();
  /** Hosts admitted since the last lookup that it did not list. */
  #newHosts = new Set<string>();

  constructor(deps: { counts: () => Promise<ReadonlyMap<string, number>>; capacity: number; clock: Clock; ttlMs?: number }) {
    this.#counts = deps.counts;
    this.#capacity = deps.capacity;
    this.#clock = deps.clock;
    this.#ttlMs = deps.ttlMs ?? 1000;
  }

  /** Jobs waiting or running in the inbox queue, counting admissions not yet committed. */
  async depth(): Promise<number> {
    await this.#fresh();
    return this.#total();
  }

  /** No place left for anyone (checked before the body is read, when the sender is not known yet). */
  async isFull(): Promise<boolean> {
    return (await this.depth()) >= this.#capacity;
  }

  /**
   * A place in the queue for one activity from `host`, counted at once; `settle` it after the
   * commit. Refused when the queue is full, or when it is half full and `host` holds its share.
   */
  async admit(host: string): Promise<Admission> {
    await this.#fresh();
    // From here to the reservation nothing awaits: concurrent requests are counted one by one.
    const total = this.#total();
    if (total >= this.#capacity) return { ok: false, reason: "full", message: "the inbox queue is full; try again later" };
    const held = (this.#snapshot.get(host) ?? 0) + this.#committed.get(host) + this.#reserved.get(host);
    if (total >= this.#capacity * FAIR_SHARE_FROM) {
      const known = this.#snapshot.has(host) || this.#newHosts.has(host);
      const share = this.shareOf(this.#snapshotHosts + this.#newHosts.size + (known ? 0 : 1));
      if (held >= share) {
        return { ok: false, reason: "share", message: `${host} holds its share of the inbox queue (${held} of ${share} queued jobs); try again later` };
      }
    }
    if (!this.#snapshot.has(host)) this.#newHosts.add(host);
    this.#reserved.add(host, 1);
    let settled = false;
    return {
      ok: true,
      settle: (queued) => {
        if (settled) return;
        settled = true;
        this.#reserved.add(host, -1);
        if (queued) this.#committed.add(host, 1);
      },
    };
  }

  /** The most one host may hold once the queue is half full, with `senders` servers holding jobs. */
  shareOf(senders: number): number {
    return Math.max(1, Math.floor(this.#capacity / (senders + 1)));
  }

  /** Forgets the last lookup, so the next check asks the queue (after an operator drained it, in tests). */
  invalidate(): void {
    this.#checkedAt = Number.NEGATIVE_INFINITY;
  }

  #total(): number {
    return this.#snapshotTotal + this.#committed.total + this.#reserved.total;
  }

  async #fresh(): Promise<void> {
    if (this.#clock.now().getTime() - this.#checkedAt < this.#ttlMs) return;
    this.#refreshing ??= this.#refresh().finally(() => {
      this.#refreshing = undefined;
    });
    await this.#refreshing;
  }

  async #refresh(): Promise<void> {
    // Commits settled before the lookup starts are in its answer; those settled while it runs may
    // or may not be, and are counted again until the next lookup (too high, never too low).
    const before = this.#committed;
    this.#committed = new Tally();
    let counts: ReadonlyMap<string, number>;
    try {
      counts = await this.#counts();
    } catch (error) {
      this.#committed.merge(before);
      throw error;
    }
    let total = 0;
    for (const n of counts.values()) total += n;
    this.#snapshot = counts;
    this.#snapshotTotal = total;
    this.#snapshotHosts = counts.size - (counts.has("") ? 1 : 0);
    this.#newHosts = new Set([...this.#committed.hosts(), ...this.#reserved.hosts()].filter((host) => !counts.has(host)));
    this.#checkedAt = this.#clock.now().getTime();
  }
}

/** Counts per host and their sum; hosts at zero are dropped. */
class Tally {
  readonly #byHost = new Map<string, number>();
  total = 0;

  get(host: string): number {
    return this.#byHost.get(host) ?? 0;
  }

  add(host: string, n: number): void {
    const next = this.get(host) + n;
    if (next === 0) this.#byHost.delete(host);
    else this.#byHost.set(host, next);
    this.total += n;
  }

  merge(other: Tally): void {
    for (const [host, n] of other.#byHost) this.add(host, n);
  }

  hosts(): IterableIterator<string> {
    return this.#byHost.keys();
  }
}
