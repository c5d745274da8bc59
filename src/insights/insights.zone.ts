import { sql, type RawBuilder } from "kysely";

/**
 * Time for the rollups. An interaction or follow is counted in the local day (and hour of the week)
 * of the account's time zone in which it happened, so reading a period is a range of at most a few
 * hundred rows. Zones are handled with Intl only (no Temporal at run time on Node 24); every zone in
 * use today is offset from UTC by a multiple of 15 minutes, so the SQL recount works in quarter hours
 * since the epoch (`quarterOf`) and shifts them by the zone's offset, which changes at most at the
 * daylight-saving transitions `offsetSegments` finds.
 */

const DAY_MS = 86_400_000;
const QUARTER_MS = 900_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

function partsFormatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat("en-US", { timeZone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" });
    // Zones come from the accounts' settings: few, but bounded anyway.
    if (formatters.size > 200) formatters.clear();
    formatters.set(timeZone, f);
  }
  return f;
}

/** True for an IANA zone name Intl knows (and "UTC"). */
export function isTimeZone(name: string): boolean {
  if (name.length === 0 || name.length > 64 || !/^[A-Za-z0-9_+\-/]+$/.test(name)) return false;
  try {
    partsFormatter(name);
    return true;
  } catch {
    return false;
  }
}

/** Offset of `timeZone` from UTC at `ms`, in minutes (east positive). */
export function offsetMinutes(ms: number, timeZone: string): number {
  if (timeZone === "UTC") return 0;
  const p: Record<string, number> = {};
  for (const part of partsFormatter(timeZone).formatToParts(new Date(ms))) if (part.type !== "literal") p[part.type] = Number(part.value);
  const wall = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour! % 24, p.minute!);
  return Math.round((wall - Math.floor(ms / 60_000) * 60_000) / 60_000);
}

/** The local day (days since 1970-01-01 on the zone's calendar) of an instant. */
export function localDayOf(ms: number, timeZone: string): number {
  return Math.floor((ms + offsetMinutes(ms, timeZone) * 60_000) / DAY_MS);
}

/** Hour of the week in the zone, 0 = Monday 00:00 … 167 = Sunday 23:00 (1970-01-01 was a Thursday). */
export function hourOfWeekOf(ms: number, timeZone: string): number {
  const localHours = Math.floor((ms + offsetMinutes(ms, timeZone) * 60_000) / 3_600_000);
  return (localHours + 72) % 168;
}

/** The first instant of local day `day` in the zone. */
export function startOfLocalDay(day: number, timeZone: string): number {
  const midnight = day * DAY_MS;
  const first = midnight - offsetMinutes(midnight, timeZone) * 60_000;
  return midnight - offsetMinutes(first, timeZone) * 60_000;
}

export function dayNumber(date: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (m === null) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return null;
  return ms / DAY_MS;
}

export function dateOfDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

export interface OffsetSegment {
  /** Quarter hours since the epoch from which `offsetQuarters` no longer applies (null: the last). */
  readonly untilQuarter: number | null;
  readonly offsetQuarters: number;
}

/**
 * The zone's offsets between two instants, as segments in quarter hours: sampled weekly (zones change
 * offset at most a few times a year) and each change found exactly by bisection to the quarter hour.
 */
export function offsetSegments(fromMs: number, toMs: number, timeZone: string): OffsetSegment[] {
  const quarter = (ms: number) => Math.floor(ms / QUARTER_MS);
  const offsetQ = (q: number) => offsetMinutes(q * QUARTER_MS, timeZone) / 15;
  const segments: OffsetSegment[] = [];
  const WEEK_Q = 7 * 96;
  let q = quarter(fromMs);
  const end = quarter(toMs);
  let current = offsetQ(q);
  while (q < end) {
    const next = Math.min(q + WEEK_Q, end);
    if (offsetQ(next) !== current) {
      // The first quarter in (q, next] with another offset.
      let lo = q;
      let hi = next;
      while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2);
        if (offsetQ(mid) === current) lo = mid;
        else hi = mid;
      }
      segments.push({ untilQuarter: hi, offsetQuarters: current });
      current = offsetQ(hi);
      q = hi;
    } else {
      q = next;
    }
  }
  segments.push({ untilQuarter: null, offsetQuarters: current });
  return segments;
}

/**
 * Quarter hours since the epoch of an ISO-8601 UTC text column (`YYYY-MM-DDTHH:MM…Z`), in SQL both
 * engines run the same way: days from the civil date (H. Hinnant's algorithm, integer arithmetic
 * only), then hours and minutes. Used by the recount; the writes compute the same in JS.
 */
export function quarterOf(column: string): RawBuilder<number> {
  const c = sql.ref(column);
  const y = sql`(CAST(substr(${c}, 1, 4) AS INTEGER) - CASE WHEN CAST(substr(${c}, 6, 2) AS INTEGER) <= 2 THEN 1 ELSE 0 END)`;
  const m = sql`CAST(substr(${c}, 6, 2) AS INTEGER)`;
  const d = sql`CAST(substr(${c}, 9, 2) AS INTEGER)`;
  const era = sql`(${y} / 400)`;
  const yoe = sql`(${y} - ${era} * 400)`;
  const doy = sql`((153 * (CASE WHEN ${m} > 2 THEN ${m} - 3 ELSE ${m} + 9 END) + 2) / 5 + ${d} - 1)`;
  const doe = sql`(${yoe} * 365 + ${yoe} / 4 - ${yoe} / 100 + ${doy})`;
  const days = sql`(${era} * 146097 + ${doe} - 719468)`;
  return sql<number>`(${days} * 96 + CAST(substr(${c}, 12, 2) AS INTEGER) * 4 + CAST(substr(${c}, 15, 2) AS INTEGER) / 15)`;
}

/** The local quarter of a quarter column: `quarter` shifted by the zone's offset at that quarter. */
export function localQuarterOf(quarter: RawBuilder<number>, segments: readonly OffsetSegment[]): RawBuilder<number> {
  if (segments.length === 1) return sql<number>`(${quarter} + ${sql.lit(segments[0]!.offsetQuarters)})`;
  const whens = segments
    .filter((s) => s.untilQuarter !== null)
    .map((s) => sql`WHEN ${quarter} < ${sql.lit(s.untilQuarter)} THEN ${sql.lit(s.offsetQuarters)}`);
  const last = segments[segments.length - 1]!.offsetQuarters;
  return sql<number>`(${quarter} + CASE ${sql.join(whens, sql` `)} ELSE ${sql.lit(last)} END)`;
}

export function quarterOfMs(ms: number): number {
  return Math.floor(ms / QUARTER_MS);
}

/**
 * `localDayOf` for many instants between `fromMs` and `toMs`: the zone's offsets are found once, so
 * each instant costs a search of a few segments instead of an Intl call (a report ranks thousands of posts).
 */
export function localDayFunction(timeZone: string, fromMs: number, toMs: number): (ms: number) => number {
  const segments = offsetSegments(fromMs - 2 * 86_400_000, toMs + 2 * 86_400_000, timeZone);
  return (ms) => {
    const q = Math.floor(ms / QUARTER_MS);
    const segment = segments.find((s) => s.untilQuarter === null || q < s.untilQuarter)!;
    return Math.floor((ms + segment.offsetQuarters * QUARTER_MS) / DAY_MS);
  };
}
