import { countCharacters, extractEntities } from "../src/content/render.ts";

/**
 * `npm run bench -- text [--size N]`: how the text scanner of local posts (mentions, links, hashtags,
 * character count) scales on pathological input. Each hostile case of N characters is timed beside an
 * ordinary post of the same length in the same run; a scanner that backtracks shows a ratio that grows
 * with N (run with --size 10000 and --size 100000 and compare), a linear one stays flat.
 */
export async function main(argv: readonly string[]): Promise<void> {
  const sizeArg = argv.indexOf("--size");
  const size = sizeArg >= 0 ? Number(argv[sizeArg + 1]) : 100_000;
  if (!Number.isInteger(size) || size < 100) throw new Error("--size must be an integer ≥ 100");
  const words = "Our new season starts today, see https://example.org/news #launch @team@example.org ";
  const baseline = words.repeat(Math.ceil(size / words.length)).slice(0, size);
  const cases: Record<string, string> = {
    "tag characters after #": " #a" + "·".repeat(size),
    "digits after #": " #" + "1".repeat(size),
    "closing parentheses after a URL": "https://example.org/" + ")".repeat(size),
    "repeated URL schemes": "https://".repeat(Math.ceil(size / 8)),
    "a mention that never ends": "@a@" + "b-".repeat(Math.ceil(size / 2)) + "é",
  };
  const time = (text: string): number => {
    const rounds = 5;
    const started = process.hrtime.bigint();
    for (let i = 0; i < rounds; i++) {
      extractEntities(text);
      countCharacters(text);
    }
    return Number(process.hrtime.bigint() - started) / 1e6 / rounds;
  };
  time(baseline); // warm-up: compile the scanner before anything is measured
  const base = time(baseline);
  process.stdout.write(`text scanner, ${size.toLocaleString("en")} characters per input (mean of 5)\n`);
  process.stdout.write(`  ${"ordinary post (baseline)".padEnd(34)} ${base.toFixed(2).padStart(9)} ms   1.00×\n`);
  for (const [name, text] of Object.entries(cases)) {
    const ms = time(text);
    process.stdout.write(`  ${name.padEnd(34)} ${ms.toFixed(2).padStart(9)} ms ${(ms / base).toFixed(2).padStart(6)}×\n`);
  }
}
