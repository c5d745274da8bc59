/**
 * `npm run bench -- fetch [--servers 200] [--per-server 5] [--rounds 5] [--concurrency 64] [--clients own,node]`:
 * N GETs of actor documents from loopback servers through Herold's fetch path
 * (`fetchActivityPubDocument` → safeFetch → GuardedHttpClient), once per HTTP client, alternately.
 *
 * Processes: the servers (bench/fetch/servers.ts), and one fetching process per client
 * (bench/fetch/client.ts; `node` runs with bench/net/use-node-http.ts, so its GuardedHttpClient holds
 * bench/net/node-http-baseline.ts instead of src/net/http1-client.ts). Every round, each client fetches
 * `--per-server` actors from each of `--servers` servers with `--concurrency` in flight; before each
 * measured run the servers drop every connection, so every origin is connected to afresh and then
 * reused (at most 2 connections per origin). Who goes first alternates. Reported: medians of wall
 * time and of the fetching process's CPU time, per fetch, and peak RSS.
 */
import { fork, type ChildProcess } from "node:child_process";
import { availableParallelism, loadavg } from "node:os";
import { parseArgs } from "node:util";
import { median, request, type Message } from "./fanout/protocol.ts";
import { npmStartOptions } from "./start-options.ts";

const here = (name: string) => new URL(name, import.meta.url).pathname;

export async function main(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      servers: { type: "string", default: "200" },
      "per-server": { type: "string", default: "5" },
      rounds: { type: "string", default: "5" },
      concurrency: { type: "string", default: "64" },
      clients: { type: "string", default: "own,node" },
    },
    strict: true,
  });
  const count = Number(values.servers);
  const perServer = Number(values["per-server"]);
  const rounds = Number(values.rounds);
  const concurrency = Number(values.concurrency);
  const clientNames = values.clients.split(",").map((c) => c.trim());
  for (const c of clientNames) if (c !== "own" && c !== "node") throw new Error(`--clients: unknown client ${c} (own, node)`);

  const children: ChildProcess[] = [];
  try {
    const servers = fork(here("./fetch/servers.ts"), [], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
    children.push(servers);
    const { ports } = await request<{ type: string; ports: number[] }>(servers, { type: "start", count }, "ready");
    const subjects = clientNames.map((name) => {
      const execArgv = [...(name === "node" ? ["--import", here("./net/use-node-http.ts")] : []), ...npmStartOptions()];
      const child = fork(here("./fetch/client.ts"), [], { stdio: ["ignore", "inherit", "inherit", "ipc"], execArgv });
      children.push(child);
      return { name, child, ms: [] as number[], cpuMs: [] as number[], peakRssMiB: 0, failures: 0, implementation: "" };
    });
    const cpuOf = async (child: ChildProcess) => (await request<{ type: string; ms: number }>(child, { type: "cpu" }, "cpu")).ms;
    const urlsFor = (round: number) => ports.flatMap((port) => Array.from({ length: perServer }, (_, i) => `http://127.0.0.1:${port}/users/r${round}u${i}`));
    process.stdout.write(`fetch: ${count} servers × ${perServer} actors = ${count * perServer} GETs per round, ${concurrency} in flight, ${rounds} rounds\n`);

    // Warm-up: one unmeasured round each.
    for (const subject of subjects) await request(subject.child, { type: "run", urls: urlsFor(0), concurrency }, "done");

    for (let round = 1; round <= rounds; round++) {
      const order = round % 2 === 1 ? subjects : [...subjects].reverse();
      const line: string[] = [];
      for (const subject of order) {
        await request(servers, { type: "drop" }, "dropped");
        await new Promise((r) => setTimeout(r, 200));
        const before = await cpuOf(subject.child);
        const started = performance.now();
        const done = await request<{ type: string; ms: number; failures: number; firstFailure: string | null; peakRssMiB: number; client: string }>(
          subject.child,
          { type: "run", urls: urlsFor(round), concurrency },
          "done",
        );
        const ms = performance.now() - started;
        const cpuMs = (await cpuOf(subject.child)) - before;
        subject.ms.push(ms);
        subject.cpuMs.push(cpuMs);
        subject.peakRssMiB = done.peakRssMiB;
        subject.failures += done.failures;
        subject.implementation = done.client;
        line.push(`${subject.name} ${(ms / 1000).toFixed(3)} s (CPU ${(cpuMs / 1000).toFixed(3)} s${done.failures > 0 ? `, ${done.failures} failures: ${done.firstFailure}` : ""})`);
      }
      process.stdout.write(`  round ${round}: ${line.join(", ")}\n`);
    }
    const fetches = count * perServer;
    const base = subjects[0]!;
    process.stdout.write(`medians of ${rounds} rounds (ratio to ${base.name}):\n`);
    for (const subject of subjects) {
      const ms = median(subject.ms);
      const cpu = median(subject.cpuMs);
      process.stdout.write(
        `  ${subject.name.padEnd(4)} (${subject.implementation}) ${(ms / 1000).toFixed(3)} s, CPU ${(cpu / 1000).toFixed(3)} s = ${((cpu * 1000) / fetches).toFixed(0)} µs/fetch, peak RSS ${subject.peakRssMiB.toFixed(1)} MiB; ` +
          `${(ms / median(base.ms)).toFixed(3)}× time, ${(cpu / median(base.cpuMs)).toFixed(3)}× CPU; ${subject.failures} failures\n`,
      );
    }
    process.stdout.write(`  machine load average at the end: ${loadavg().map((l) => l.toFixed(2)).join(" ")} on ${availableParallelism()} cores\n`);
  } finally {
    for (const child of children) if (child.connected) child.send({ type: "stop" });
    await Promise.all(children.map((child) => new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : child.once("exit", () => resolve())))));
  }
}
