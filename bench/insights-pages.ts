import { startInsightsInstance, type InsightsInstance } from "../src/web/testing/insights-instance.ts";
import { setUpOwner, type WebClient } from "../src/web/testing/web-client.ts";

/**
 * `npm run bench -- insights-pages [--requests N]`: what the web app itself adds to an Insights
 * answer — session and membership check, period parsing, the SVG charts, the tables, the HTML — over
 * HTTP on 127.0.0.1, with the report coming from the in-memory fake (so the queries are not in these
 * figures: insights-core's benchmark measures those). The 365-day overview (365 bars × 5 kinds, a
 * 365-point line, two 365-row tables, the heat map) is measured beside the same page for an empty
 * account and beside the downloads, in the same run.
 */
export async function main(argv: readonly string[]): Promise<void> {
  const at = argv.indexOf("--requests");
  const requests = at >= 0 ? Number(argv[at + 1]) : 300;
  if (!Number.isInteger(requests) || requests < 10) throw new Error("--requests must be an integer ≥ 10");
  const [full, empty] = await Promise.all([startInsightsInstance(), startInsightsInstance({ empty: true })]);
  try {
    const sign = (i: InsightsInstance) => setUpOwner(i, { email: "owner@acme.example", password: "owner's long password", account_username: "acme" });
    const [fullClient, emptyClient] = await Promise.all([sign(full), sign(empty)]);
    const cases: [string, WebClient, string][] = [
      ["overview, 365 days", fullClient, "/app/insights?days=365"],
      ["overview, 365 days, empty account", emptyClient, "/app/insights?days=365"],
      ["overview, 30 days", fullClient, "/app/insights?days=30"],
      ["post page", fullClient, "/app/insights/posts/01fakepost000000000000001"],
      ["report.json, 365 days", fullClient, "/app/insights/report.json?days=365"],
      ["days.csv, 365 days", fullClient, "/app/insights/days.csv?days=365"],
      ["Home (baseline: another app page)", fullClient, "/app"],
    ];
    process.stdout.write(`Insights pages over HTTP on 127.0.0.1, ${requests} sequential requests each (after 20 warm-up)\n`);
    process.stdout.write(`  ${"".padEnd(36)} ${"p50 ms".padStart(8)} ${"p95 ms".padStart(8)} ${"max ms".padStart(8)} ${"bytes".padStart(9)}\n`);
    for (const [name, client, path] of cases) {
      let bytes = 0;
      const once = async () => {
        const response = await client.request(path);
        if (response.status !== 200) throw new Error(`${path}: HTTP ${response.status}`);
        bytes = (await response.arrayBuffer()).byteLength;
      };
      for (let i = 0; i < 20; i++) await once();
      const times: number[] = [];
      for (let i = 0; i < requests; i++) {
        const started = process.hrtime.bigint();
        await once();
        times.push(Number(process.hrtime.bigint() - started) / 1e6);
      }
      times.sort((a, b) => a - b);
      const q = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))]!;
      process.stdout.write(`  ${name.padEnd(36)} ${q(0.5).toFixed(2).padStart(8)} ${q(0.95).toFixed(2).padStart(8)} ${times.at(-1)!.toFixed(2).padStart(8)} ${bytes.toLocaleString("en").padStart(9)}\n`);
    }
  } finally {
    await Promise.all([full.close(), empty.close()]);
  }
}
