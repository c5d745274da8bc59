import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { test } from "node:test";

// A table is read and written only by the module that owns it; other modules use that module's
// ports (repositories, SQL subquery builders) handed in at the composition root. This scans the
// source for Kysely table references so a new query in the wrong module fails here.

const SRC = join(import.meta.dirname, "..");

/** Table → the directory (under src/) of the module that owns it. */
const OWNERS: Readonly<Record<string, string>> = {
  follows: "social/",
  interactions: "social/",
  blocks: "social/",
  outbox_activities: "federation/",
  home_feed: "post/",
  // Issue #14: each module keeps what insights reads from it, behind the ports in insights.ports.ts.
  delivery_outcomes: "delivery/",
  page_views: "pages/",
  server_software: "federation/",
  insights_days: "insights/",
  insights_hosts: "insights/",
  insights_heat: "insights/",
  insights_followers: "insights/",
  insights_posts: "insights/",
};

/**
 * Known places that still reach into another module's table, each to be moved behind a port by
 * the part of issue #11 named. Listed so that the list can only shrink: an entry that no longer
 * matches fails the test too.
 */
const PENDING: readonly string[] = [
];

/** Test support reads and seeds any table on purpose: tests, test kits, fixtures, the fuzzer. */
function isTestSupport(path: string): boolean {
  return /\.test\.ts$|(^|\/)testing\/|^hostile-inputs\//.test(path);
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "node_modules" || entry.name === "migrations" ? [] : sourceFiles(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

const TABLE_REFERENCE = /\b(?:selectFrom|insertInto|updateTable|deleteFrom|innerJoin|leftJoin|rightJoin|fullJoin|mergeInto)\(\s*"(\w+)/g;

function foreignReferences(): string[] {
  const found = new Set<string>();
  for (const file of sourceFiles(SRC)) {
    const path = relative(SRC, file).split("\\").join("/");
    if (isTestSupport(path) || path.startsWith("db/")) continue;
    for (const match of readFileSync(file, "utf8").matchAll(TABLE_REFERENCE)) {
      const owner = OWNERS[match[1]!];
      if (owner !== undefined && !path.startsWith(owner)) found.add(`${path} ${match[1]}`);
    }
  }
  return [...found].sort();
}

test("follows, interactions, home_feed, outbox_activities and the insights tables are queried only by the modules that own them", () => {
  const foreign = foreignReferences();
  assert.deepEqual(foreign.filter((ref) => !PENDING.includes(ref)), [], "move these queries behind the owning module's port");
  assert.deepEqual(PENDING.filter((ref) => !foreign.includes(ref)), [], "these were fixed: remove them from PENDING");
});
