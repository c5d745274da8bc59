import assert from "node:assert/strict";
import { test } from "node:test";
import { formatDate, formatLocal, formatTime, formatZoned, fromWallTime, isTimeZone, parseWallTime, resolveWallTime, timeZoneNames, toWallTime, ZONE_CACHE_SIZE } from "./time-zone.ts";

test("wall times in a zone become the right UTC instants, across the year", () => {
  assert.equal(fromWallTime({ year: 2026, month: 1, day: 15, hour: 9, minute: 30 }, "Europe/Berlin").toISOString(), "2026-01-15T08:30:00.000Z");
  assert.equal(fromWallTime({ year: 2026, month: 7, day: 15, hour: 9, minute: 30 }, "Europe/Berlin").toISOString(), "2026-07-15T07:30:00.000Z");
  assert.equal(fromWallTime({ year: 2026, month: 7, day: 15, hour: 9, minute: 30 }, "America/New_York").toISOString(), "2026-07-15T13:30:00.000Z");
  assert.equal(fromWallTime({ year: 2026, month: 12, day: 31, hour: 23, minute: 59 }, "UTC").toISOString(), "2026-12-31T23:59:00.000Z");
  assert.equal(fromWallTime({ year: 2026, month: 3, day: 1, hour: 0, minute: 15 }, "Asia/Kathmandu").toISOString(), "2026-02-28T18:30:00.000Z");
});

test("daylight saving: a time in the spring gap moves forward, a repeated autumn time takes the first", () => {
  // 29 March 2026, Berlin: 02:00 → 03:00. 02:30 does not exist; calendars show 03:30.
  assert.equal(fromWallTime({ year: 2026, month: 3, day: 29, hour: 2, minute: 30 }, "Europe/Berlin").toISOString(), "2026-03-29T01:30:00.000Z");
  // 25 October 2026, Berlin: 03:00 → 02:00. 02:30 happens twice; the first is 00:30 UTC.
  assert.equal(fromWallTime({ year: 2026, month: 10, day: 25, hour: 2, minute: 30 }, "Europe/Berlin").toISOString(), "2026-10-25T00:30:00.000Z");
});

test("round trips and parsing of what date and time inputs send", () => {
  for (const zone of ["Europe/Berlin", "America/Los_Angeles", "Australia/Lord_Howe", "UTC"]) {
    for (const iso of ["2026-01-01T00:00:00.000Z", "2026-06-30T12:45:00.000Z", "2026-10-26T01:15:00.000Z"]) {
      const wall = toWallTime(new Date(iso), zone);
      assert.equal(fromWallTime(wall, zone).toISOString(), iso, `${zone} ${iso}`);
    }
  }
  const wall = parseWallTime("2026-02-28", "07:05");
  assert.deepEqual(wall, { year: 2026, month: 2, day: 28, hour: 7, minute: 5 });
  assert.equal(formatDate(wall!), "2026-02-28");
  assert.equal(formatTime(wall!), "07:05");
  for (const [date, time] of [["2026-02-29", "10:00"], ["2026-13-01", "10:00"], ["2026-01-01", "24:00"], ["26-01-01", "10:00"], ["2026-01-01", "7:5"]]) {
    assert.equal(parseWallTime(date!, time!), null, `${date} ${time}`);
  }
});

test("only real IANA zone names are accepted", () => {
  assert.equal(isTimeZone("Europe/Berlin"), true);
  assert.equal(isTimeZone("UTC"), true);
  assert.equal(isTimeZone("Mars/Olympus_Mons"), false);
  assert.equal(isTimeZone("Europe/Berlin\"><script>"), false);
  assert.equal(isTimeZone(""), false);
});

/**
 * Counts the Intl.DateTimeFormat objects built while `use` runs. A formatter costs ~40 µs and native
 * memory the garbage collector does not see, so building one per timestamp drove a role-all process
 * past 800 MB after a few hundred web-app pages.
 */
function formattersBuilt(use: () => void): number {
  const original = Intl.DateTimeFormat;
  let built = 0;
  Intl.DateTimeFormat = new Proxy(original, {
    construct(target, args: ConstructorParameters<typeof Intl.DateTimeFormat>) {
      built++;
      return new target(...args);
    },
  });
  try {
    use();
  } finally {
    Intl.DateTimeFormat = original;
  }
  return built;
}

test("formatters are built once per zone and kept, not once per timestamp or check", () => {
  const zone = "Pacific/Chatham"; // not used by the tests above: its formatters are not cached yet
  const built = formattersBuilt(() => {
    for (let i = 0; i < 200; i++) {
      formatLocal(new Date(Date.UTC(2026, 0, 1, 0, i)), zone);
      toWallTime(new Date(Date.UTC(2026, 0, 1, 0, i)), zone);
      fromWallTime({ year: 2026, month: 1, day: 1, hour: 12, minute: i % 60 }, zone);
      assert.equal(isTimeZone(zone), true);
    }
  });
  assert.ok(built <= 2, `${built} formatters built for 800 calls in one zone`);
  assert.equal(formatLocal("2026-03-03T14:05:00Z", "Europe/Berlin"), "Tue, 3 Mar 2026, 15:05");
  assert.equal(formattersBuilt(() => formatLocal("2026-03-03T14:05:00Z", "Europe/Berlin")), 0);
});

test("the formatter cache is bounded: zone names come from people and browsers", () => {
  // Intl accepts every zone in any letter case ("europe/berlin"), so the names are many; the
  // least recently used formatters make room.
  const zones = Intl.supportedValuesOf("timeZone").slice(0, ZONE_CACHE_SIZE + 10);
  assert.equal(zones.length, ZONE_CACHE_SIZE + 10);
  for (const zone of zones) assert.equal(isTimeZone(zone.toLowerCase()), true, zone);
  // The first zone was evicted (built again), the last is still cached.
  assert.equal(formattersBuilt(() => isTimeZone(zones.at(-1)!.toLowerCase())), 0);
  assert.equal(formattersBuilt(() => isTimeZone(zones[0]!.toLowerCase())), 1);
  // A name Intl refuses is not cached and still refused.
  assert.equal(isTimeZone("Mars/Olympus_Mons"), false);
  assert.equal(isTimeZone("Mars/Olympus_Mons"), false);
});

test("a typed time in a daylight-saving gap is refused, one in an overlap is the earlier and says so", () => {
  // 28 March 2027, Berlin: 02:00 → 03:00, so 02:30 never happens.
  const gap = resolveWallTime({ year: 2027, month: 3, day: 28, hour: 2, minute: 30 }, "Europe/Berlin");
  assert.equal(gap.kind, "gap");
  // 31 October 2027, Berlin: 03:00 → 02:00, so 02:30 happens at 00:30 and at 01:30 UTC.
  const overlap = resolveWallTime({ year: 2027, month: 10, day: 31, hour: 2, minute: 30 }, "Europe/Berlin");
  assert.deepEqual(overlap.kind === "ambiguous" && [overlap.at.toISOString(), overlap.later.toISOString()], ["2027-10-31T00:30:00.000Z", "2027-10-31T01:30:00.000Z"]);
  // Either side of the spring change, 18:00 in Berlin is 17:00 UTC (winter) and 16:00 UTC (summer).
  const winter = resolveWallTime({ year: 2027, month: 3, day: 27, hour: 18, minute: 0 }, "Europe/Berlin");
  const summer = resolveWallTime({ year: 2027, month: 3, day: 28, hour: 18, minute: 0 }, "Europe/Berlin");
  assert.deepEqual(winter.kind === "exact" && winter.at.toISOString(), "2027-03-27T17:00:00.000Z");
  assert.deepEqual(summer.kind === "exact" && summer.at.toISOString(), "2027-03-28T16:00:00.000Z");
  assert.equal(resolveWallTime({ year: 2027, month: 1, day: 1, hour: 0, minute: 0 }, "UTC").kind, "exact");
});

test("zoned labels name the zone, and the zone list offers UTC first and every IANA zone", () => {
  assert.equal(formatZoned("2027-03-27T17:00:00Z", "Europe/Berlin"), "Sat, 27 Mar 2027, 18:00 Europe/Berlin");
  const names = timeZoneNames();
  assert.equal(names[0], "UTC");
  assert.ok(names.includes("Europe/Berlin") && names.includes("America/New_York"));
  assert.equal(new Set(names).size, names.length);
});
