/**
 * `npm run bench -- reach [--servers 1000] [--rounds 30] [--db sqlite|postgres]`: what keeping
 * per-post delivery outcomes (issue #14, `delivery_outcomes`) adds to a fan-out, measured where it
 * happens, in this process, with the real delivery module on a fresh database:
 *
 * - publish side: the transaction that queues one deliver job per inbox (`DeliveryPort.enqueue`
 *   inside a transaction, as the outbound bridge runs it), without outcomes (an activity that is
 *   not a post's Create) and with one pending outcome per inbox;
 * - worker side: settling the N outcomes through the deliver job's batcher in groups of the delivery
 *   concurrency (what finishes together is written together), beside what the worker already does
 *   for the same jobs: deleting them with `completeMany` in groups of the same size.
 *
 * The two variants alternate round by round (which goes first alternates too), so a machine shared
 * with other work slows both alike; medians are printed with their ratio. `npm run bench -- fanout`
 * measures the whole path end to end.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createAppBase } from "../src/app/base.ts";
import { loadConfig } from "../src/config/config.ts";
import { DELIVER_QUEUE } from "../src/delivery/delivery.job.ts";
import { createDeliveryModule } from "../src/delivery/delivery.module.ts";
import { OutcomeBatcher } from "../src/delivery/outcome-batcher.ts";
import { DeliveryReachRepository } from "../src/delivery/reach.repository.ts";
import { OutboxRepository } from "../src/federation/outbound/outbox.repository.ts";
import { newId } from "../src/lib/id.ts";
import { systemClock } from "../src/lib/time.ts";
import { createTestDatabase } from "../src/testing/databases.ts";

export async function main(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    options: { servers: { type: "string", default: "1000" }, rounds: { type: "string", default: "30" }, db: { type: "string", default: "sqlite" } },
    strict: true,
  });
  const servers = Number(values.servers);
  const rounds = Number(values.rounds);
  if (!Number.isInteger(servers) || servers < 1 || !Number.isInteger(rounds) || rounds < 1) throw new Error("--servers and --rounds must be positive integers");
  const engine = values.db === "postgres" ? "postgres" : "sqlite";

  const test = await createTestDatabase(engine);
  const dataDir = mkdtempSync(join(tmpdir(), "herold-bench-reach-"));
  try {
    const config = loadConfig({ HEROLD_ORIGIN: "https://herold.test", HEROLD_DATABASE_URL: test.url, HEROLD_DATA_DIR: dataDir, HEROLD_LOG_LEVEL: "error" });
    const base = createAppBase({ config, database: test.database, clock: systemClock, secret: randomBytes(32), version: "bench" });
    const delivery = createDeliveryModule(base, { outbox: new OutboxRepository(test.database.db) });
    const created = await base.services.accounts.create({ username: "acme", type: "organization" });
    if (!created.ok) throw new Error(created.message);
    const account = created.value;
    const db = test.database.db;
    const inboxes = Array.from({ length: servers }, (_, i) => `https://s${i}.example/inbox`);
    const group = config.delivery.concurrency;
    const batcher = new OutcomeBatcher(new DeliveryReachRepository(test.database));

    const enqueue = async (reach: boolean): Promise<{ ms: number; activityId: string }> => {
      const activityId = newId();
      const started = performance.now();
      await db.transaction().execute((trx) => delivery.port.enqueue({ outboxActivityId: activityId, accountId: account.id, inboxes, ...(reach ? { reach: { postId: newId() } } : {}) }, trx));
      return { ms: performance.now() - started, activityId };
    };
    const claimAll = () => base.queue.claim(DELIVER_QUEUE, { limit: servers, leaseMs: 600_000, workerId: "bench" });

    const plain: number[] = [];
    const recorded: number[] = [];
    const completing: number[] = [];
    const settling: number[] = [];
    process.stdout.write(`delivery outcomes: fan-out to ${servers} inboxes, ${rounds} rounds on ${engine}; settled and completed in groups of ${group}\n`);
    for (let round = 0; round < rounds + 2; round++) {
      const order = round % 2 === 0 ? [false, true] : [true, false];
      for (const reach of order) {
        const { ms, activityId } = await enqueue(reach);
        // The first two rounds warm up (statements prepared, pages cached) and are not counted.
        if (round >= 2) (reach ? recorded : plain).push(ms);
        const jobs = await claimAll();
        let started = performance.now();
        for (let i = 0; i < jobs.length; i += group) await base.queue.completeMany(jobs.slice(i, i + group), "bench");
        if (round >= 2 && reach) completing.push(performance.now() - started);
        if (reach) {
          const at = new Date().toISOString();
          started = performance.now();
          for (let i = 0; i < inboxes.length; i += group) {
            await Promise.all(inboxes.slice(i, i + group).map((inbox) => batcher.settle({ activityId, inbox, state: "delivered", at })));
          }
          if (round >= 2) settling.push(performance.now() - started);
        }
      }
      await db.deleteFrom("delivery_outcomes").execute();
    }
    const med = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
    const line = (label: string, ms: number) => `  ${label.padEnd(58)} ${ms.toFixed(1).padStart(8)} ms\n`;
    process.stdout.write(line("queue the jobs (activity without outcomes)", med(plain)));
    process.stdout.write(line("queue the jobs + one pending outcome per inbox", med(recorded)));
    process.stdout.write(`  publish-side ratio: ${(med(recorded) / med(plain)).toFixed(2)}× (+${(med(recorded) - med(plain)).toFixed(1)} ms per ${servers} inboxes)\n`);
    process.stdout.write(line("worker: complete the jobs (completeMany, already done)", med(completing)));
    process.stdout.write(line("worker: settle the outcomes (batcher)", med(settling)));
    process.stdout.write(`  worker-side: settling adds ${((med(settling) / med(completing)) * 100).toFixed(0)} % of what completing the same jobs costs\n`);
    await delivery.close();
    await base.queue.close();
  } finally {
    await test.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
