import { Temporal } from "@js-temporal/polyfill";
import type { PageViewCounts } from "../insights/insights.ports.ts";
import { logger } from "../lib/logger.ts";
import type { Clock } from "../lib/time.ts";
import { isCrawler } from "./crawler.ts";
import type { PageKind, PageViewIncrement, PageViewRepository } from "./page-views.repository.ts";

const log = logger("pages", "views");

/** Counters are per quarter hour: zones offset by :30 and :45 still get exact local days. */
export const BUCKET_MS = 15 * 60_000;
/** How often buffered views are written (also at shutdown). A crash loses at most this much. */
export const FLUSH_EVERY_MS = 5_000;
/** Distinct counters kept in memory while writes fail; beyond, new views are dropped (and logged). */
const MAX_PENDING_COUNTERS = 50_000;
/** Longest period `viewsByDay` answers (ten years and a bit). */
const MAX_DAYS = 3700;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Views of local accounts' public pages, counted without tracking anyone: a view adds 1 to a counter
 * (account, page kind, quarter hour, crawler or not) and nothing else is looked at or kept — no IP,
 * no User-Agent (only whether it looks like a program), no cookie, no hash.
 *
 * Counting is off the response path: `record` adds to a map in memory, and the map is written every
 * FLUSH_EVERY_MS in one transaction (and by `close` at shutdown), so a page costs no database write
 * (on SQLite a write per page would queue every page behind the single writer). What a crash loses
 * is the last few seconds of views. Each web process counts its own views; the writes add up.
 */
export class PageViewService implements PageViewCounts {
  readonly #repository: PageViewRepository;
  readonly #clock: Clock;
  readonly #flushEveryMs: number;
  #pending = new Map<string, PageViewIncrement>();
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();
  #dropped = 0;

  constructor(deps: { repository: PageViewRepository; clock: Clock; flushEveryMs?: number }) {
    this.#repository = deps.repository;
    this.#clock = deps.clock;
    this.#flushEveryMs = deps.flushEveryMs ?? FLUSH_EVERY_MS;
  }

  /** Counts one view of a page of `accountId`. Synchronous and in memory; see the class comment. */
  record(accountId: string, kind: PageKind, userAgent: string | undefined): void {
    const crawler = isCrawler(userAgent);
    const bucket = new Date(Math.floor(this.#clock.now().getTime() / BUCKET_MS) * BUCKET_MS).toISOString();
    const key = `${accountId}\u0000${kind}\u0000${bucket}\u0000${crawler ? 1 : 0}`;
    const current = this.#pending.get(key);
    if (current !== undefined) {
      this.#pending.set(key, { ...current, views: current.views + 1 });
    } else if (this.#pending.size >= MAX_PENDING_COUNTERS) {
      this.#dropped++;
    } else {
      this.#pending.set(key, { accountId, bucket, kind, crawler, views: 1 });
    }
    // Started on the first view, so processes that serve no pages (CLI, worker) hold no timer.
    if (this.#timer === undefined) {
      this.#timer = setInterval(() => void this.flush(), this.#flushEveryMs);
      this.#timer.unref();
    }
  }

  /** Writes the buffered views in one transaction. Failed writes are kept for the next flush. */
  flush(): Promise<void> {
    // One flush at a time: a slow write and the next tick must not write the same views twice.
    this.#flushing = this.#flushing.then(() => this.#flushNow());
    return this.#flushing;
  }

  async #flushNow(): Promise<void> {
    if (this.#dropped > 0) {
      log.warn("{dropped} page views were not counted: too many counters waiting for the database", { dropped: this.#dropped });
      this.#dropped = 0;
    }
    if (this.#pending.size === 0) return;
    const batch = this.#pending;
    this.#pending = new Map();
    try {
      await this.#repository.add([...batch.values()]);
    } catch (error) {
      log.warn("could not write {count} page-view counters; kept for the next flush: {error}", { count: batch.size, error });
      for (const [key, increment] of batch) {
        const later = this.#pending.get(key);
        this.#pending.set(key, later === undefined ? increment : { ...increment, views: increment.views + later.views });
      }
    }
  }

  /** Stops the timer and writes what is buffered. Call before closing the database. */
  async close(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.flush();
  }

  /**
   * Views per local day in `timeZone` from `fromDay` to `toDay` inclusive (every day present, zeros
   * included). A local day is the sum of the quarter hours between its midnights, so days of 23 or
   * 25 hours (daylight saving) and zones offset by :30 or :45 come out exact. Views still buffered in
   * memory (the last seconds) are not included. Throws RangeError for a malformed day, an unknown
   * zone, or a period that is reversed or longer than ten years.
   */
  async viewsByDay(
    accountId: string,
    fromDay: string,
    toDay: string,
    timeZone: string,
  ): Promise<ReadonlyMap<string, { readonly views: number; readonly crawlerViews: number }>> {
    const days = daysBetween(fromDay, toDay);
    // Midnights: the start of each day and, last, the end of the period.
    const edges = [...days, Temporal.PlainDate.from(toDay).add({ days: 1 }).toString()].map((day) =>
      new Date(Temporal.PlainDate.from(day).toZonedDateTime({ timeZone }).epochMilliseconds).toISOString(),
    );
    const result = new Map<string, { views: number; crawlerViews: number }>(days.map((day) => [day, { views: 0, crawlerViews: 0 }]));
    const buckets = await this.#repository.byBucket(accountId, edges[0]!, edges[edges.length - 1]!);
    let day = 0;
    for (const bucket of buckets) {
      while (bucket.bucket >= edges[day + 1]!) day++;
      const figures = result.get(days[day]!)!;
      figures.views += bucket.views;
      figures.crawlerViews += bucket.crawlerViews;
    }
    return result;
  }
}

/** The days from `from` to `to` inclusive, as `YYYY-MM-DD`; RangeError for bad input. */
function daysBetween(from: string, to: string): string[] {
  if (!DAY.test(from) || !DAY.test(to)) throw new RangeError(`days must be YYYY-MM-DD: ${JSON.stringify(from)}, ${JSON.stringify(to)}`);
  // `overflow: "reject"` refuses 2026-02-30 instead of moving it to March.
  const start = Temporal.PlainDate.from(from, { overflow: "reject" });
  const end = Temporal.PlainDate.from(to, { overflow: "reject" });
  const count = start.until(end, { largestUnit: "days" }).days + 1;
  if (count < 1) throw new RangeError(`the period ends (${to}) before it starts (${from})`);
  if (count > MAX_DAYS) throw new RangeError(`a period of at most ${MAX_DAYS} days, not ${count}`);
  const days: string[] = [];
  for (let d = start; days.length < count; d = d.add({ days: 1 })) days.push(d.toString());
  return days;
}
