/**
 * `npm run bench -- fanout --servers 1000`: how long one post takes to reach every follower's server.
 *
 * Processes (each its own, so timings and memory are not mixed up):
 * - servers: N simulated remote servers on loopback ports, each verifying the HTTP signature of what
 *   it receives (public keys cached, as a peer caches them) and reporting when an activity reached all;
 * - Herold: the real composition root on a fresh database (SQLite by default), an organisation account
 *   with followers on every server (every `--shared-every`th server has three followers behind one
 *   shared inbox), the worker role running; the post goes through the post service, the outbound
 *   bridge, the durable queue and the delivery worker;
 * - limit probe: node:crypto RSA-2048 signatures of the same bytes, POSTed with keep-alive, no queue,
 *   no database;
 * - stock Fedify: `sendActivity` with Fedify's in-process queue.
 * Time runs from the moment a process is told to publish until the servers report that every one has
 * the activity. Every subject first warms its code paths up by delivering to one extra server that is
 * not measured; then Herold and the probe alternate for `--rounds` rounds (medians are reported) and
 * stock Fedify, much slower, runs once. Before every measured fan-out the servers drop all
 * connections, so each one connects afresh, as a first post would.
 *
 * Options: --servers N, --shared-every K, --db sqlite|postgres, --rounds N, --concurrency N (in flight,
 * for Herold and the probe), --skip-fedify, --fedify-timeout S, --cpu-prof DIR, --herold-node-options "…",
 * --clients own,node: one Herold process per HTTP client (own = src/net/http1-client.ts, node =
 * node:http with a pinned-address Agent, bench/net/node-http-baseline.ts, swapped in by
 * bench/net/use-node-http.ts), each on its own database, taking turns with the probe in every round.
 */
import { fork, type ChildProcess } from "node:child_process";
import { availableParallelism, loadavg } from "node:os";
import { parseArgs } from "node:util";
import { loadConfig } from "../src/config/config.ts";
import { npmStartOptions } from "./start-options.ts";
import { deliveryInboxOf, followersOf, layout, median, nextMessage, request, type Message } from "./fanout/protocol.ts";

const here = (name: string) => new URL(`./fanout/${name}`, import.meta.url).pathname;

function start(name: string, execArgv: string[] = []): ChildProcess {
  return fork(here(name), [], { stdio: ["ignore", "inherit", "inherit", "ipc"], execArgv });
}

const seconds = (ms: number) => (ms / 1000).toFixed(3);

export async function main(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      servers: { type: "string", default: "1000" },
      "shared-every": { type: "string", default: "5" },
      db: { type: "string", default: "sqlite" },
      concurrency: { type: "string" },
      "skip-fedify": { type: "boolean", default: false },
      "fedify-timeout": { type: "string", default: "300" },
      /** Writes a V8 CPU profile of the Herold process into this directory. */
      "cpu-prof": { type: "string" },
      /** Node options for the Herold process, space separated; default: those of `npm start`. */
      "herold-node-options": { type: "string" },
      rounds: { type: "string", default: "3" },
      clients: { type: "string", default: "own" },
    },
    strict: true,
  });
  const count = Number(values.servers);
  const sharedEvery = Number(values["shared-every"]);
  const engine = values.db === "postgres" ? "postgres" : "sqlite";
  const rounds = Number(values.rounds);
  // The probe keeps as many requests in flight as Herold's worker (`--concurrency` sets both).
  const concurrency = Number(values.concurrency ?? loadConfig({}).delivery.concurrency);
  if (!Number.isInteger(count) || count < 1) throw new Error("--servers must be a positive integer");

  const children: ChildProcess[] = [];
  const stopped = new Set<ChildProcess>();
  const stopChild = (child: ChildProcess): void => {
    if (stopped.has(child) || !child.connected) return;
    stopped.add(child);
    child.send({ type: "stop" });
  };
  const spawn = (name: string, execArgv?: string[]) => {
    const child = start(name, execArgv);
    children.push(child);
    return child;
  };
  try {
    const servers = spawn("servers.ts");
    const { ports } = await request<{ type: string; ports: number[] }>(servers, { type: "start", count }, "ready");
    const warmUpPort = ports.pop()!;
    const warmUpInbox = `http://127.0.0.1:${warmUpPort}/users/w/inbox`;
    const specs = layout(ports, sharedEvery);
    const followers = specs.flatMap(followersOf);
    const inboxes = specs.map(deliveryInboxOf);
    const register = (key: { keyId: unknown; pem: unknown }) => request(servers, { type: "key", keyId: key.keyId, pem: key.pem }, "key-ok");
    const cpuOf = async (child: ChildProcess) => (await request<{ type: string; ms: number }>(child, { type: "cpu" }, "cpu")).ms;
    /**
     * Sends `go` to `child` and resolves with the milliseconds until every server has one activity,
     * and the CPU time the sending process used meanwhile (robust when the machine is shared).
     */
    const timed = async (child: ChildProcess, go: Message, timeoutMs?: number): Promise<{ ms: number; cpuMs: number; serversCpuMs: number; activityId: string }> => {
      const cpuBefore = await cpuOf(child);
      const serversCpuBefore = await cpuOf(servers);
      const complete = nextMessage<{ type: string; activityId: string }>(servers, "complete", timeoutMs);
      const started = performance.now();
      child.send(go);
      const done = await complete;
      const ms = performance.now() - started;
      return { ms, cpuMs: (await cpuOf(child)) - cpuBefore, serversCpuMs: (await cpuOf(servers)) - serversCpuBefore, activityId: done.activityId };
    };

    process.stdout.write(`fan-out to ${count} servers: ${followers.length} followers, ${specs.filter((s) => s.shared).length} shared inboxes; Herold on ${engine}\n`);

    /** Warm-up: the subject delivers to the extra server until its code paths are hot; the measured servers see nothing. */
    const warmUp = async (child: ChildProcess, message: Message, times: number): Promise<void> => {
      for (let i = 0; i < times; i++) {
        const received = nextMessage(servers, "warm");
        child.send(message);
        await Promise.all([received, nextMessage(child, "warmed")]);
      }
    };

    const heroldArgv = [
      ...(values["cpu-prof"] ? ["--cpu-prof", `--cpu-prof-dir=${values["cpu-prof"]}`] : []),
      ...(values["herold-node-options"]?.split(/\s+/).filter((o) => o !== "") ?? npmStartOptions()),
    ];
    const clientNames = values.clients.split(",").map((c) => c.trim());
    for (const c of clientNames) if (c !== "own" && c !== "node") throw new Error(`--clients: unknown client ${c} (own, node)`);
    const useNodeHttp = new URL("./net/use-node-http.ts", import.meta.url).pathname;
    const subjects: Array<{ name: string; child: ChildProcess; ready: { rssMiB: number; startupRssMiB: number } }> = [];
    for (const client of clientNames) {
      const child = spawn("herold.ts", client === "node" ? ["--import", useNodeHttp, ...heroldArgv] : heroldArgv);
      const ready = await request<{ type: string; keys: Array<{ keyId: string; pem: string }>; followers: number; rssMiB: number; startupRssMiB: number }>(
        child,
        {
          type: "setup",
          servers: specs,
          warmUpPort,
          engine,
          // Each Herold its own origin, so the servers tell their keys (same key ids otherwise) apart.
          env: { ...(values.concurrency !== undefined ? { HEROLD_DELIVERY_CONCURRENCY: values.concurrency } : {}), ...(subjects.length > 0 ? { HEROLD_ORIGIN: `https://herold-${client}.bench` } : {}) },
        },
        "ready",
      );
      for (const key of ready.keys) await register(key);
      await warmUp(child, { type: "warm-up" }, 3);
      subjects.push({ name: client, child, ready });
    }
    const herold = subjects[0]!.child;
    const ready = subjects[0]!.ready;

    const probe = spawn("probe.ts");
    await register(await request<{ type: string; keyId: string; pem: string }>(probe, { type: "init" }, "key"));
    const warmBody = JSON.stringify({ id: "https://probe.bench/warm-up", type: "Create", object: { type: "Note", content: "warm-up" } });
    await request(probe, { type: "run", inboxes: Array.from({ length: 300 }, () => warmUpInbox), body: warmBody, concurrency: 8 }, "done");

    // Rounds: Herold and the probe alternate (who goes first alternates too, so load drift on a shared
    // machine hits both alike). Before each measured send the servers drop every connection, so every
    // measured fan-out opens its 1,000 connections afresh, as a first post would.
    const dropConnections = async () => {
      await request(servers, { type: "drop" }, "dropped");
      await new Promise((r) => setTimeout(r, 300));
    };
    const heroldRound = async (herold: ChildProcess) => {
      await dropConnections();
      const publishedMessage = nextMessage<{ type: string; activityId: string; json: string; publishMs: number }>(herold, "published");
      const run = await timed(herold, { type: "go" });
      const published = await publishedMessage;
      if (run.activityId !== published.activityId) throw new Error(`unexpected activity ${run.activityId}`);
      return { ms: run.ms, cpuMs: run.cpuMs, serversCpuMs: run.serversCpuMs, published };
    };
    let probeBody: string | undefined;
    let probePeakRss = 0;
    const probeRound = async (round: number) => {
      await dropConnections();
      const body = probeBody!.replace(/-probe-\d+"/, `-probe-${round}"`);
      const finished = nextMessage<{ type: string; failures: number; peakRssMiB: number }>(probe, "done");
      const run = await timed(probe, { type: "run", inboxes, body, concurrency });
      const done = await finished;
      probePeakRss = Math.max(probePeakRss, done.peakRssMiB);
      return { ms: run.ms, cpuMs: run.cpuMs, serversCpuMs: run.serversCpuMs, failures: done.failures };
    };

    const heroldMs: number[] = [];
    const probeMs: number[] = [];
    const heroldCpu: number[] = [];
    const probeCpu: number[] = [];
    /** Per client (`--clients`): wall and CPU ms of each round. */
    const perClient = new Map(subjects.map((s) => [s.name, { ms: [] as number[], cpuMs: [] as number[], serversCpuMs: [] as number[] }]));
    /** CPU the simulated servers used while receiving each subject's fan-out. */
    const serversCpu = { herold: [] as number[], probe: [] as number[] };
    let probeFailures = 0;
    let lastPublished: { activityId: string; json: string; publishMs: number } | undefined;
    for (let round = 1; round <= rounds; round++) {
      const measureHerold = async (subject: (typeof subjects)[number]) => {
        const result = await heroldRound(subject.child);
        const figures = perClient.get(subject.name)!;
        figures.ms.push(result.ms);
        figures.cpuMs.push(result.cpuMs);
        figures.serversCpuMs.push(result.serversCpuMs);
        if (subject !== subjects[0]) return;
        heroldMs.push(result.ms);
        heroldCpu.push(result.cpuMs);
        serversCpu.herold.push(result.serversCpuMs);
        lastPublished = result.published;
        // The probe sends the same bytes as Herold's activity, with an id of its own per round.
        probeBody ??= result.published.json.replace(JSON.stringify(result.published.activityId), JSON.stringify(`${result.published.activityId}-probe-0`));
      };
      const measureProbe = async () => {
        const result = await probeRound(round);
        probeMs.push(result.ms);
        probeCpu.push(result.cpuMs);
        serversCpu.probe.push(result.serversCpuMs);
        probeFailures += result.failures;
      };
      // Who goes first rotates (the probe needs the first subject's bytes, so it never opens round 1).
      const turns: Array<() => Promise<void>> = [...subjects.map((subject) => () => measureHerold(subject)), measureProbe];
      const shift = (round - 1) % turns.length;
      const order = round === 1 ? turns : [...turns.slice(shift), ...turns.slice(0, shift)];
      for (const turn of order) await turn();
      const memory = (await request<{ type: string; peakRssMiB: number; memory: Record<string, number> }>(herold, { type: "stats" }, "stats"));
      process.stdout.write(
        `  round ${round}: Herold ${seconds(heroldMs.at(-1)!)} s (CPU ${seconds(heroldCpu.at(-1)!)} s), probe ${seconds(probeMs.at(-1)!)} s (CPU ${seconds(probeCpu.at(-1)!)} s); servers' CPU ${seconds(serversCpu.herold.at(-1)!)} / ${seconds(serversCpu.probe.at(-1)!)} s; ratio ${(heroldMs.at(-1)! / probeMs.at(-1)!).toFixed(2)}; Herold peak RSS ${memory.peakRssMiB.toFixed(0)} MiB (now: heap ${memory.memory.heapUsed}/${memory.memory.heapTotal}, external ${memory.memory.external} MiB)\n`,
      );
      for (const subject of subjects.slice(1)) {
        const figures = perClient.get(subject.name)!;
        const peak = await request<{ type: string; peakRssMiB: number }>(subject.child, { type: "stats" }, "stats");
        process.stdout.write(`           Herold [${subject.name}] ${seconds(figures.ms.at(-1)!)} s (CPU ${seconds(figures.cpuMs.at(-1)!)} s); peak RSS ${peak.peakRssMiB.toFixed(0)} MiB\n`);
      }
    }
    const heroldStats = await request<{ type: string; peakRssMiB: number; totals: { results: Record<string, number>; retries: number } }>(herold, { type: "stats" }, "stats");

    // Stock Fedify twice: with Fedify's own key generation (RSA-4096, what Fedify apps run with) and
    // with an RSA-2048 key like Herold's (same signing cost, so the engines themselves are compared).
    const fedifyRuns: Array<{ keys: string; ms: number; cpuMs: number }> = [];
    if (!values["skip-fedify"]) {
      const text = (JSON.parse(lastPublished!.json) as { object?: { content?: string } }).object?.content?.replace(/<[^>]+>/g, "") ?? "hello";
      const warmFollower = { username: "w", actorUri: `http://127.0.0.1:${warmUpPort}/users/w`, inbox: warmUpInbox, sharedInbox: null };
      for (const keys of ["fedify", "2048"]) {
        const fedify = spawn("fedify.ts");
        await register(await request<{ type: string; keyId: string; pem: string }>(fedify, { type: "init", keys }, "key"));
        await warmUp(fedify, { type: "warm-up", followers: [warmFollower], text }, 3);
        await dropConnections();
        const run = await timed(fedify, { type: "run", followers, text }, Number(values["fedify-timeout"]) * 1000);
        fedifyRuns.push({ keys, ms: run.ms, cpuMs: run.cpuMs });
        stopChild(fedify);
      }
    }
    const clientLines: string[] = [];
    if (subjects.length > 1) {
      clientLines.push(`  HTTP clients (median of ${rounds} rounds each; CPU of the Herold process per delivery; ratio to ${subjects[0]!.name}):`);
      const base = perClient.get(subjects[0]!.name)!;
      for (const subject of subjects) {
        const figures = perClient.get(subject.name)!;
        const stats = await request<{ type: string; peakRssMiB: number; totals: { results: Record<string, number>; retries: number } }>(subject.child, { type: "stats" }, "stats");
        const ms = median(figures.ms);
        const cpu = median(figures.cpuMs);
        clientLines.push(
          `    ${subject.name.padEnd(4)} ${seconds(ms)} s, CPU ${seconds(cpu)} s = ${((cpu * 1000) / count).toFixed(0)} µs/delivery, peak RSS ${stats.peakRssMiB.toFixed(1)} MiB; ` +
            `${(ms / median(base.ms)).toFixed(3)}× time, ${(cpu / median(base.cpuMs)).toFixed(3)}× CPU; ${(ms / median(probeMs)).toFixed(2)}× / ${(cpu / median(probeCpu)).toFixed(2)}× the probe; ` +
            `ok ${stats.totals.results.ok ?? 0}, retries ${stats.totals.retries}; rounds ${figures.ms.map(seconds).join(" ")} s, CPU ${figures.cpuMs.map(seconds).join(" ")} s`,
        );
      }
    }
    const serverStats = await request<{ type: string; accepted: number; refused: number; duplicates: number; reasons: Record<string, number> }>(servers, { type: "stats" }, "stats");

    const heroldMedian = median(heroldMs);
    const limit = median(probeMs);
    const heroldCpuMedian = median(heroldCpu);
    const probeCpuMedian = median(probeCpu);
    const rate = (ms: number) => `${Math.round((count * 1000) / ms)} deliveries/s`;
    const lines = [
      `medians of ${rounds} rounds:`,
      `  limit probe (sign + keep-alive POST, ${concurrency} in flight): ${seconds(limit)} s, CPU ${seconds(probeCpuMedian)} s  (${rate(limit)}; ${probeFailures} failures)`,
      `  Herold (post service → bridge → queue → worker):      ${seconds(heroldMedian)} s, CPU ${seconds(heroldCpuMedian)} s  (${rate(heroldMedian)}; publish call ${lastPublished!.publishMs.toFixed(1)} ms)`,
      ...(fedifyRuns.length === 0
        ? ["  stock Fedify: skipped"]
        : fedifyRuns.map(
            (f) =>
              `  stock Fedify sendActivity, ${f.keys === "fedify" ? "Fedify's RSA-4096 keys" : `RSA-${f.keys} keys`} (1 round): ${seconds(f.ms)} s, CPU ${seconds(f.cpuMs)} s  (${rate(f.ms)})`,
          )),
      `  Herold / probe: ${(heroldMedian / limit).toFixed(2)}× wall time, ${(heroldCpuMedian / probeCpuMedian).toFixed(2)}× CPU  (goal ≤ 1.5×)`,
      ...fedifyRuns.map(
        (f) =>
          `  stock Fedify (${f.keys === "fedify" ? "RSA-4096" : `RSA-${f.keys}`}) / Herold: ${(f.ms / heroldMedian).toFixed(1)}× wall time, ${(f.cpuMs / heroldCpuMedian).toFixed(1)}× CPU  (goal ≥ 10×)`,
      ),
      `  machine load average at the end: ${loadavg().map((l) => l.toFixed(2)).join(" ")} on ${availableParallelism()} cores`,
      `  Herold peak RSS: ${heroldStats.peakRssMiB.toFixed(1)} MiB = ${((heroldStats.peakRssMiB * 1048576) / 1e6).toFixed(1)} MB  (goal < 200 MB; ${ready.startupRssMiB.toFixed(1)} MiB after start-up, ${ready.rssMiB.toFixed(1)} MiB after setup; the probe process peaked at ${probePeakRss.toFixed(1)} MiB)`,
      `  Herold deliveries ok ${heroldStats.totals.results.ok ?? 0}, retries ${heroldStats.totals.retries}; servers: ${serverStats.accepted} accepted, ${serverStats.refused} refused, ${serverStats.duplicates} duplicates${
        serverStats.refused > 0 ? ` (${JSON.stringify(serverStats.reasons)})` : ""
      }`,
      ...clientLines,
    ].filter((l) => l !== "");
    process.stdout.write(lines.join("\n") + "\n");
  } finally {
    for (const child of children) stopChild(child);
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
            child.once("exit", () => {
              clearTimeout(timer);
              resolve();
            });
          }),
      ),
    );
  }
}
