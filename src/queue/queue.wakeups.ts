/**
 * In-process wake-ups of `waitForWork`, engine-neutral. A wake for a queue nobody waits on is
 * remembered (pending) so the next wait returns at once: a notification between an empty claim
 * and the wait is not lost.
 */
export interface Wakeups {
  /** Ends the waits on `queue`, or lets the next one return at once. */
  wake(queue: string): void;
  /** Ends every wait (a reconnect may have lost notifications; `close`). */
  wakeAll(): void;
  /** A wait on `queue` for at most `boundMs`, or undefined when a wake is pending (then return at once). */
  wait(queue: string, signal: AbortSignal, boundMs: number): Waiter | undefined;
}

export interface Waiter {
  /** Resolves on a wake, the signal aborting, or the bound; never rejects. */
  readonly done: Promise<void>;
  readonly finished: boolean;
  /** Ends the wait after `ms` if that is sooner than its bound (the next delayed job falls due). */
  shorten(ms: number): void;
}

export function createWakeups(): Wakeups {
  const waiters = new Map<string, Set<() => void>>();
  const pending = new Set<string>();

  return {
    wake(queue) {
      const set = waiters.get(queue);
      if (set !== undefined && set.size > 0) for (const resolve of [...set]) resolve();
      else pending.add(queue);
    },

    wakeAll() {
      for (const set of waiters.values()) for (const resolve of [...set]) resolve();
    },

    wait(queue, signal, boundMs) {
      if (pending.delete(queue)) return undefined;
      let set = waiters.get(queue);
      if (set === undefined) waiters.set(queue, (set = new Set()));
      const waiting = set;
      const started = performance.now();
      let timer: ReturnType<typeof setTimeout> | undefined;
      let finished = false;
      let finish!: () => void;

      const done = new Promise<void>((resolve) => {
        finish = (): void => {
          if (finished) return;
          finished = true;
          clearTimeout(timer);
          signal.removeEventListener("abort", finish);
          waiting.delete(finish);
          resolve();
        };
        waiting.add(finish);
        signal.addEventListener("abort", finish, { once: true });
        timer = setTimeout(finish, boundMs);
      });
      return {
        done,
        get finished() {
          return finished;
        },
        shorten(ms) {
          if (finished || ms >= boundMs - (performance.now() - started)) return;
          clearTimeout(timer);
          timer = setTimeout(finish, ms);
        },
      };
    },
  };
}
