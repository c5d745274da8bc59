/**
 * `npm run bench -- page-counter [--views 3000] [--db sqlite|postgres]`: what counting a view of a
 * public page (issue #14) costs beside the page itself. One Herold context on a fresh database (an
 * account with 20 public posts) answers its profile page in-process (`app.request`, no socket), and
 * the same process times `PageViewService.record` — the only work a counted view adds to the
 * response: a User-Agent check and a map increment; the write happens every 5 s off the response
 * path — and one flush of as many counters as a busy quarter hour produces.
 *
 * Printed: median time per profile page, per `record` (a browser's and a crawler's User-Agent), the
 * share of the page that counting is, and the flush's time.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createAppContext } from "../src/app/context.ts";
import { httpAppOf } from "../src/app/routes.ts";
import { loadConfig } from "../src/config/config.ts";
import { newId } from "../src/lib/id.ts";
import { systemClock } from "../src/lib/time.ts";
import { PageViewRepository } from "../src/pages/page-views.repository.ts";
import { PageViewService } from "../src/pages/page-views.service.ts";
import { createTestDatabase } from "../src/testing/databases.ts";

const BROWSER_UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
const CRAWLER_UA = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";

export async function main(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({ args: [...argv], options: { views: { type: "string", default: "3000" }, db: { type: "string", default: "sqlite" } }, strict: true });
  const views = Number(values.views);
  if (!Number.isInteger(views) || views < 100) throw new Error("--views must be an integer ≥ 100");
  const engine = values.db === "postgres" ? "postgres" : "sqlite";
  const test = await createTestDatabase(engine);
  const dataDir = mkdtempSync(join(tmpdir(), "herold-bench-pages-"));
  try {
    const config = loadConfig({ HEROLD_ORIGIN: "https://herold.test", HEROLD_DATABASE_URL: test.url, HEROLD_DATA_DIR: dataDir, HEROLD_LOG_LEVEL: "error" });
    const ctx = await createAppContext(config, { migrate: true });
    const created = await ctx.services.accounts.create({ username: "acme", type: "organization", name: "ACME" });
    if (!created.ok) throw new Error(created.message);
    for (let i = 0; i < 20; i++) {
      const published = await ctx.posts.service.publish({ username: "acme", text: `Post number ${i} with a little text to render.` });
      if (!published.ok) throw new Error(published.message);
    }
    const app = httpAppOf(ctx);
    const page = async (): Promise<number> => {
      const started = performance.now();
      const response = await app.request("/@acme", { headers: { accept: "text/html", "user-agent": BROWSER_UA } });
      await response.text();
      if (response.status !== 200) throw new Error(`profile answered ${response.status}`);
      return performance.now() - started;
    };
    for (let i = 0; i < 200; i++) await page();
    const pages: number[] = [];
    for (let i = 0; i < views; i++) pages.push(await page());

    const service = new PageViewService({ repository: new PageViewRepository(test.database.db), clock: systemClock });
    const account = newId();
    const perRecord = (ua: string): number => {
      for (let i = 0; i < 2000; i++) service.record(account, "post", ua);
      const n = 100_000;
      const started = performance.now();
      for (let i = 0; i < n; i++) service.record(account, "post", ua);
      return ((performance.now() - started) / n) * 1000;
    };
    const browserUs = perRecord(BROWSER_UA);
    const crawlerUs = perRecord(CRAWLER_UA);
    await service.flush();
    // A busy quarter hour: 2,000 accounts × 3 kinds × people/crawlers = 12,000 counters in one flush.
    for (let a = 0; a < 2000; a++) for (const kind of ["profile", "post", "feed"] as const) for (const ua of [BROWSER_UA, CRAWLER_UA]) service.record(`acct-${a}`, kind, ua);
    const flushStarted = performance.now();
    await service.flush();
    const flushMs = performance.now() - flushStarted;
    await service.close();

    const med = [...pages].sort((x, y) => x - y)[Math.floor(pages.length / 2)]!;
    process.stdout.write(`public profile page (20 posts) on ${engine}, ${views} requests in-process after 200 to warm up\n`);
    process.stdout.write(`  profile page, median:                       ${med.toFixed(3)} ms\n`);
    process.stdout.write(`  counting one view (browser User-Agent):     ${browserUs.toFixed(2)} µs = ${((browserUs / 1000 / med) * 100).toFixed(2)} % of the page\n`);
    process.stdout.write(`  counting one view (crawler User-Agent):     ${crawlerUs.toFixed(2)} µs = ${((crawlerUs / 1000 / med) * 100).toFixed(2)} % of the page\n`);
    process.stdout.write(`  one flush of 12,000 counters (off the response path, every 5 s): ${flushMs.toFixed(1)} ms\n`);
    await ctx.close();
  } finally {
    await test.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
