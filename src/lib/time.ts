/** A clock that tests can move (retries over "two days" without waiting two days). */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A settable clock for tests. */
export class ManualClock implements Clock {
  #time: number;
  constructor(start: Date | string = new Date()) {
    this.#time = new Date(start).getTime();
  }
  now(): Date {
    return new Date(this.#time);
  }
  advance(ms: number): void {
    this.#time += ms;
  }
  set(time: Date | string): void {
    this.#time = new Date(time).getTime();
  }
}

/** ISO-8601 text in UTC with milliseconds: sorts correctly as text on both engines. */
export function iso(date: Date = new Date()): string {
  return date.toISOString();
}
