import { Temporal } from "@js-temporal/polyfill";

/**
 * Wall-clock time in a person's time zone ↔ UTC instants. Scheduled posts are stored in UTC; people
 * type and read local times. Formatting and the calendar's day arithmetic use Intl (fast, cached
 * formatters); what a person *schedules* is resolved with Temporal (the polyfill: Node 24 has no
 * global Temporal), whose disambiguation tells a daylight-saving gap from an overlap exactly.
 */

/**
 * Formatters of one kind (locale and options), one per zone, built on first use and kept. Building
 * an Intl.DateTimeFormat costs ~40 µs and native memory the garbage collector does not account for,
 * so one per timestamp drove a role-all process past 800 MB of RSS after a few hundred web-app pages.
 * Bounded, least recently used first out: the zone names come from people's settings and browsers,
 * and Intl accepts each in any letter case.
 */
export const ZONE_CACHE_SIZE = 100;

class ZoneFormatters {
  readonly #locale: string;
  readonly #options: Intl.DateTimeFormatOptions;
  readonly #byZone = new Map<string, Intl.DateTimeFormat>();

  constructor(locale: string, options: Intl.DateTimeFormatOptions) {
    this.#locale = locale;
    this.#options = options;
  }

  /** The formatter for `timeZone`; throws RangeError for a zone Intl does not know (nothing is kept). */
  get(timeZone: string): Intl.DateTimeFormat {
    let f = this.#byZone.get(timeZone);
    if (f !== undefined) {
      // Map keeps insertion order: re-inserting marks the zone as most recently used.
      this.#byZone.delete(timeZone);
    } else {
      f = new Intl.DateTimeFormat(this.#locale, { ...this.#options, timeZone });
      if (this.#byZone.size >= ZONE_CACHE_SIZE) this.#byZone.delete(this.#byZone.keys().next().value!);
    }
    this.#byZone.set(timeZone, f);
    return f;
  }
}

/** Numeric parts for the wall-clock arithmetic below. */
const partsFormatters = new ZoneFormatters("en-US", {
  hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit",
});
/** "Tue, 3 Mar 2026, 14:05", for lists. */
const listFormatters = new ZoneFormatters("en-GB", { weekday: "short", day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23" });

/** True for IANA names Intl knows (and "UTC"). */
export function isTimeZone(name: string): boolean {
  if (name.length === 0 || name.length > 64 || !/^[A-Za-z0-9_+\-/]+$/.test(name)) return false;
  try {
    // The formatter that converting times in this zone needs anyway: checking builds no extra one.
    partsFormatters.get(name);
    return true;
  } catch {
    return false;
  }
}

export interface WallTime {
  readonly year: number;
  readonly month: number; // 1–12
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
}

/** The wall-clock time of `instant` in `timeZone`. */
export function toWallTime(instant: Date, timeZone: string): WallTime & { second: number } {
  const parts: Record<string, number> = {};
  for (const p of partsFormatters.get(timeZone).formatToParts(instant)) if (p.type !== "literal") parts[p.type] = Number(p.value);
  return { year: parts.year!, month: parts.month!, day: parts.day!, hour: parts.hour! % 24, minute: parts.minute!, second: parts.second! };
}

/** Offset of `timeZone` from UTC at `instant`, in milliseconds (east positive). */
function offsetAt(instant: number, timeZone: string): number {
  const w = toWallTime(new Date(instant), timeZone);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return asUtc - Math.floor(instant / 1000) * 1000;
}

/**
 * The UTC instant at which clocks in `timeZone` show `wall`. In a spring-forward gap (02:30 that never
 * happens) the later offset applies, i.e. the time is pushed forward, as calendars do; in the repeated
 * autumn hour the first occurrence is chosen.
 */
export function fromWallTime(wall: WallTime, timeZone: string): Date {
  const guess = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute);
  const first = guess - offsetAt(guess, timeZone);
  const second = guess - offsetAt(first, timeZone);
  if (first === second) {
    // Autumn overlap: an hour earlier may show the same wall time; prefer the earlier instant.
    const earlier = first - 3_600_000;
    const w = toWallTime(new Date(earlier), timeZone);
    if (w.hour === wall.hour && w.minute === wall.minute && w.day === wall.day) return new Date(earlier);
    return new Date(first);
  }
  return new Date(Math.max(first, second));
}

/**
 * What a wall time typed by a person means in their zone:
 * - `exact`: it happens once;
 * - `ambiguous`: it happens twice (the hour repeated when clocks go back); `at` is the earlier
 *   occurrence, `later` the other, so the page can say which one was taken;
 * - `gap`: it never happens (the hour skipped when clocks go forward): the person must choose
 *   another time rather than have the server move it silently.
 */
export type WallTimeResolution =
  | { readonly kind: "exact"; readonly at: Date }
  | { readonly kind: "ambiguous"; readonly at: Date; readonly later: Date }
  | { readonly kind: "gap"; readonly before: Date; readonly after: Date };

export function resolveWallTime(wall: WallTime, timeZone: string): WallTimeResolution {
  const local = Temporal.PlainDateTime.from({ year: wall.year, month: wall.month, day: wall.day, hour: wall.hour, minute: wall.minute });
  const earlier = local.toZonedDateTime(timeZone, { disambiguation: "earlier" });
  const later = local.toZonedDateTime(timeZone, { disambiguation: "later" });
  const at = (z: Temporal.ZonedDateTime) => new Date(z.epochMilliseconds);
  if (earlier.epochMilliseconds === later.epochMilliseconds) return { kind: "exact", at: at(earlier) };
  // In an overlap both candidates show the typed wall time; in a gap neither does (Temporal shifts
  // "earlier" back and "later" forward by the gap's length).
  if (Temporal.PlainDateTime.compare(earlier.toPlainDateTime(), local) === 0) return { kind: "ambiguous", at: at(earlier), later: at(later) };
  return { kind: "gap", before: at(earlier), after: at(later) };
}

/** Parses `YYYY-MM-DD` and `HH:MM` (what <input type=date/time> send). */
export function parseWallTime(date: string, time: string): WallTime | null {
  const d = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date.trim());
  const t = /^(\d{2}):(\d{2})(?::\d{2})?$/.exec(time.trim());
  if (d === null || t === null) return null;
  const wall = { year: Number(d[1]), month: Number(d[2]), day: Number(d[3]), hour: Number(t[1]), minute: Number(t[2]) };
  if (wall.month < 1 || wall.month > 12 || wall.day < 1 || wall.day > daysInMonth(wall.year, wall.month) || wall.hour > 23 || wall.minute > 59) return null;
  return wall;
}

export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

const pad = (n: number, width = 2): string => String(n).padStart(width, "0");

export function formatDate(w: Pick<WallTime, "year" | "month" | "day">): string {
  return `${pad(w.year, 4)}-${pad(w.month)}-${pad(w.day)}`;
}

export function formatTime(w: Pick<WallTime, "hour" | "minute">): string {
  return `${pad(w.hour)}:${pad(w.minute)}`;
}

/** "Tue, 3 Mar 2026, 14:05" in the person's zone, for lists. */
export function formatLocal(instant: string | Date, timeZone: string): string {
  return listFormatters.get(timeZone).format(new Date(instant));
}

/**
 * "Tue, 3 Mar 2026, 18:00 Europe/Berlin": every time a person reads says its zone, so a page can
 * never promise one hour and mean another (issue #12, item 1).
 */
export function formatZoned(instant: string | Date, timeZone: string): string {
  return `${formatLocal(instant, timeZone)} ${timeZone}`;
}

/** Every zone Intl knows, for the list a person picks from without JavaScript; UTC first. */
export function timeZoneNames(): readonly string[] {
  zoneNames ??= ["UTC", ...Intl.supportedValuesOf("timeZone").filter((z) => z !== "UTC")];
  return zoneNames;
}
let zoneNames: readonly string[] | undefined;
