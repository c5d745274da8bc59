/**
 * `npm run bench -- insights [--db sqlite|postgres] [--runs 50]`: how fast an account's insights
 * answer when it has history (issue #14), beside an account with none, in the same run.
 *
 * Data: bench/insights/dataset.ts (100,000 posts, 2,000,000 ledger rows, 50,000 followers), cached.
 * Figures, each p50 and p95 over `--runs` calls after a warm-up (and the report's CPU time per call,
 * which a busy machine inflates far less than wall-clock time; the load average is printed too):
 * - the report call (`InsightsService.report`, what the overview page and `--json` compute) for 365
 *   and 30 days, in this process on the CLI's own insights context;
 * - `herold stats <account> --json --days 365` as a process, start to exit (`--cli-runs` of them);
 * - the write cost of one recorded interaction: the ledger insert alone and with the insights
 *   rollups (one read and four UPSERTs in the same transaction), each rolled back so the data set
 *   stays as cached.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { openInsightsContext } from "../src/cli/contexts.ts";
import { loadConfig } from "../src/config/config.ts";
import { ledgerRollupListener } from "../src/insights/insights.rollups.ts";
import { InteractionRepository } from "../src/social/interaction.repository.ts";
import { LedgerChanges } from "../src/social/ledger-changes.ts";
import { BIG, EMPTY, ensureDataset, ORIGIN, SHAPE } from "./insights/dataset.ts";
import { npmStartOptions } from "./start-options.ts";

const CLI = fileURLToPath(new URL("../src/cli/herold.ts", import.meta.url));

export async function main(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    options: { db: { type: "string", default: "sqlite" }, runs: { type: "string", default: "50" }, "cli-runs": { type: "string", default: "10" }, writes: { type: "string", default: "2000" } },
    strict: true,
  });
  if (values.db !== "sqlite" && values.db !== "postgres") throw new Error("--db must be sqlite or postgres");
  const runs = Number(values.runs);
  const cliRuns = Number(values["cli-runs"]);
  const writes = Number(values.writes);
  const log = (line: string) => process.stdout.write(`${line}\n`);
  log(`load average ${loadavg().map((l) => l.toFixed(1)).join(" ")} on ${availableParallelism()} cores`);
  log(`data set on ${values.db}: ${SHAPE.posts.toLocaleString("en")} posts, ${SHAPE.ledger.toLocaleString("en")} ledger rows, ${SHAPE.followers.toLocaleString("en")} followers`);
  const dataset = await ensureDataset(values.db, log);
  log(`  ${dataset.builtMs === null ? "cached" : `built in ${(dataset.builtMs / 1000).toFixed(1)} s`}`);

  const dataDir = mkdtempSync(join(tmpdir(), "herold-bench-insights-run-"));
  const env = { HEROLD_ORIGIN: ORIGIN, HEROLD_DATABASE_URL: dataset.url, HEROLD_DATA_DIR: dataDir, HEROLD_LOG_LEVEL: "warning" };
  try {
    const opened = await openInsightsContext(loadConfig(env));
    try {
      const ctx = opened.ctx;
      const ids = new Map<string, string>();
      for (const name of [BIG, EMPTY]) ids.set(name, (await ctx.repos.accounts.findByUsername(name))!.id);
      log("");
      // CPU time per call beside the wall-clock percentiles: on a shared machine the latter include
      // waiting for a core, the former hardly.
      log("report call (in process)            p50 ms   p95 ms   CPU ms/call");
      for (const days of [365, 30]) {
        for (const name of [BIG, EMPTY]) {
          const cpu = process.cpuUsage();
          const times = await timed(runs, 5, async () => {
            const r = await ctx.insights.report(ids.get(name)!, { kind: "days", days });
            if (!r.ok) throw new Error(r.message);
          });
          const used = process.cpuUsage(cpu);
          log(`  ${`${name}, --days ${days}`.padEnd(30)} ${fmt(pct(times, 50))} ${fmt(pct(times, 95))} ${fmt((used.user + used.system) / 1000 / (runs + 5))}`);
        }
      }
      const sample = await ctx.insights.report(ids.get(BIG)!, { kind: "days", days: 365 });
      if (sample.ok) log(`  (acme, 365 days: ${sample.value.totals.interactions.toLocaleString("en")} interactions, ${sample.value.posts.length} posts listed, ${sample.value.servers.length} servers)`);

      // One recorded interaction: the ledger insert, without and with the rollups, rolled back.
      const db = ctx.database.db;
      const post = await db.selectFrom("posts").select("id").where("actor_id", "=", (await ctx.repos.accounts.findByUsername(BIG))!.actorId).orderBy("id", "desc").executeTakeFirstOrThrow();
      const actor = await db.selectFrom("actors").select("id").where("is_local", "=", 0).executeTakeFirstOrThrow();
      const withRollups = new LedgerChanges();
      withRollups.on(ledgerRollupListener);
      const plain = new InteractionRepository(db);
      const counted = new InteractionRepository(db, withRollups);
      let n = 0;
      const record = (repo: InteractionRepository) => async () => {
        await db.transaction().execute(async (trx) => {
          await repo.insert({ kind: "like", postId: post.id, actorId: actor.id, activityUri: `https://bench.example/likes/${n++}`, objectUri: null, content: null, at: new Date().toISOString() }, trx);
          throw ROLLBACK;
        }).catch((error) => {
          if (error !== ROLLBACK) throw error;
        });
      };
      log("");
      log("one recorded interaction (rolled back)  p50 ms   p95 ms   statements");
      const alone = await timed(writes, 200, record(plain));
      const rolled = await timed(writes, 200, record(counted));
      log(`  ledger insert alone                 ${fmt(pct(alone, 50))} ${fmt(pct(alone, 95))}   1`);
      log(`  with the insights rollups           ${fmt(pct(rolled, 50))} ${fmt(pct(rolled, 95))}   1 + 5 (1 read, 4 UPSERTs)`);
      log(`  rollups add ${(pct(rolled, 50) - pct(alone, 50)).toFixed(3)} ms per interaction (p50)`);
    } finally {
      await opened.close();
    }

    log("");
    log("herold stats --json --days 365 (process)  p50 ms   p95 ms");
    for (const name of [BIG, EMPTY]) {
      const times = await timed(cliRuns, 1, () => cli(["stats", name, "--json", "--days", "365"], env));
      log(`  ${name.padEnd(38)} ${fmt(pct(times, 50))} ${fmt(pct(times, 95))}`);
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const ROLLBACK = new Error("rollback");

function cli(argv: string[], env: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [...npmStartOptions(), CLI, ...argv], { env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 }, (error, _out, err) => (error === null ? resolve() : reject(new Error(`${argv.join(" ")}: ${err}`))));
  });
}

async function timed(runs: number, warmup: number, work: () => Promise<void>): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await work();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await work();
    times.push(performance.now() - started);
  }
  return times;
}

function pct(times: readonly number[], p: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function fmt(ms: number): string {
  return ms.toFixed(2).padStart(8);
}
