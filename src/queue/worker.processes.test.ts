import assert from "node:assert/strict";
import { fork, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { describeEachEngine } from "../testing/databases.ts";
import { createJobQueue } from "./queue.ts";

const WORKER = fileURLToPath(new URL("./testing/worker-process.ts", import.meta.url));

// Several worker processes on one database (a shared SQLite file in WAL mode, or one PostgreSQL):
// every job is handled exactly once while no lease expires.
describeEachEngine("queue workers in several processes", (get) => {
  test("three processes share 1,000 jobs without duplicates or losses", { timeout: 120_000 }, async (t) => {
    const db = get();
    const queue = createJobQueue(db.database);
    const name = `procs_${Math.random().toString(36).slice(2, 8)}`;
    const children: ChildProcess[] = [];
    t.after(async () => {
      for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill();
      await queue.close();
    });
    for (let i = 0; i < 3; i++) {
      children.push(fork(WORKER, [db.url, name], { stdio: ["ignore", "inherit", "inherit", "ipc"] }));
    }
    // Enqueue only once every process waits, so that all of them compete for the jobs.
    await Promise.all(children.map((child) => once(child, "message")));
    const count = 1000;
    await queue.enqueueMany(
      name,
      Array.from({ length: count }, (_, i) => ({ payload: i })),
    );

    for (let i = 0; i < 6000 && (await queue.depth())[name] !== undefined; i++) await new Promise((r) => setTimeout(r, 20));
    const reports = children.map((child) => once(child, "message") as Promise<[{ handled: number[] }]>);
    for (const child of children) child.send("stop");
    const handled = (await Promise.all(reports)).map(([report]) => report.handled);

    const all = handled.flat();
    assert.equal(all.length, count, "each job handled once");
    assert.equal(new Set(all).size, count, "no job handled twice");
    t.diagnostic(`jobs per process: ${handled.map((h) => h.length).join(", ")}`);
  });
});
