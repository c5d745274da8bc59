/**
 * Herold as an operator runs it, for the inbound benchmark: `process.execPath src/main.ts --role …`
 * in its own process on 127.0.0.1, and the CLI for the one local account.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SqlCounts } from "./sql-counter.ts";
import { fileURLToPath } from "node:url";

const MAIN = fileURLToPath(new URL("../../src/main.ts", import.meta.url));
const CLI = fileURLToPath(new URL("../../src/cli/herold.ts", import.meta.url));
const SQL_COUNTER = fileURLToPath(new URL("./sql-counter.ts", import.meta.url));

export interface HeroldProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly role: string;
  /** The last part of what the process wrote (for error reports). */
  output(): string;
  /** The SQL statements, transactions and commits of the process so far (bench/inbound/sql-counter.ts). */
  sqlCounts(): Promise<SqlCounts>;
  /** SIGTERM, then the exit code (or signal); SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<number | string>;
}

/**
 * The Node options of `npm start` (package.json: `node <options> src/main.ts`), so that the benchmark
 * measures Herold as it runs (e.g. its V8 young-generation cap, which decides the peak RSS).
 */export { npmStartOptions } from "../start-options.ts";

/** Only what Node needs plus Herold's own variables: nothing leaks in from the caller's environment. */
function environment(env: Readonly<Record<string, string>>): Record<string, string> {
  return { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? tmpdir(), LANG: "C.UTF-8", ...env };
}

export async function startHerold(options: { role: "all" | "web" | "worker"; port: number; env: Readonly<Record<string, string>>; execArgv?: readonly string[] }): Promise<HeroldProcess> {
  const countsFile = join(tmpdir(), `herold-bench-sql-${process.pid}-${options.role}-${Date.now().toString(36)}.json`);
  const args = [...(options.execArgv ?? []), "--import", SQL_COUNTER, MAIN, "--role", options.role, "--host", "127.0.0.1", "--port", String(options.port)];
  const child = spawn(process.execPath, args, { env: environment({ ...options.env, BENCH_SQL_COUNTS: countsFile, ...(process.env["BENCH_SQL_TEXTS"] === "1" ? { BENCH_SQL_TEXTS: "1" } : {}) }), stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const keep = (chunk: string) => {
    output = (output + chunk).slice(-20_000);
  };
  child.stdout!.setEncoding("utf8").on("data", keep);
  child.stderr!.setEncoding("utf8").on("data", keep);
  const exited = new Promise<number | string>((resolve) => child.once("exit", (code, signal) => resolve(code ?? signal ?? "unknown")));
  const banner = options.role === "worker" ? /worker is running/ : /is running/;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Herold (${options.role}) did not start within 60 s:\n${output}`)), 60_000);
    const onData = () => {
      if (banner.test(output)) {
        clearTimeout(timer);
        child.stdout!.off("data", onData);
        resolve();
      }
    };
    child.stdout!.on("data", onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`Herold (${options.role}) exited with ${code} during start-up:\n${output}`));
    });
  });
  return {
    child,
    pid: child.pid!,
    role: options.role,
    output: () => output,
    async sqlCounts() {
      rmSync(countsFile, { force: true });
      child.kill("SIGUSR2");
      const until = performance.now() + 10_000;
      // The process writes the file from its signal handler: wait for that definite event.
      while (!existsSync(countsFile)) {
        if (performance.now() > until || child.exitCode !== null) throw new Error(`Herold (${options.role}) wrote no SQL counts:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      const counts = JSON.parse(readFileSync(countsFile, "utf8")) as SqlCounts;
      // With BENCH_SQL_TEXTS=1 the last file stays, with the statements by text, to be read by hand.
      if (process.env["BENCH_SQL_TEXTS"] !== "1") rmSync(countsFile, { force: true });
      return counts;
    },
    async stop(graceMs = 30_000) {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** `herold account create <username> --type organization` against the database in `env`. */
export async function createAccount(username: string, env: Readonly<Record<string, string>>): Promise<void> {
  await cli(["account", "create", username, "--type", "organization", "--name", "ACME"], env);
}

/** `herold post <username> <text>`: the new post's URI. */
export async function createPost(username: string, text: string, env: Readonly<Record<string, string>>): Promise<string> {
  return (await cli(["post", username, text], env)).trim().split("\n").pop()!;
}

async function cli(args: readonly string[], env: Readonly<Record<string, string>>): Promise<string> {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: environment(env),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  let stdout = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
    output += chunk;
    stdout += chunk;
  });
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  if (code !== 0) throw new Error(`herold ${args.join(" ")} failed (${code}):\n${output}`);
  return stdout;
}
