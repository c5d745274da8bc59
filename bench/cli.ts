/**
 * `npm run bench -- cli [--runs 10] [--db sqlite|postgres]`: how long `herold` commands take to
 * start, run and exit (issue #15: commands that only read the database under 0.3 s of CPU).
 *
 * Each command runs as its own process, exactly as an operator runs it (`node src/cli/herold.ts …`,
 * with the compile cache in the data directory warmed by a first run), against a database with
 * one account. CPU is user + system time of the finished child (Linux: the `cutime`/`cstime`
 * fields of /proc/self/stat, which count children that were waited for). The baselines of the
 * same run: `node -e 0` (Node's own start) and `herold help` (the CLI without a database).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import postgres from "postgres";
import { TEST_PG_URL } from "../src/testing/databases.ts";

const CLI = fileURLToPath(new URL("../src/cli/herold.ts", import.meta.url));
/** Clock ticks per second of /proc's times (USER_HZ: 100 on every Linux this runs on). */
const TICKS = 100;

export async function main(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({ args: [...argv], options: { runs: { type: "string", default: "10" }, db: { type: "string", default: "sqlite" } }, strict: true });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error("--runs must be a positive integer");
  if (values.db !== "sqlite" && values.db !== "postgres") throw new Error("--db must be sqlite or postgres");
  const dir = mkdtempSync(join(tmpdir(), "herold-bench-cli-"));
  const schema = `bench_cli_${process.pid}`;
  const url = values.db === "sqlite" ? `sqlite:${join(dir, "herold.db")}` : `${TEST_PG_URL}?schema=${schema}`;
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, LANG: "C.UTF-8", HEROLD_ORIGIN: "https://social.example.org", HEROLD_DATABASE_URL: url, HEROLD_DATA_DIR: join(dir, "data") };
  try {
    const setup = (args: string[]) => {
      const r = spawnSync(process.execPath, [CLI, ...args], { env, encoding: "utf8" });
      if (r.status !== 0) throw new Error(`herold ${args.join(" ")} failed: ${r.stderr}`);
    };
    setup(["migrate"]);
    setup(["account", "create", "acme", "--name", "ACME"]);
    const cases: { name: string; args: string[] }[] = [
      { name: "node -e 0", args: ["-e", "0"] },
      { name: "herold help", args: [CLI, "help"] },
      { name: "herold account list", args: [CLI, "account", "list"] },
      { name: "herold account show acme", args: [CLI, "account", "show", "acme"] },
      { name: "herold status", args: [CLI, "status"] },
    ];
    const results = new Map<string, { cpu: number[]; wall: number[] }>();
    for (const c of cases) results.set(c.name, { cpu: [], wall: [] });
    // Interleaved, so a busy moment of the machine spreads over every command alike.
    for (let i = 0; i <= runs; i++) {
      for (const c of cases) {
        const before = childTicks();
        const started = performance.now();
        const r = spawnSync(process.execPath, c.args, { env, encoding: "utf8" });
        const wall = performance.now() - started;
        if (r.status !== 0) throw new Error(`${c.name} failed: ${r.stderr}`);
        if (i === 0) continue; // the warm-up run fills the compile cache
        results.get(c.name)!.cpu.push(((childTicks() - before) / TICKS) * 1000);
        results.get(c.name)!.wall.push(wall);
      }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const node = median(results.get("node -e 0")!.cpu);
    const help = median(results.get("herold help")!.cpu);
    process.stdout.write(`CLI start-up on ${values.db}, ${runs} runs each (median; CPU = user + system of the process; /proc ticks of 10 ms)\n`);
    process.stdout.write(`| command | CPU ms | wall ms | CPU / node -e 0 | CPU / herold help |\n|---|--:|--:|--:|--:|\n`);
    for (const c of cases) {
      const { cpu, wall } = results.get(c.name)!;
      const m = median(cpu);
      process.stdout.write(`| ${c.name} | ${m.toFixed(0)} | ${median(wall).toFixed(0)} | ${(m / node).toFixed(1)}× | ${(m / help).toFixed(1)}× |\n`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    if (values.db === "postgres") {
      const admin = postgres(TEST_PG_URL, { max: 1, onnotice: () => {} });
      await admin.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
    }
  }
}

/** User + system ticks of this process's waited-for children (fields 16 and 17 of /proc/self/stat). */
function childTicks(): number {
  const stat = readFileSync("/proc/self/stat", "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // After the command name, fields are numbered from 3 (state): cutime is 16, cstime 17.
  return Number(fields[16 - 3]) + Number(fields[17 - 3]);
}
