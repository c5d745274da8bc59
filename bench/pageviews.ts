/**
 * `npm run bench -- pageviews [--views 2000]`: what web-app page views cost the process's memory.
 * One Herold instance (SQLite, web role, in a child process with its own heap) serves its home
 * timeline — 30 posts, each with a timestamp in the person's time zone — to a signed-in client N
 * times; the child reports its RSS after a warm-up and after the N views (each after a full GC).
 *
 * The baseline is the same run with a fresh Intl.DateTimeFormat built for every timestamp, as
 * `src/web/time-zone.ts` did before its formatters were cached: ICU's formatters live in native
 * memory the garbage collector barely sees, so RSS grows with every page. Printed: RSS growth per
 * 1,000 views and time per view, each beside the baseline.
 */
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

interface Measured {
  readonly mode: Mode;
  readonly views: number;
  readonly rssWarmMb: number;
  readonly rssAfterMb: number;
  readonly peakRssMb: number;
  readonly msPerView: number;
}
type Mode = "cached" | "fresh-formatter";

const POSTS = 30;
const WARM_UP = 100;

export async function main(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({ args: [...argv], options: { views: { type: "string", default: "2000" } }, strict: true });
  const views = Number(values.views);
  if (!Number.isInteger(views) || views < 100) throw new Error("--views must be an integer ≥ 100");
  process.stdout.write(`web-app home timeline (${POSTS} posts with local times), ${views.toLocaleString("en")} views after ${WARM_UP} to warm up\n`);
  const cached = await runChild("cached", views);
  const fresh = await runChild("fresh-formatter", views);
  const growth = (m: Measured) => ((m.rssAfterMb - m.rssWarmMb) / m.views) * 1000;
  const row = (label: string, m: Measured) =>
    `  ${label.padEnd(38)} ${m.rssWarmMb.toFixed(0).padStart(6)} MB ${m.rssAfterMb.toFixed(0).padStart(6)} MB ${m.peakRssMb.toFixed(0).padStart(6)} MB ${growth(m).toFixed(1).padStart(9)} MB ${m.msPerView.toFixed(2).padStart(8)} ms`;
  process.stdout.write(`  ${"".padEnd(38)} ${"RSS warm".padStart(9)} ${"after".padStart(9)} ${"peak".padStart(9)} ${"growth/1k".padStart(12)} ${"per view".padStart(11)}\n`);
  process.stdout.write(row("formatters cached (Herold)", cached) + "\n");
  process.stdout.write(row("fresh formatter per timestamp (baseline)", fresh) + "\n");
  const ratio = growth(fresh) / Math.max(growth(cached), 0.1);
  process.stdout.write(`  RSS growth per 1,000 views: ${growth(cached).toFixed(1)} MB, baseline ${growth(fresh).toFixed(1)} MB (${ratio.toFixed(1)}×); time per view: ${cached.msPerView.toFixed(2)} ms, baseline ${fresh.msPerView.toFixed(2)} ms (${(fresh.msPerView / cached.msPerView).toFixed(2)}×)\n`);
}

function runChild(mode: Mode, views: number): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), ["--child", mode, String(views)], {
      // The heap limits of `npm start`; --expose-gc so both runs measure after a full collection.
      execArgv: ["--max-semi-space-size=4", "--max-old-space-size=256", "--expose-gc"],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    let result: Measured | undefined;
    child.on("message", (message) => (result = message as Measured));
    child.on("error", reject);
    child.on("exit", (code) => (result !== undefined && code === 0 ? resolve(result) : reject(new Error(`${mode} run exited with ${code}`))));
  });
}

/**
 * The baseline: every formatter built from now on makes a fresh native formatter for each call, the
 * cost the uncached `formatLocal` paid per timestamp. Installed before Herold is loaded.
 */
function freshFormatterPerCall(): void {
  const Real = Intl.DateTimeFormat;
  class FreshPerCall {
    readonly #args: ConstructorParameters<typeof Intl.DateTimeFormat>;
    constructor(...args: ConstructorParameters<typeof Intl.DateTimeFormat>) {
      new Real(...args); // validates (RangeError for an unknown zone), as the real constructor does
      this.#args = args;
    }
    format(date?: Date | number): string {
      return new Real(...this.#args).format(date);
    }
    formatToParts(date?: Date | number): Intl.DateTimeFormatPart[] {
      return new Real(...this.#args).formatToParts(date);
    }
    resolvedOptions(): Intl.ResolvedDateTimeFormatOptions {
      return new Real(...this.#args).resolvedOptions();
    }
  }
  Intl.DateTimeFormat = FreshPerCall as unknown as typeof Intl.DateTimeFormat;
}

async function child(mode: Mode, views: number): Promise<void> {
  if (mode === "fresh-formatter") freshFormatterPerCall();
  const { startTestInstance } = await import("../src/testing/instance.ts");
  const { WebClient } = await import("../src/web/testing/web-client.ts");
  const instance = await startTestInstance({ worker: false });
  try {
    const owner = new WebClient(instance.origin);
    await owner.get("/app/setup");
    const setup = await owner.post("/app/setup", { setup_token: instance.setupToken!, email: "owner@acme.example", password: "the owner's long password", account_username: "acme", account_name: "ACME" });
    if (setup.status !== 303) throw new Error(`setup: ${setup.status}`);
    await owner.get("/app/settings");
    const zone = await owner.post("/app/settings", { time_zone: "Europe/Berlin" });
    if (zone.status !== 303) throw new Error(`time zone: ${zone.status}`);
    const { ctx } = instance;
    if (!(await ctx.services.accounts.create({ username: "brand", name: "Brand" })).ok) throw new Error("account brand");
    const followed = await ctx.social.follows.follow("acme", `@brand@${instance.domain}`);
    if (!followed.ok) throw new Error(`follow: ${followed.message}`);
    for (let i = 0; i < POSTS; i++) {
      const published = await ctx.posts.service.publish({ username: "brand", text: `Post ${i}: our new season starts today #launch` });
      if (!published.ok) throw new Error(`publish: ${published.message}`);
    }
    const view = async () => {
      const page = await owner.get("/app/timeline");
      if (page.status !== 200) throw new Error(`/app/timeline: ${page.status}`);
      return page.html;
    };
    const first = await view();
    const shown = first.match(/<time datetime=/g)?.length ?? 0;
    if (shown < POSTS) throw new Error(`home timeline shows ${shown} timestamps, expected ${POSTS}`);

    let peak = 0;
    const rss = () => {
      const bytes = process.memoryUsage.rss();
      peak = Math.max(peak, bytes);
      return bytes / 1024 / 1024;
    };
    const gc = (globalThis as { gc?: () => void }).gc!;
    for (let i = 0; i < WARM_UP; i++) await view();
    gc();
    const rssWarmMb = rss();
    const started = process.hrtime.bigint();
    for (let i = 0; i < views; i++) {
      await view();
      if (i % 100 === 0) rss();
    }
    const msPerView = Number(process.hrtime.bigint() - started) / 1e6 / views;
    gc();
    const rssAfterMb = rss();
    const measured: Measured = { mode, views, rssWarmMb, rssAfterMb, peakRssMb: peak / 1024 / 1024, msPerView };
    process.send!(measured);
  } finally {
    await instance.close();
  }
}

if (process.argv[2] === "--child") {
  await child(process.argv[3] as Mode, Number(process.argv[4]));
}
