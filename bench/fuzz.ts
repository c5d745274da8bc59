/**
 * `npm run fuzz -- --count N [--seed S] [--engine sqlite|postgres] [--case I] [--batch B] [--max-rss-growth MB] [--http-share F]`
 *
 * Throws mutated fixtures and signature headers at the inbox (src/hostile-inputs/fuzz/): over HTTP with
 * signatures, and straight into the receiver and handlers with verification bypassed. Prints
 * cases/s, outcome counts, memory and every finding with the seed and case index that reproduce it;
 * exits 1 when there are findings. `--case I` runs case I alone and prints it first.
 */
import { captureLogs } from "../src/hostile-inputs/logs.ts";
import { formatReport, runFuzz, type CaseDescription } from "../src/hostile-inputs/fuzz/runner.ts";

interface Arguments {
  count: number;
  seed: number;
  engine: "sqlite" | "postgres";
  only: number | undefined;
  batch: number;
  maxRssGrowthMb: number;
  httpShare: number;
}

function parseArguments(argv: readonly string[]): Arguments {
  const args: Arguments = { count: 10_000, seed: 1, engine: "sqlite", only: undefined, batch: 250, maxRssGrowthMb: 512, httpShare: 0.4 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = argv[i + 1];
    const number = (): number => {
      const n = Number(value);
      if (value === undefined || !Number.isFinite(n) || n < 0) throw new Error(`${flag} needs a non-negative number`);
      i++;
      return n;
    };
    switch (flag) {
      case "--count":
        args.count = Math.floor(number());
        break;
      case "--seed":
        args.seed = Math.floor(number()) >>> 0;
        break;
      case "--case":
        args.only = Math.floor(number());
        break;
      case "--batch":
        args.batch = Math.max(1, Math.floor(number()));
        break;
      case "--max-rss-growth":
        args.maxRssGrowthMb = number();
        break;
      case "--http-share":
        args.httpShare = Math.min(1, number());
        break;
      case "--engine":
        if (value !== "sqlite" && value !== "postgres") throw new Error("--engine must be sqlite or postgres");
        args.engine = value;
        i++;
        break;
      default:
        throw new Error(`unknown option ${flag}`);
    }
  }
  return args;
}

function describe(c: CaseDescription): string {
  const body = new TextDecoder().decode(c.body);
  return [
    `case ${c.index} (${c.mode}) from ${c.fixture}; mutations: ${c.mutations.join(", ") || "none"}`,
    ...(c.mode === "http" ? [`POST ${c.url}`, ...Object.entries(c.headers).map(([k, v]) => `${k}: ${v}`)] : []),
    "",
    body.length > 4000 ? `${body.slice(0, 4000)}… (${body.length} characters)` : body,
  ].join("\n");
}

let args: Arguments;
try {
  args = parseArguments(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(2);
}
const logs = await captureLogs("warning");
process.stdout.write(`fuzzing the inbox: ${args.only !== undefined ? `case ${args.only}` : `${args.count} cases`}, seed ${args.seed}, ${args.engine}\n`);
const report = await runFuzz({
  count: args.count,
  seed: args.seed,
  engine: args.engine,
  batch: args.batch,
  maxRssGrowthMb: args.maxRssGrowthMb,
  httpShare: args.httpShare,
  logs,
  ...(args.only !== undefined ? { only: args.only, onCase: (c: CaseDescription) => process.stdout.write(`${describe(c)}\n\n`) } : {}),
  onProgress: (done, partial) => {
    if (done % 5000 === 0) process.stdout.write(`  ${done} cases, ${(done / Math.max(partial.seconds, 0.001)).toFixed(0)}/s, RSS ${partial.rss.lastMb.toFixed(0)} MiB, findings ${partial.findings.length}\n`);
  },
});
process.stdout.write(`${formatReport(report, args.seed)}\n`);
process.exitCode = report.findings.length > 0 ? 1 : 0;
