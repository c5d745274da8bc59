import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { createPublicKey } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { parseDatabaseUrl } from "../config/config.ts";
import { openDatabase } from "../db/database.ts";
import { runWorkers } from "../queue/worker.ts";
import { createTestDatabase, describeEachEngine } from "../testing/databases.ts";
import { DELIVER_QUEUE } from "./delivery.job.ts";
import { createDeliveryHarness, TEST_ORIGIN, type DeliveryHarness } from "./testing/harness.ts";
import { startReceivers, type Receiver } from "./testing/receivers.ts";
import { verifySignedRequest } from "./testing/verify.ts";

const SERVERS = 200;
const CHILD = new URL("./testing/worker-child.ts", import.meta.url).pathname;

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string, stepMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

async function fanOutTo(h: DeliveryHarness, receivers: readonly Receiver[]): Promise<string> {
  for (const r of receivers) await h.addFollower({ inbox: r.url("/users/bob/inbox") });
  const { uri } = await h.publish("fan-out");
  return uri;
}

function verifier(h: DeliveryHarness) {
  const keys = new Map([[h.base.urls.rsaKeyId(h.account.username), createPublicKey(h.publicKeyPem)]]);
  return (parts: Parameters<typeof verifySignedRequest>[0]) => verifySignedRequest(parts, keys);
}

describeEachEngine("fan-out survives kill -9", (get) => {
  test(`a worker killed mid fan-out to ${SERVERS} inboxes: after a restart every inbox has it, only in-flight deliveries repeat`, { timeout: 120_000 }, async () => {
    const h = await createDeliveryHarness(get());
    const receivers = await startReceivers(SERVERS, { delayMs: 25 });
    const dataDir = mkdtempSync(join(tmpdir(), "herold-child-"));
    const children: ChildProcess[] = [];
    try {
      for (const r of receivers) r.set({ delayMs: 25, verify: verifier(h) });
      const uri = await fanOutTo(h, receivers);
      const env = {
        PATH: process.env.PATH ?? "",
        HEROLD_ORIGIN: TEST_ORIGIN,
        HEROLD_DATABASE_URL: get().url,
        HEROLD_DATA_DIR: dataDir,
        HEROLD_ALLOW_PRIVATE_ADDRESS: "true",
        HEROLD_DELIVERY_CONCURRENCY: "16",
        // Lease = total timeout (2 s): the restarted worker takes over the dead one's jobs soon.
        HEROLD_DELIVERY_TOTAL_TIMEOUT_MS: "2000",
      };
      const start = async (): Promise<{ child: ChildProcess; workerId: string; exited: Promise<unknown> }> => {
        const child = spawn(process.execPath, [CHILD], { env, stdio: ["ignore", "inherit", "inherit", "ipc"] });
        children.push(child);
        const exited = new Promise((resolve) => child.once("exit", resolve));
        const workerId = await new Promise<string>((resolve, reject) => {
          child.once("message", (m) => resolve((m as { workerId: string }).workerId));
          child.once("exit", (code) => reject(new Error(`worker exited early with ${code}`)));
        });
        return { child, workerId, exited };
      };
      const received = () => receivers.filter((r) => r.count(uri) > 0).length;

      const first = await start();
      await waitFor(() => received() >= 40, 60_000, "the fan-out to be under way", 2);
      first.child.kill("SIGKILL");
      await first.exited;
      const atKill = received();
      const held = await get()
        .database.db.selectFrom("jobs")
        .select("payload")
        .where("queue", "=", DELIVER_QUEUE)
        .where("locked_by", "=", first.workerId)
        .execute();
      const inFlight = new Set(held.map((j) => (JSON.parse(j.payload) as { inbox: string }).inbox));
      assert.ok(atKill < SERVERS, `killed in the middle (${atKill} delivered)`);
      assert.ok(inFlight.size > 0, "the killed worker held jobs");

      const second = await start();
      await waitFor(() => received() === SERVERS, 60_000, "every inbox to receive the activity");
      // The dead worker's jobs may have reached their inboxes and still be in the table until their
      // lease expires and the new worker sends them again: wait for the queue to drain.
      const pending = async () => (await h.base.queue.depth())[DELIVER_QUEUE];
      await waitFor(async () => (await pending()) === undefined, 60_000, "the queue to drain", 50);
      second.child.kill("SIGTERM");
      await second.exited;

      const repeated = receivers.filter((r) => r.count(uri) > 1);
      for (const r of repeated) {
        assert.ok(inFlight.has(r.url("/users/bob/inbox")), `${r.host} received it twice but was not in flight at the kill`);
        assert.equal(r.count(uri), 2);
      }
      assert.ok(repeated.length <= inFlight.size);
      for (const r of receivers) assert.deepEqual(r.refusals, [], "every signature verified");
      const left = await get().database.db.selectFrom("jobs").select(["queue", "last_error"]).where("queue", "in", [DELIVER_QUEUE, `dead:${DELIVER_QUEUE}`]).execute();
      assert.deepEqual(left, [], "nothing pending, nothing buried");
    } finally {
      for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await Promise.all(receivers.map((r) => r.close()));
      await h.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe("two worker loops on PostgreSQL", () => {
  test(`share one fan-out to ${SERVERS} inboxes without duplicates or losses`, { timeout: 120_000 }, async () => {
    const test = await createTestDatabase("postgres");
    const second = await openDatabase(parseDatabaseUrl(test.url, process.cwd()));
    const env = { HEROLD_DELIVERY_CONCURRENCY: "8" };
    const a = await createDeliveryHarness(test, { env });
    const b = await createDeliveryHarness(test, { env, account: false, database: second });
    const receivers = await startReceivers(SERVERS, { delayMs: 10 });
    const stop = new AbortController();
    try {
      for (const r of receivers) r.set({ delayMs: 10, verify: verifier(a) });
      const uri = await fanOutTo(a, receivers);
      const workers = Promise.all([
        runWorkers(a.base.queue, a.delivery.jobs, { workerId: "worker-a", signal: stop.signal }),
        runWorkers(b.base.queue, b.delivery.jobs, { workerId: "worker-b", signal: stop.signal }),
      ]);
      await waitFor(() => receivers.every((r) => r.count(uri) > 0), 60_000, "every inbox to receive the activity");
      // Let any duplicate that might be in flight arrive before counting.
      await waitFor(async () => (await a.base.queue.depth())[DELIVER_QUEUE] === undefined, 30_000, "the queue to drain");
      stop.abort();
      await workers;

      assert.deepEqual(
        receivers.map((r) => r.count(uri)),
        receivers.map(() => 1),
      );
      const okA = a.delivery.metrics.totals().results.ok;
      const okB = b.delivery.metrics.totals().results.ok;
      assert.equal(okA + okB, SERVERS);
      assert.ok(okA > 0 && okB > 0, `both workers delivered (${okA} + ${okB})`);
    } finally {
      stop.abort();
      await Promise.all(receivers.map((r) => r.close()));
      await b.close();
      await a.close();
      await second.close();
      await test.close();
    }
  });
});
