/**
 * `npm run bench -- inbound [--activities 10000] [--db sqlite|postgres] [--web] [--cpu-prof DIR]`:
 * how many signed activities per second Herold's inbox accepts and processes, against a probe that
 * only verifies signatures.
 *
 * Processes, each its own so that rates and memory are not mixed up (all on 127.0.0.1):
 * - this one: the simulated remote servers (actor documents with RSA-2048 keys, which Herold fetches
 *   once and caches), and the clock; it polls the jobs table through its own connection, so measuring
 *   costs the Herold process nothing;
 * - Herold: `src/main.ts --role all` on a fresh database (a temporary SQLite file, or a fresh schema
 *   in PostgreSQL's `test` database) with one organisation account;
 * - the load generator (bench/inbound/loadgen.ts): Mastodon-style signed Create(Note) activities,
 *   distinct ids, each mentioning the local account, signed before the clock starts, POSTed with
 *   keep-alive and `--concurrency` requests in flight to the shared inbox;
 * - the probe (bench/inbound/probe.ts): verify + digest + JSON.parse + 202, no storage.
 *
 * Figures: (a) activities/s accepted (202: verified and durably stored), (b) activities/s fully
 * processed (from the first request until the inbox queue is empty again and every post is stored),
 * and the Herold process's peak RSS (VmHWM). The probe runs before and after Herold; the ratio uses
 * their mean. With `--web`, a second Herold process with `--role web` accepts a set without any
 * processing competing for its core, and then a `--role worker` process drains it.
 */
import { fork, type ChildProcess } from "node:child_process";
import { generateKeyPair } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs, promisify } from "node:util";
import { sql } from "kysely";
import { createTestDatabase, type TestDatabase } from "../src/testing/databases.ts";
import { freePort } from "../src/testing/instance.ts";
import { createAccount, startHerold, type HeroldProcess } from "./inbound/herold.ts";
import { ask, cpuSecondsOf, memoryOf, nextMessage, type Message } from "./inbound/ipc.ts";
import { actorDocument, type LocalAccount, type RemoteActor } from "./inbound/mastodon.ts";

const USERNAME = "acme";
const GOAL_ACCEPTED_PER_S = 1000;
const GOAL_RSS_MB = 200;

interface Ran extends Message {
  readonly ms: number;
  readonly statuses: Record<string, number>;
  readonly errors: number;
  readonly firstError?: string;
  readonly p50: number;
  readonly p99: number;
}

interface HeroldRun {
  readonly ran: Ran;
  readonly accepted: number;
  readonly acceptedPerS: number;
  /** Undefined when nothing processes (web role). */
  readonly processedMs: number | undefined;
  /** CPU seconds the measured process used meanwhile. */
  readonly cpuSeconds: number;
  /** The load generator's CPU use while sending, in cores (near 1: it, not the subject, may be the limit). */
  readonly loadgenBusy: number;
}

const perS = (count: number, ms: number) => (count * 1000) / ms;
const fmt = (n: number) => Math.round(n).toLocaleString("en");
const mib = (n: number) => `${n.toFixed(1)} MiB`;

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
      /** Writes V8 CPU profiles of the Herold processes into this directory. */
      "cpu-prof": { type: "string" },
      /** More Node options for the Herold processes, space separated (e.g. "--max-semi-space-size=4" or "--import ./x.mjs"). */
      "node-options": { type: "string" },
    },
    strict: true,
  });
  const count = positive(values.activities, "--activities");
  const actorCount = positive(values.actors, "--actors");
  const serverCount = Math.min(actorCount, positive(values.servers, "--servers"));
  const concurrency = positive(values.concurrency, "--concurrency");
  const warmupCount = positive(values.warmup, "--warmup");
  if (values.db !== "sqlite" && values.db !== "postgres") throw new Error("--db must be sqlite or postgres");
  const engine = values.db;
  const execArgv = [
    ...(values["cpu-prof"] ? ["--cpu-prof", `--cpu-prof-dir=${values["cpu-prof"]}`] : []),
    ...(values["node-options"]?.split(/\s+/).filter((o) => o !== "") ?? []),
  ];

  const children: ChildProcess[] = [];
  const herolds: HeroldProcess[] = [];
  const servers: Server[] = [];
  let database: TestDatabase | undefined;
  const dataDir = mkdtempSync(join(tmpdir(), "herold-bench-inbound-"));
  try {
    // Simulated remote servers: actor documents only (Herold fetches each key once).
    const keyStart = performance.now();
    const pairs = await Promise.all(
      Array.from({ length: actorCount }, () =>
        promisify(generateKeyPair)("rsa", {
          modulusLength: 2048,
          publicKeyEncoding: { type: "spki", format: "pem" },
          privateKeyEncoding: { type: "pkcs8", format: "pem" },
        }),
      ),
    );
    const documents = new Map<string, string>();
    let actorFetches = 0;
    const ports: number[] = [];
    for (let s = 0; s < serverCount; s++) {
      const server = createServer((request, response) => {
        const body = documents.get(`${s}${new URL(request.url ?? "/", "http://x").pathname}`);
        if (body === undefined) return void response.writeHead(404).end();
        actorFetches++;
        response.writeHead(200, { "content-type": "application/activity+json" }).end(body);
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      servers.push(server);
      ports.push((server.address() as { port: number }).port);
    }
    const actors: RemoteActor[] = pairs.map((pair, i) => {
      const s = i % serverCount;
      const uri = `http://127.0.0.1:${ports[s]}/users/u${i}`;
      const actor = { uri, keyId: `${uri}#main-key`, publicKeyPem: pair.publicKey, privateKeyPem: pair.privateKey };
      documents.set(`${s}/users/u${i}`, JSON.stringify(actorDocument(actor, `u${i}`)));
      return actor;
    });
    const keyMs = performance.now() - keyStart;

    // Herold's database and its one account.
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
    const local: LocalAccount = { uri: `${origin}/users/${USERNAME}`, profileUrl: `${origin}/@${USERNAME}`, handle: `@${USERNAME}@127.0.0.1:${port}` };
    const inbox = `${origin}/inbox`;

    const start = (file: string) => {
      const child = fork(new URL(`./inbound/${file}`, import.meta.url).pathname, [], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
      children.push(child);
      return child;
    };
    const loadgen = start("loadgen.ts");
    const probe = start("probe.ts");
    await Promise.all([nextMessage(loadgen, "ready"), nextMessage(probe, "ready")]);
    const probePort = (await ask<Message & { port: number }>(probe, { type: "start", actors }, "listening")).port;
    const probeInbox = `http://127.0.0.1:${probePort}/inbox`;

    let serial = 0;
    const prepare = async (target: string, n: number): Promise<string> => {
      const name = `set${++serial}`;
      await ask(loadgen, { type: "prepare", name, target, actors, local, count: n, prefix: `${Date.now().toString(36)}${serial}x` }, "prepared");
      return name;
    };
    const send = (name: string) => ask<Ran>(loadgen, { type: "run", name, concurrency }, "ran");

    const inboxJobs = async () => {
      const rows = await db.selectFrom("jobs").select(["queue", sql<number | string>`count(*)`.as("n")]).where("queue", "in", ["inbox", "dead:inbox"]).groupBy("queue").execute();
      const of = (queue: string) => Number(rows.find((r) => r.queue === queue)?.n ?? 0);
      return { pending: of("inbox"), dead: of("dead:inbox") };
    };
    const remotePosts = async () => Number((await db.selectFrom("posts").select(sql<number | string>`count(*)`.as("n")).where("is_local", "=", 0).executeTakeFirstOrThrow()).n);
    const drained = async (deadlineMs = 600_000) => {
      const until = performance.now() + deadlineMs;
      while ((await inboxJobs()).pending > 0) {
        if (performance.now() > until) throw new Error("the inbox queue did not drain");
        await sleep(100);
      }
    };

    /**
     * Sends a prepared set to `subject`; with `processing`, also times until the inbox queue is empty.
     * CPU seconds are counted for `subject` from the first request to the end of the measurement.
     */
    const measure = async (name: string, subject: number, processing: boolean): Promise<HeroldRun> => {
      const cpuBefore = cpuSecondsOf(subject);
      const loadgenBefore = cpuSecondsOf(loadgen.pid!);
      const started = performance.now();
      let done: Ran | undefined;
      const sending = send(name).then((ran) => (done = ran));
      let processedMs: number | undefined;
      if (processing) {
        // Empty before the first request is accepted too: only an empty queue after the last 202 counts.
        for (;;) {
          await sleep(50);
          const wasDone = done !== undefined;
          if ((await inboxJobs()).pending === 0 && wasDone) break;
        }
        processedMs = performance.now() - started;
      }
      const ran = await sending;
      const accepted = ran.statuses["202"] ?? 0;
      const loadgenBusy = (cpuSecondsOf(loadgen.pid!) - loadgenBefore) / (ran.ms / 1000);
      return { ran, accepted, acceptedPerS: perS(accepted, ran.ms), processedMs, cpuSeconds: cpuSecondsOf(subject) - cpuBefore, loadgenBusy };
    };

    process.stdout.write(
      `inbound: ${fmt(count)} signed Create(Note) activities per run from ${actorCount} actors on ${serverCount} servers, ` +
        `${concurrency} in flight, keep-alive; Herold on ${engine} (${fmt(actorCount)} RSA-2048 keys made in ${(keyMs / 1000).toFixed(1)} s)\n`,
    );

    // Role all: one process accepts and processes, as a small instance runs.
    const herold = await startHerold({ role: "all", port, env, execArgv });
    herolds.push(herold);
    const startupRss = memoryOf(herold.pid)!.rssMiB;

    // Warm-up: every actor's key is fetched and cached, code paths get hot, on both subjects.
    const warm = await measure(await prepare(inbox, warmupCount), herold.pid, true);
    if (warm.accepted !== warmupCount) throw new Error(`warm-up: ${JSON.stringify(warm.ran.statuses)} ${warm.ran.firstError ?? ""}\n${herold.output()}`);
    await send(await prepare(probeInbox, warmupCount));

    const probeRuns: HeroldRun[] = [];
    probeRuns.push(await measure(await prepare(probeInbox, count), probe.pid!, false));
    const all = await measure(await prepare(inbox, count), herold.pid, true);
    const allMemory = memoryOf(herold.pid)!;
    probeRuns.push(await measure(await prepare(probeInbox, count), probe.pid!, false));
    const postsAfterAll = await remotePosts();
    const jobsAfterAll = await inboxJobs();
    const metrics = await fetch(`${origin}/metrics`).then((r) => r.text());
    const allExit = await herold.stop();

    // Role web, then role worker, on the same database.
    let web: { run: HeroldRun; memory: number; drainMs: number; drainCpu: number; workerMemory: number; workerStartMs: number } | undefined;
    if (values.web) {
      const webProcess = await startHerold({ role: "web", port, env, execArgv });
      herolds.push(webProcess);
      await measure(await prepare(inbox, warmupCount), webProcess.pid, false);
      const warmWorker = await startHerold({ role: "worker", port, env, execArgv });
      await drained();
      await warmWorker.stop();
      const run = await measure(await prepare(inbox, count), webProcess.pid, false);
      const memory = memoryOf(webProcess.pid)!.hwmMiB;
      const workerStart = performance.now();
      const worker = await startHerold({ role: "worker", port, env, execArgv });
      herolds.push(worker);
      const workerStartMs = performance.now() - workerStart;
      const drainStart = performance.now();
      const cpuBefore = cpuSecondsOf(worker.pid);
      await drained();
      const drainMs = performance.now() - drainStart;
      const drainCpu = cpuSecondsOf(worker.pid) - cpuBefore;
      const workerMemory = memoryOf(worker.pid)!.hwmMiB;
      await Promise.all([webProcess.stop(), worker.stop()]);
      web = { run, memory, drainMs, drainCpu, workerMemory, workerStartMs };
    }
    const postsTotal = await remotePosts();
    const jobsTotal = await inboxJobs();

    const probeRate = probeRuns.reduce((sum, r) => sum + r.acceptedPerS, 0) / probeRuns.length;
    const probeCpu = probeRuns.reduce((sum, r) => sum + r.cpuSeconds, 0) / probeRuns.reduce((sum, r) => sum + r.accepted, 0);
    const processedRate = perS(count, all.processedMs!);
    const expectedPosts = warmupCount + count + (web ? warmupCount + count : 0);
    const µs = (seconds: number, n: number) => `${fmt((seconds / n) * 1e6)} µs`;
    const lines = [
      `  probe (verify + digest + JSON.parse, no storage): ${probeRuns.map((r) => fmt(r.acceptedPerS)).join(" /s before, ")} /s after Herold; ` +
        `mean ${fmt(probeRate)} /s; CPU ${µs(probeCpu, 1)} per activity; load generator busy ${probeRuns.map((r) => `${Math.round(r.loadgenBusy * 100)} %`).join(", ")}`,
      `  Herold --role all (accepts and processes in one process):`,
      `    accepted (202, durably queued):  ${fmt(all.acceptedPerS)} /s  = ${(all.acceptedPerS / probeRate).toFixed(2)} × probe   (goal ≥ ${fmt(GOAL_ACCEPTED_PER_S)} /s)  latency p50 ${all.ran.p50.toFixed(1)} ms, p99 ${all.ran.p99.toFixed(1)} ms`,
      `    fully processed (queue drained): ${fmt(processedRate)} /s  = ${(processedRate / probeRate).toFixed(2)} × probe   (${(all.processedMs! / 1000).toFixed(2)} s for ${fmt(count)}; CPU ${µs(all.cpuSeconds, count)} per activity)`,
      `    peak RSS (VmHWM): ${mib(allMemory.hwmMiB)}   (goal < ${GOAL_RSS_MB} MB; ${mib(startupRss)} after start-up, ${mib(allMemory.rssMiB)} at the end)`,
      `    statuses ${JSON.stringify(all.ran.statuses)}${all.ran.errors > 0 ? `, ${all.ran.errors} errors (${all.ran.firstError})` : ""}${all.ran.firstError && all.ran.errors === 0 ? ` first refusal: ${all.ran.firstError}` : ""}; exit ${allExit}`,
    ];
    if (web) {
      lines.push(
        `  Herold --role web, then --role worker (same database):`,
        `    accepted (202, durably queued):  ${fmt(web.run.acceptedPerS)} /s  = ${(web.run.acceptedPerS / probeRate).toFixed(2)} × probe   latency p50 ${web.run.ran.p50.toFixed(1)} ms, p99 ${web.run.ran.p99.toFixed(1)} ms; ` +
          `CPU ${µs(web.run.cpuSeconds, web.run.accepted)} per activity; statuses ${JSON.stringify(web.run.ran.statuses)}`,
        `    drained by a worker alone:       ${fmt(perS(count, web.drainMs))} /s   (${(web.drainMs / 1000).toFixed(2)} s after its start-up of ${(web.workerStartMs / 1000).toFixed(1)} s; CPU ${µs(web.drainCpu, count)} per activity)`,
        `    peak RSS: web ${mib(web.memory)}, worker ${mib(web.workerMemory)}`,
      );
    }
    const inboxMetrics = metrics.split("\n").filter((l) => l.startsWith('herold_queue_jobs{queue="inbox"'));
    lines.push(
      `  checks: ${fmt(postsAfterAll)} remote posts after the role-all run, ${fmt(postsTotal)} at the end (expected ${fmt(expectedPosts)}); ` +
        `inbox jobs left ${jobsTotal.pending}, dead ${jobsTotal.dead} (after role all: ${jobsAfterAll.pending}/${jobsAfterAll.dead}); actor documents fetched ${actorFetches}`,
      `  /metrics after the role-all run: ${inboxMetrics.length > 0 ? inboxMetrics.join(", ") : "no inbox jobs listed (queue empty)"}`,
    );
    process.stdout.write(lines.join("\n") + "\n");
    if (postsTotal !== expectedPosts || jobsTotal.dead > 0) process.exitCode = 1;
  } finally {
    for (const herold of herolds) await herold.stop(10_000).catch(() => undefined);
    for (const child of children) if (child.connected) child.send({ type: "stop" });
    await Promise.all(children.map((child) => (child.exitCode !== null || child.signalCode !== null ? undefined : new Promise((r) => child.once("exit", r)))));
    for (const server of servers) server.close();
    await database?.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function positive(text: string, name: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
  return value;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
