import assert from "node:assert/strict";
import { test } from "node:test";
import { captureCli } from "../testing/cli.ts";
import { ManualClock } from "../lib/time.ts";
import { createTestDatabase } from "../testing/databases.ts";
import { DELIVER_QUEUE } from "./delivery.job.ts";
import { runDue } from "./testing/drive.ts";
import { createDeliveryHarness } from "./testing/harness.ts";
import { startReceiver } from "./testing/receivers.ts";

test("herold status prints queue depths, retry backlog, unavailable domains and failing hosts from the database", async () => {
  const db = await createTestDatabase("sqlite");
  // A day ahead of the CLI's real clock: the retry stays "delayed" however slow the machine is.
  const clock = new ManualClock(new Date(Date.now() + 86_400_000));
  const h = await createDeliveryHarness(db, { clock, random: () => 0 });
  const failing = await startReceiver({ status: 503 });
  const refusing = await startReceiver({ status: 422 });
  try {
    await h.addFollower({ inbox: failing.url("/inbox") });
    await h.addFollower({ inbox: refusing.url("/inbox") });
    await h.publish();
    await runDue(h.base.queue, h.delivery.jobs[0]!);
    const now = clock.now().toISOString();
    await db.database.db
      .insertInto("hosts")
      .values({ domain: "dead.example", failure_days_json: JSON.stringify(["2026-01-01", "2026-01-02"]), unavailable_since: now, last_error: "network: ECONNREFUSED", updated_at: now })
      .execute();

    const env = { HEROLD_DATABASE_URL: db.url, HEROLD_DATA_DIR: h.config.dataDir, HEROLD_ORIGIN: h.config.origin.origin };
    const run = (...argv: string[]) => captureCli(argv, env);

    const text = await run("status");
    assert.equal(text.code, 0, text.err);
    const lines = text.out.split("\n");
    assert.ok(lines.some((l) => /^ {2}deliver +0 \/ 1 \/ 0 \/ 1$/.test(l)), text.out);
    assert.ok(lines.some((l) => l.startsWith("Retry backlog: 1 deliveries waiting")), text.out);
    assert.ok(lines.includes("Unavailable domains: 1"), text.out);
    assert.ok(lines.some((l) => l.startsWith("  dead.example  since") && l.endsWith("failures on 2 days, last: network: ECONNREFUSED")), text.out);
    assert.ok(lines.some((l) => l.startsWith(`  ${failing.host}  failures on 1 day(s)`) && l.endsWith(": HTTP 503")), text.out);
    assert.ok(lines.some((l) => /^ +1 {2}HTTP 422$/.test(l)), text.out);

    const json = await run("status", "--json");
    assert.equal(json.code, 0, json.err);
    const report = JSON.parse(json.out) as { queues: Record<string, unknown>; unavailableCount: number; failing: Array<{ domain: string }> };
    assert.deepEqual(report.queues[DELIVER_QUEUE], { ready: 0, delayed: 1, running: 0, dead: 1 });
    assert.equal(report.unavailableCount, 1);
    assert.deepEqual(report.failing.map((f) => f.domain), [failing.host]);

    assert.equal((await run("status", "extra")).code, 2, "usage errors are reported");
  } finally {
    await failing.close();
    await refusing.close();
    await h.close();
    await db.close();
  }
});
