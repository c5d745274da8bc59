/**
 * `npm run bench -- <name> [options]`: runs one benchmark from bench/. Each prints its own figures
 * and the ratios against the baselines it measures in the same run.
 */
const BENCHMARKS: Record<string, () => Promise<{ main(argv: readonly string[]): Promise<void> }>> = {
  fanout: () => import("./fanout.ts"),
  fetch: () => import("./fetch.ts"),
  cli: () => import("./cli.ts"),
  inbound: () => import("./inbound.ts"),
  "insights-pages": () => import("./insights-pages.ts"),
  insights: () => import("./insights.ts"),
  reads: () => import("./reads.ts"),
  scaleout: () => import("./scaleout.ts"),
  pageviews: () => import("./pageviews.ts"),
  reach: () => import("./reach.ts"),
  "page-counter": () => import("./page-counter.ts"),
  "poll-votes": () => import("./poll-votes.ts"),
  text: () => import("./text.ts"),
  "sent-search": () => import("./sent-search.ts"),
};

const [name, ...argv] = process.argv.slice(2);
const load = name === undefined ? undefined : BENCHMARKS[name];
if (load === undefined) {
  process.stderr.write(`usage: npm run bench -- <${Object.keys(BENCHMARKS).join("|")}> [options]\n`);
  process.exitCode = 2;
} else {
  await (await load()).main(argv);
}
