/**
 * `npm run bench -- scaleout [--activities 3000] [--workers 1,2] [--webs 1,4]`: does a second worker
 * process (or a fourth web process) on one PostgreSQL add throughput, or contention? On a 2-core
 * machine wall-clock speed-up says little, so the figure is efficiency: inbound activities processed
 * per CPU-second of the worker processes (and accepted per CPU-second of the web processes), for n
 * processes against one, from /proc/<pid>/stat. The load generator and the simulated servers run
 * outside Herold (bench/inbound/).
 *
 * Workers: a `--role web` process accepts a set while no worker runs; then n `--role worker`
 * processes start, and once all are up they drain the queue. Their CPU is counted from then until
 * the inbox queue is empty. Each worker logs every processed activity (info level, the same cost for
 * every n); the benchmark counts the ids: an activity processed by two workers (a job run twice) is
 * reported. While they drain, pg_stat_activity is sampled every 20 ms for the workers' sessions
 * (application_name): samples waiting on a heavyweight lock (`wait_event_type = 'Lock'`: rows, e.g.
 * a counter's, or transactions) times the interval estimate the time spent waiting on locks.
 *
 * Webs: n `--role web` processes behind one origin (the load generator connects to each port, with the
 * origin's Host header, as a reverse proxy would) accept one set split between them, 64 requests in
 * flight in all; no worker runs meanwhile.
 */
import { fork, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { sql } from "kysely";
import { createTestDatabase, type TestDatabase } from "../src/testing/databases.ts";
import { freePort } from "../src/testing/instance.ts";
import { createAccount, npmStartOptions, startHerold, type HeroldProcess } from "./inbound/herold.ts";
import { ask, cpuSecondsOf, nextMessage, type Message } from "./inbound/ipc.ts";
import type { LocalAccount } from "./inbound/mastodon.ts";
import { startRemoteServers, type RemoteServers } from "./inbound/remote.ts";
import type { Sent } from "./inbound/report.ts";

const USERNAME = "acme";
const SAMPLE_MS = 20;
const GOAL_EFFICIENCY = 0.9;

interface WorkerRun {
  readonly n: number;
  readonly ms: number;
  readonly cpuSeconds: number;
  readonly processed: number;
  readonly twice: number;
  readonly lockWaitSeconds: number;
  readonly waits: Record<string, number>;
}

interface WebRun {
  readonly n: number;
  readonly ms: number;
  readonly cpuSeconds: number;
  readonly accepted: number;
  readonly statuses: Record<string, number>;
}

export async function main(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      activities: { type: "string", default: "3000" },
      actors: { type: "string", default: "100" },
      servers: { type: "string", default: "10" },
      concurrency: { type: "string", default: "64" },
      warmup: { type: "string", default: "1000" },
      workers: { type: "string", default: "1,2" },
      webs: { type: "string", default: "1,4" },
    },
    strict: true,
  });
  const count = positive(values.activities, "--activities");
  const actorCount = positive(values.actors, "--actors");
  const serverCount = Math.min(actorCount, positive(values.servers, "--servers"));
  const concurrency = positive(values.concurrency, "--concurrency");
  const warmup = positive(values.warmup, "--warmup");
  const workerCounts = values.workers.split(",").map((v) => positive(v, "--workers"));
  const webCounts = values.webs.split(",").map((v) => positive(v, "--webs"));
  const execArgv = npmStartOptions();

  const children: ChildProcess[] = [];
  const herolds: HeroldProcess[] = [];
  let remote: RemoteServers | undefined;
  let database: TestDatabase | undefined;
  const dataDir = mkdtempSync(join(tmpdir(), "herold-bench-scaleout-"));
  try {
    remote = await startRemoteServers(actorCount, serverCount);
    const { actors } = remote;
    database = await createTestDatabase("postgres");
    const db = database.database.db;
    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    const appName = `herold-scaleout-${process.pid}`;
    const env = {
      HEROLD_ORIGIN: origin,
      HEROLD_DATABASE_URL: database.url,
      HEROLD_DATA_DIR: dataDir,
      HEROLD_ALLOW_PRIVATE_ADDRESS: "true",
      HEROLD_LOG_LEVEL: "warning",
      PGAPPNAME: appName,
    };
    await createAccount(USERNAME, env);
    const local: LocalAccount = { uri: `${origin}/users/${USERNAME}`, profileUrl: `${origin}/@${USERNAME}`, handle: `@${USERNAME}@127.0.0.1:${port}` };
    const inbox = `${origin}/inbox`;

    const loadgen = fork(new URL("./inbound/loadgen.ts", import.meta.url).pathname, [], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
    children.push(loadgen);
    await nextMessage(loadgen, "ready");

    let serial = 0;
    const prepare = async (n: number, connect?: string): Promise<string> => {
      const name = `set${++serial}`;
      await ask(loadgen, { type: "prepare", name, target: inbox, connect, actors, local, count: n, prefix: `${Date.now().toString(36)}${serial}x` }, "prepared");
      return name;
    };
    const send = (name: string, inFlight: number) => ask<Message & Sent>(loadgen, { type: "run", name, concurrency: inFlight }, "ran");
    const waiting = async () =>
      Number((await db.selectFrom("jobs").select(sql<number | string>`count(*)`.as("n")).where("queue", "=", "inbox").executeTakeFirstOrThrow()).n);
    const drained = async () => {
      const until = performance.now() + 600_000;
      while ((await waiting()) > 0) {
        if (performance.now() > until) throw new Error("the inbox queue did not drain within 10 minutes");
        await sleep(SAMPLE_MS);
      }
    };
    const mustAccept = (sent: Sent, n: number, what: string) => {
      if ((sent.statuses["202"] ?? 0) !== n) throw new Error(`${what}: ${JSON.stringify(sent.statuses)} ${sent.firstError ?? ""}`);
    };

    process.stdout.write(
      `scaleout: PostgreSQL ${database.url.replace(/\?.*/, "")} (fresh schema), ${count.toLocaleString("en")} signed Create(Note) activities per run from ${actorCount} actors, ` +
        `${concurrency} in flight; this machine has ${(await import("node:os")).availableParallelism()} cores\n`,
    );

    // Warm-up: one web process accepts a set, one worker drains it (keys fetched, actors stored).
    const web = await startHerold({ role: "web", port, env, execArgv });
    herolds.push(web);
    mustAccept(await send(await prepare(warmup), concurrency), warmup, "warm-up");
    const warmWorker = await startHerold({ role: "worker", port, env, execArgv });
    herolds.push(warmWorker);
    await drained();
    await warmWorker.stop();

    const workerRuns: WorkerRun[] = [];
    for (const n of workerCounts) {
      mustAccept(await send(await prepare(count), concurrency), count, `fill for ${n} workers`);
      // CPU is counted from each worker's banner on, so the work of one that is up first counts too.
      const cpuBefore: number[] = [];
      const t0 = performance.now();
      const started = await Promise.all(
        Array.from({ length: n }, (_, i) =>
          startHerold({ role: "worker", port, env: { ...env, HEROLD_LOG_LEVEL: "info" }, execArgv }).then((worker) => {
            cpuBefore[i] = cpuSecondsOf(worker.pid);
            return worker;
          }),
        ),
      );
      herolds.push(...started);
      const processed = started.map(() => new Set<string>());
      started.forEach((worker, i) => {
        let rest = "";
        worker.child.stdout!.on("data", (chunk: string) => {
          const lines = (rest + chunk).split("\n");
          rest = lines.pop() ?? "";
          for (const line of lines) {
            const match = /processed ['"]?Create[^\s'"]*['"]? ['"]?([^'"\s]+)['"]? from/.exec(line);
            if (match !== null) processed[i]!.add(match[1]!);
          }
        });
      });
      const waits: Record<string, number> = {};
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          const { rows } = await sql<{ wait: string; n: string | number }>`
            SELECT wait_event_type || ':' || wait_event AS wait, count(*) AS n FROM pg_stat_activity
            WHERE application_name = ${appName} AND state = 'active' AND wait_event IS NOT NULL
            GROUP BY 1`.execute(db);
          for (const row of rows) waits[row.wait] = (waits[row.wait] ?? 0) + Number(row.n);
          await sleep(SAMPLE_MS);
        }
      })();
      await drained();
      const ms = performance.now() - t0;
      const cpuSeconds = started.reduce((sum, w, i) => sum + cpuSecondsOf(w.pid) - cpuBefore[i]!, 0);
      sampling = false;
      await sampler;
      // Let the last log lines arrive before counting.
      await Promise.all(started.map((w) => w.stop()));
      const all = new Map<string, number>();
      for (const ids of processed) for (const id of ids) all.set(id, (all.get(id) ?? 0) + 1);
      const lockSamples = Object.entries(waits).filter(([k]) => k.startsWith("Lock:")).reduce((s, [, v]) => s + v, 0);
      workerRuns.push({ n, ms, cpuSeconds, processed: all.size, twice: [...all.values()].filter((v) => v > 1).length, lockWaitSeconds: (lockSamples * SAMPLE_MS) / 1000, waits });
    }
    await web.stop();

    const webRuns: WebRun[] = [];
    for (const n of webCounts) {
      const ports = [port, ...(await Promise.all(Array.from({ length: n - 1 }, () => freePort())))];
      const webs = await Promise.all(ports.map((p) => startHerold({ role: "web", port: p, env, execArgv })));
      herolds.push(...webs);
      const share = (i: number) => Math.floor(count / n) + (i < count % n ? 1 : 0);
      // Warm each process's key cache and code paths first.
      await Promise.all(await Promise.all(ports.map(async (p) => send(await prepare(Math.ceil(warmup / n), `http://127.0.0.1:${p}/inbox`), Math.max(1, Math.floor(concurrency / n))))));
      const names = await Promise.all(ports.map((p, i) => prepare(share(i), `http://127.0.0.1:${p}/inbox`)));
      const cpuBefore = webs.map((w) => cpuSecondsOf(w.pid));
      const t0 = performance.now();
      const sent = await Promise.all(names.map((name) => send(name, Math.max(1, Math.floor(concurrency / n)))));
      const ms = performance.now() - t0;
      const cpuSeconds = webs.reduce((sum, w, i) => sum + cpuSecondsOf(w.pid) - cpuBefore[i]!, 0);
      const statuses: Record<string, number> = {};
      for (const s of sent) for (const [k, v] of Object.entries(s.statuses)) statuses[k] = (statuses[k] ?? 0) + v;
      webRuns.push({ n, ms, cpuSeconds, accepted: statuses["202"] ?? 0, statuses });
      await Promise.all(webs.map((w) => w.stop()));
      // The next run starts from an empty queue: a worker drains what these accepted.
      const drain = await startHerold({ role: "worker", port, env, execArgv });
      herolds.push(drain);
      await drained();
      await drain.stop();
    }

    process.stdout.write(report(workerRuns, webRuns));
    if (workerRuns.some((r) => r.twice > 0 || r.processed !== count)) process.exitCode = 1;
  } finally {
    for (const herold of herolds) await herold.stop(10_000).catch(() => undefined);
    for (const child of children) if (child.connected) child.send({ type: "stop" });
    await Promise.all(children.map((child) => (child.exitCode !== null || child.signalCode !== null ? undefined : new Promise((r) => child.once("exit", r)))));
    await remote?.close();
    await database?.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function report(workers: readonly WorkerRun[], webs: readonly WebRun[]): string {
  const fmt = (n: number) => Math.round(n).toLocaleString("en");
  const lines: string[] = [];
  const base = workers[0];
  for (const r of workers) {
    const perCpu = r.processed / r.cpuSeconds;
    const efficiency = base === undefined ? 1 : perCpu / (base.processed / base.cpuSeconds);
    const waits = Object.entries(r.waits)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 5)
      .map(([k, v]) => `${k} ${((v * SAMPLE_MS) / 1000).toFixed(2)} s`)
      .join(", ");
    lines.push(
      `  ${r.n} worker process(es): ${fmt(r.processed)} activities in ${(r.ms / 1000).toFixed(2)} s = ${fmt((r.processed * 1000) / r.ms)} /s; ` +
        `CPU ${r.cpuSeconds.toFixed(2)} s = ${fmt(perCpu)} activities per CPU-second (${fmt((r.cpuSeconds / r.processed) * 1e6)} µs each), ` +
        `${(efficiency * 100).toFixed(0)} % of one worker's (goal ≥ ${GOAL_EFFICIENCY * 100} %); processed twice: ${r.twice}; ` +
        `waiting on locks ~${r.lockWaitSeconds.toFixed(2)} s (sessions × time; top waits: ${waits || "none sampled"})`,
    );
  }
  const webBase = webs[0];
  for (const r of webs) {
    const perCpu = r.accepted / r.cpuSeconds;
    const efficiency = webBase === undefined ? 1 : perCpu / (webBase.accepted / webBase.cpuSeconds);
    lines.push(
      `  ${r.n} web process(es): ${fmt(r.accepted)} accepted in ${(r.ms / 1000).toFixed(2)} s = ${fmt((r.accepted * 1000) / r.ms)} /s; ` +
        `CPU ${r.cpuSeconds.toFixed(2)} s = ${fmt(perCpu)} accepted per CPU-second (${fmt((r.cpuSeconds / r.accepted) * 1e6)} µs each), ` +
        `${(efficiency * 100).toFixed(0)} % of one web process's (goal ≥ ${GOAL_EFFICIENCY * 100} %); statuses ${JSON.stringify(r.statuses)}`,
    );
  }
  return lines.join("\n") + "\n";
}

function positive(text: string, name: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
  return value;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
