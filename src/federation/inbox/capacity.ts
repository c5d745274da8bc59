import type { Clock } from "../../lib/time.ts";

/**
 * Whether the inbox queue can take more (issue #4 item 4): beyond `capacity` waiting jobs the inbox
 * answers 503 with Retry-After instead of letting the backlog, and memory, grow without bound.
 *
 * The depth comes from the queue (`depth()`), at most once per `ttlMs` however many requests ask:
 * concurrent callers share one lookup, so a flood does not become a flood of count queries.
 */
export class InboxCapacity {
  readonly #depth: () => Promise<number>;
  readonly #capacity: number;
  readonly #clock: Clock;
  readonly #ttlMs: number;
  #value = 0;
  #checkedAt = Number.NEGATIVE_INFINITY;
  #pending: Promise<number> | undefined;

  constructor(deps: { depth: () => Promise<number>; capacity: number; clock: Clock; ttlMs?: number }) {
    this.#depth = deps.depth;
    this.#capacity = deps.capacity;
    this.#clock = deps.clock;
    this.#ttlMs = deps.ttlMs ?? 1000;
  }

  /** Jobs waiting or running in the inbox queue, as of at most `ttlMs` ago. */
  async depth(): Promise<number> {
    if (this.#clock.now().getTime() - this.#checkedAt < this.#ttlMs) return this.#value;
    this.#pending ??= this.#depth()
      .then((value) => {
        this.#value = value;
        this.#checkedAt = this.#clock.now().getTime();
        return value;
      })
      .finally(() => {
        this.#pending = undefined;
      });
    return await this.#pending;
  }

  async isFull(): Promise<boolean> {
    return (await this.depth()) > this.#capacity;
  }

  /** Forgets the cached depth, so the next check asks the queue (after an operator drained it, in tests). */
  invalidate(): void {
    this.#checkedAt = Number.NEGATIVE_INFINITY;
  }
}
