import type { InsightsPeriod } from "../insights/insights.ports.ts";
import { err, ok, type Result } from "../lib/result.ts";

/** The periods the selector offers; `days` accepts any whole number up to MAX_DAYS (a BI tool may ask for 14). */
export const PERIOD_CHOICES = [7, 30, 90, 365] as const;
export const DEFAULT_DAYS = 30;
/** Ten years: far beyond any account's history, small enough that a typo cannot ask for a century of days. */
export const MAX_DAYS = 3660;

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * The period of an Insights page or download from its query: `?days=N`, or `?from=YYYY-MM-DD&to=YYYY-MM-DD`
 * (inclusive, in the account's time zone), or nothing (the last 30 days). Anything else is refused with a
 * message the page shows, so a bad link is answered 400 and never reaches the service.
 */
export function parsePeriod(query: (name: string) => string | undefined): Result<InsightsPeriod, "bad-period"> {
  const days = query("days");
  const from = query("from");
  const to = query("to");
  const hasRange = (from ?? "") !== "" || (to ?? "") !== "";
  if (hasRange) {
    if ((days ?? "") !== "") return err("bad-period", "Choose either a number of days or a from–to range, not both.");
    if (from === undefined || from === "" || to === undefined || to === "") return err("bad-period", "A range needs both a from and a to date.");
    const start = dayNumber(from);
    const end = dayNumber(to);
    if (start === null) return err("bad-period", `The from date must be a date like 2026-03-01 (got ${JSON.stringify(from.slice(0, 40))}).`);
    if (end === null) return err("bad-period", `The to date must be a date like 2026-03-31 (got ${JSON.stringify(to.slice(0, 40))}).`);
    if (end < start) return err("bad-period", "The from date must not be after the to date.");
    if (end - start + 1 > MAX_DAYS) return err("bad-period", `A range may be at most ${MAX_DAYS} days long.`);
    return ok({ kind: "range", from, to });
  }
  if (days === undefined || days === "") return ok({ kind: "days", days: DEFAULT_DAYS });
  if (!/^\d+$/.test(days)) return err("bad-period", `The number of days must be a whole number (got ${JSON.stringify(days.slice(0, 40))}).`);
  const n = days.length > 6 ? Number.POSITIVE_INFINITY : Number(days);
  if (n < 1 || n > MAX_DAYS) return err("bad-period", `The number of days must be between 1 and ${MAX_DAYS}.`);
  return ok({ kind: "days", days: n });
}

/** The query string that names a period, for links to the same period (downloads, the selector). */
export function periodQuery(period: InsightsPeriod): string {
  switch (period.kind) {
    case "days":
      return `days=${period.days}`;
    case "range":
      return `from=${period.from}&to=${period.to}`;
  }
}

/** Days since 1970-01-01 of a real calendar date, or null (2026-02-30 is refused, not rolled over). */
export function dayNumber(date: string): number | null {
  const m = DATE.exec(date);
  if (m === null) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = Date.UTC(y, mo - 1, d);
  const back = new Date(t);
  if (y < 1970 || back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return null;
  return t / 86_400_000;
}

/** The date `n` days after (or before) a `YYYY-MM-DD` date. */
export function addDays(date: string, n: number): string {
  const day = dayNumber(date);
  if (day === null) throw new Error(`not a date: ${date}`);
  return new Date((day + n) * 86_400_000).toISOString().slice(0, 10);
}

/** The period of the same length just before `from`–`to` (what the report's `previous` figures cover). */
export function previousRange(from: string, to: string): { readonly from: string; readonly to: string } {
  const length = (dayNumber(to) ?? 0) - (dayNumber(from) ?? 0) + 1;
  return { from: addDays(from, -length), to: addDays(from, -1) };
}
