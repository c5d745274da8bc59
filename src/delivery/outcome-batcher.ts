import type { DeliveryReachRepository, SettledOutcome } from "./reach.repository.ts";

/**
 * Groups the deliver jobs' outcome writes: outcomes settled in the same event-loop turn, or while a
 * write is in flight, are written together in one transaction. Each caller still waits for its own
 * write, so a job is completed only after its outcome is stored (a crash in between leaves the
 * outcome pending and the job to run again, which settles it). A fan-out to 1,000 servers settles
 * its outcomes in a few statements instead of 1,000 transactions, which on SQLite each take the
 * write lock that the queue's own completions need.
 */
export class OutcomeBatcher {
  readonly #repository: Pick<DeliveryReachRepository, "settleMany">;
  #waiting: Array<{ outcome: SettledOutcome; done: () => void; failed: (error: unknown) => void }> = [];
  #writing: Promise<void> | undefined;

  constructor(repository: Pick<DeliveryReachRepository, "settleMany">) {
    this.#repository = repository;
  }

  /** Resolves when `outcome` is stored; rejects when its batch could not be written. */
  settle(outcome: SettledOutcome): Promise<void> {
    const stored = new Promise<void>((done, failed) => this.#waiting.push({ outcome, done, failed }));
    this.#writing ??= this.#drain();
    return stored;
  }

  async #drain(): Promise<void> {
    // Wait for the turn: on SQLite a statement finishes within microtasks, so without it every
    // outcome would be written alone.
    await new Promise((resolve) => setImmediate(resolve));
    while (this.#waiting.length > 0) {
      const batch = this.#waiting;
      this.#waiting = [];
      try {
        await this.#repository.settleMany(batch.map((b) => b.outcome));
        for (const b of batch) b.done();
      } catch (error) {
        for (const b of batch) b.failed(error);
      }
    }
    this.#writing = undefined;
  }
}
