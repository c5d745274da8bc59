/**
 * `npm run bench -- inbound [--activities 10000] [--db sqlite|postgres] [--web] [--cpu-prof DIR]`:
 * how many signed activities per second Herold's inbox accepts, and processes, against a probe that
 * only verifies signatures.
 *
 * Processes, each its own so that rates, CPU time and memory are not mixed up (all on 127.0.0.1):
 * - this one: the simulated remote servers (bench/inbound/remote.ts) and the clock; it watches the
 *   jobs table through its own database connection, which costs the Herold process nothing;
 * - Herold: `src/main.ts --role all` with the Node options of `npm start`, on a fresh database (a temporary
 *   SQLite file, or with `--db postgres` a fresh schema in the `test` database at 127.0.0.1:5432)
 *   with one organisation account;
 * - the load generator (bench/inbound/loadgen.ts): distinct Create(Note) activities signed as
 *   Mastodon signs them, before the clock starts, POSTed to the shared inbox with keep-alive and
 *   `--concurrency` requests in flight;
 * - the probe (bench/inbound/probe.ts): verify + digest + JSON.parse + 202, nothing stored.
 *
 * Figures: (a) activities/s accepted (202: verified and durably queued), (b) activities/s fully
 * processed (from the first request until the inbox queue is empty again), CPU time per activity,
 * and the Herold process's peak RSS (VmHWM from /proc). The probe runs just before and just after
 * Herold with the same load generator; ratios use the mean of the two. Both subjects get a warm-up
 * set first (keys fetched and cached, code paths hot). With `--web`, a `--role web` process accepts a
 * set with no processing competing for its core, then a `--role worker` process drains it alone.
 */
import { fork, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { sql } from "kysely";
import { createTestDatabase, type TestDatabase } from "../src/testing/databases.ts";
import { freePort } from "../src/testing/instance.ts";
import { createAccount, createPost, npmStartOptions, startHerold, type HeroldProcess } from "./inbound/herold.ts";
import { ask, cpuSecondsOf, memoryOf, nextMessage, type Memory, type Message } from "./inbound/ipc.ts";
import type { LocalAccount } from "./inbound/mastodon.ts";
import { startRemoteServers, type RemoteServers } from "./inbound/remote.ts";
import type { SqlCounts } from "./inbound/sql-counter.ts";
import { formatReport, type Measured, type Report, type Sent } from "./inbound/report.ts";

const USERNAME = "acme";

export async function main(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      activities: { type: "string", default: "10000" },
      actors: { type: "string", default: "100" },
      servers: { type: "string", default: "10" },
      concurrency: { type: "string", default: "64" },
      warmup: { type: "string", default: "2000" },
      db: { type: "string", default: "sqlite" },
      /** Also measure a web-only process, then a worker-only process draining what it accepted. */
      web: { type: "boolean", default: false },
      /** The mix of activity types (bench/inbound/mastodon.ts MIX) on four local posts instead of Create(Note) only. */
      mix: { type: "boolean", default: false },
      /** Writes V8 CPU profiles of the Herold processes into this directory. */
      "cpu-prof": { type: "string" },
      /** Node options for the Herold processes, space separated; default: those of `npm start`. */
      "node-options": { type: "string" },
    },
    strict: true,
  });
  const count = positive(values.activities, "--activities");
  const actorCount = positive(values.actors, "--actors");
  const serverCount = Math.min(actorCount, positive(values.servers, "--servers"));
  const concurrency = positive(values.concurrency, "--concurrency");
  const warmup = positive(values.warmup, "--warmup");
  if (values.db !== "sqlite" && values.db !== "postgres") throw new Error("--db must be sqlite or postgres");
  const engine = values.db;
  const execArgv = [
    ...(values["cpu-prof"] ? ["--cpu-prof", `--cpu-prof-dir=${values["cpu-prof"]}`] : []),
    ...(values["node-options"]?.split(/\s+/).filter((o) => o !== "") ?? npmStartOptions()),
  ];

  const children: ChildProcess[] = [];
  const herolds: HeroldProcess[] = [];
  let remote: RemoteServers | undefined;
  let database: TestDatabase | undefined;
  const dataDir = mkdtempSync(join(tmpdir(), "herold-bench-inbound-"));
  try {
    const keyStart = performance.now();
    remote = await startRemoteServers(actorCount, serverCount);
    const keyMs = performance.now() - keyStart;
    const { actors } = remote;

    database = await createTestDatabase(engine);
    const db = database.database.db;
    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    const env = {
      HEROLD_ORIGIN: origin,
      HEROLD_DATABASE_URL: database.url,
      HEROLD_DATA_DIR: dataDir,
      // The simulated servers are loopback ports: the dev/test switch, as in every test.
      HEROLD_ALLOW_PRIVATE_ADDRESS: "true",
      HEROLD_LOG_LEVEL: "warning",
    };
    await createAccount(USERNAME, env);
    const targets = values.mix ? await Promise.all([1, 2, 3, 4].map((n) => createPost(USERNAME, `Our spring collection, part ${n}`, env))) : undefined;
    const kinds: Record<string, number> = {};
    const local: LocalAccount = { uri: `${origin}/users/${USERNAME}`, profileUrl: `${origin}/@${USERNAME}`, handle: `@${USERNAME}@127.0.0.1:${port}` };
    const inbox = `${origin}/inbox`;

    const child = (file: string) => {
      const started = fork(new URL(`./inbound/${file}`, import.meta.url).pathname, [], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
      children.push(started);
      return started;
    };
    const loadgen = child("loadgen.ts");
    const probe = child("probe.ts");
    await Promise.all([nextMessage(loadgen, "ready"), nextMessage(probe, "ready")]);
    const probeInbox = `http://127.0.0.1:${(await ask<Message & { port: number }>(probe, { type: "start", actors }, "listening")).port}/inbox`;

    let serial = 0;
    /** Signs `n` new activities for `target` in the load generator; returns the set's name. */
    const prepare = async (target: string, n: number): Promise<string> => {
      const name = `set${++serial}`;
      const prepared = await ask<Message & { kinds: Record<string, number> }>(loadgen, { type: "prepare", name, target, actors, local, count: n, mix: targets, prefix: `${Date.now().toString(36)}${serial}x` }, "prepared");
      if (target === inbox) for (const [kind, k] of Object.entries(prepared.kinds)) kinds[kind] = (kinds[kind] ?? 0) + k;
      return name;
    };
    const inboxJobs = async () => {
      const rows = await db.selectFrom("jobs").select(["queue", sql<number | string>`count(*)`.as("n")]).where("queue", "in", ["inbox", "dead:inbox"]).groupBy("queue").execute();
      const of = (queue: string) => Number(rows.find((r) => r.queue === queue)?.n ?? 0);
      return { waiting: of("inbox"), dead: of("dead:inbox") };
    };
    const drained = async () => {
      const until = performance.now() + 600_000;
      while ((await inboxJobs()).waiting > 0) {
        if (performance.now() > until) throw new Error("the inbox queue did not drain within 10 minutes");
        await sleep(50);
      }
    };

    /** Sends a prepared set to the process `pid` listens in; with `processing`, also times until the inbox queue is empty. */
    const measure = async (target: string, n: number, pid: number, processing: boolean, herold?: HeroldProcess): Promise<Measured> => {
      const name = await prepare(target, n);
      const sqlBefore = await herold?.sqlCounts();
      const cpuBefore = cpuSecondsOf(pid);
      const loadgenBefore = cpuSecondsOf(loadgen.pid!);
      const started = performance.now();
      let sentAll = false;
      const sending = ask<Message & Sent>(loadgen, { type: "run", name, concurrency }, "ran").then((sent) => {
        sentAll = true;
        return sent;
      });
      let processedMs: number | undefined;
      if (processing) {
        // The queue is empty before the first request too: only an empty queue after the last answer counts.
        const until = performance.now() + 600_000;
        for (;;) {
          await sleep(50);
          const after = sentAll;
          if (after && (await inboxJobs()).waiting === 0) break;
          if (memoryOf(pid) === undefined) throw new Error("the Herold process ended during the measurement");
          if (performance.now() > until) throw new Error("the inbox queue did not drain within 10 minutes");
        }
        processedMs = performance.now() - started;
      }
      const sent = await sending;
      const accepted = sent.statuses["202"] ?? 0;
      const sqlAfter = await herold?.sqlCounts();
      return {
        ...(sqlBefore !== undefined && sqlAfter !== undefined ? { sql: sqlDelta(sqlBefore, sqlAfter) } : {}),
        sent,
        accepted,
        acceptedPerS: (accepted * 1000) / sent.ms,
        processedMs,
        cpuSeconds: cpuSecondsOf(pid) - cpuBefore,
        loadgenBusy: (cpuSecondsOf(loadgen.pid!) - loadgenBefore) / (sent.ms / 1000),
      };
    };
    const mustAccept = (m: Measured, n: number, what: string, herold?: HeroldProcess) => {
      if (m.accepted !== n) throw new Error(`${what}: ${JSON.stringify(m.sent.statuses)} ${m.sent.firstError ?? ""}\n${herold?.output() ?? ""}`);
    };

    process.stdout.write(
      `inbound: ${count.toLocaleString("en")} signed ${targets === undefined ? "Create(Note)" : "mixed (posts, replies, likes, boosts, follows, undos, deletes)"} activities per run from ${actorCount} actors on ${serverCount} servers, ` +
        `${concurrency} in flight, keep-alive; Herold on ${engine}, node ${execArgv.join(" ")} src/main.ts (keys made in ${(keyMs / 1000).toFixed(1)} s)\n`,
    );

    // Role all: one process accepts and processes, as a small instance runs.
    const herold = await startHerold({ role: "all", port, env, execArgv });
    herolds.push(herold);
    const startupRss = memoryOf(herold.pid)!.rssMiB;
    mustAccept(await measure(inbox, warmup, herold.pid, true, herold), warmup, "warm-up", herold);
    mustAccept(await measure(probeInbox, warmup, probe.pid!, false), warmup, "probe warm-up");
    const probeBefore = await measure(probeInbox, count, probe.pid!, false);
    const all = await measure(inbox, count, herold.pid, true, herold);
    const allMemory = memoryOf(herold.pid)!;
    const probeAfter = await measure(probeInbox, count, probe.pid!, false);
    const metrics = (await fetch(`${origin}/metrics`).then((r) => r.text())).split("\n").filter((l) => l.startsWith('herold_queue_jobs{queue="inbox"'));
    const allExit = await herold.stop();

    let web: Report["web"];
    if (values.web) {
      const webProcess = await startHerold({ role: "web", port, env, execArgv });
      herolds.push(webProcess);
      // Warm-up of both roles: the web process accepts a set, a first worker process drains it.
      mustAccept(await measure(inbox, warmup, webProcess.pid, false), warmup, "web warm-up", webProcess);
      const warmWorker = await startHerold({ role: "worker", port, env, execArgv });
      herolds.push(warmWorker);
      await drained();
      await warmWorker.stop();
      const run = await measure(inbox, count, webProcess.pid, false, webProcess);
      const memory = memoryOf(webProcess.pid)!;
      const workerStart = performance.now();
      const worker = await startHerold({ role: "worker", port, env, execArgv });
      herolds.push(worker);
      const drainStart = performance.now();
      const cpuBefore = cpuSecondsOf(worker.pid);
      const sqlBefore = await worker.sqlCounts();
      await drained();
      const drainMs = performance.now() - drainStart;
      const drainSql = sqlDelta(sqlBefore, await worker.sqlCounts());
      const workerMemory: Memory = memoryOf(worker.pid)!;
      web = { run, memory, drainMs, drainCpuSeconds: cpuSecondsOf(worker.pid) - cpuBefore, workerStartMs: drainStart - workerStart, workerMemory, drainSql };
      await Promise.all([webProcess.stop(), worker.stop()]);
    }

    const posts = Number((await db.selectFrom("posts").select(sql<number | string>`count(*)`.as("n")).where("is_local", "=", 0).executeTakeFirstOrThrow()).n);
    const jobs = await inboxJobs();
    const expectedPosts = (warmup + count) * (web ? 2 : 1);
    process.stdout.write(
      formatReport({
        count,
        probe: [probeBefore, probeAfter],
        all: { run: all, startupRss, memory: allMemory, exit: allExit },
        ...(web ? { web } : {}),
        checks: { posts, expectedPosts: targets === undefined ? expectedPosts : undefined, kinds, waiting: jobs.waiting, dead: jobs.dead, actorFetches: remote.fetches(), metrics },
      }),
    );
    // Every accepted activity must have become a post: a benchmark that loses work measures nothing.
    // (With the mix, deletes and the order of arrival decide how many posts remain: only the queue is checked.)
    if ((targets === undefined && posts !== expectedPosts) || jobs.waiting > 0 || jobs.dead > 0) process.exitCode = 1;
  } finally {
    for (const herold of herolds) await herold.stop(10_000).catch(() => undefined);
    for (const child of children) if (child.connected) child.send({ type: "stop" });
    await Promise.all(children.map((child) => (child.exitCode !== null || child.signalCode !== null ? undefined : new Promise((r) => child.once("exit", r)))));
    await remote?.close();
    await database?.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function sqlDelta(before: SqlCounts, after: SqlCounts): SqlCounts {
  return { statements: after.statements - before.statements, transactions: after.transactions - before.transactions, commits: after.commits - before.commits };
}

function positive(text: string, name: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
  return value;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
