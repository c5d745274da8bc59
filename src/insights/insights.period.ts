import { err, ok, unreachable, type Result } from "../lib/result.ts";
import type { InsightsPeriod } from "./insights.ports.ts";
import { dayNumber, localDayOf } from "./insights.zone.ts";

/** The longest period a report covers (ten years), so a typo cannot ask for a century of days. */
export const MAX_PERIOD_DAYS = 3660;

/** A period resolved to local day numbers (inclusive), with the previous period of the same length. */
export interface ResolvedPeriod {
  readonly fromDay: number;
  readonly toDay: number;
  readonly previousFromDay: number;
  readonly previousToDay: number;
}

/**
 * "The last N days" ends today (in the account's zone) and includes it; from–to is inclusive. The
 * previous period is the same number of days right before.
 */
export function resolvePeriod(period: InsightsPeriod, nowMs: number, timeZone: string): Result<ResolvedPeriod, "bad-period"> {
  let fromDay: number;
  let toDay: number;
  switch (period.kind) {
    case "days": {
      if (!Number.isInteger(period.days) || period.days < 1 || period.days > MAX_PERIOD_DAYS) return err("bad-period", `the number of days must be a whole number from 1 to ${MAX_PERIOD_DAYS}`);
      toDay = localDayOf(nowMs, timeZone);
      fromDay = toDay - period.days + 1;
      break;
    }
    case "range": {
      const from = dayNumber(period.from);
      const to = dayNumber(period.to);
      if (from === null) return err("bad-period", `not a date (YYYY-MM-DD): ${JSON.stringify(period.from)}`);
      if (to === null) return err("bad-period", `not a date (YYYY-MM-DD): ${JSON.stringify(period.to)}`);
      if (from > to) return err("bad-period", `the period starts (${period.from}) after it ends (${period.to})`);
      if (to - from + 1 > MAX_PERIOD_DAYS) return err("bad-period", `a period is at most ${MAX_PERIOD_DAYS} days`);
      fromDay = from;
      toDay = to;
      break;
    }
    default:
      return unreachable(period);
  }
  const length = toDay - fromDay + 1;
  return ok({ fromDay, toDay, previousFromDay: fromDay - length, previousToDay: fromDay - 1 });
}
