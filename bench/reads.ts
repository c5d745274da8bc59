/**
 * `npm run bench -- reads [--posts 1000000] [--db sqlite|postgres] [--clients 1,4]`: how fast Herold
 * answers its read paths when the organisation has history (issue #15, goals 1 and 4).
 *
 * Data: the data set of the issue, built by bench/reads/dataset.ts and cached between runs
 * (bench/.cache/ for SQLite, a schema in the `test` database for PostgreSQL), at `--posts` and at a
 * near-empty `--baseline-posts` built the same way.
 *
 * Processes, each its own (all on 127.0.0.1):
 * - this one: builds or finds the data sets, signs in, finds the cursors, prints the table;
 * - Herold: `src/main.ts --role all` with the Node options of `npm start`, on the baseline, then on
 *   the big data set;
 * - the load generator (bench/reads/loadgen.ts): for each endpoint a warm-up, then 1 client and
 *   then several concurrent clients, `--requests` each (fewer where a request takes so long that
 *   they would not fit in `--max-seconds`), p50 and p95.
 * Memory: the Herold process's peak RSS (VmHWM) during the latency runs, and on the baseline after
 * `--page-views` further web-app page views (the issue: the memory goal must hold in normal use).
 */
import { fork } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { parseDatabaseUrl } from "../src/config/config.ts";
import { openDatabase } from "../src/db/database.ts";
import { freePort } from "../src/testing/instance.ts";
import { startHerold, type HeroldProcess } from "./inbound/herold.ts";
import { ask, memoryOf, nextMessage, type Message } from "./inbound/ipc.ts";
import { ensureDataset, OWNER_EMAIL, OWNER_PASSWORD, USERNAME, type Dataset } from "./reads/dataset.ts";
import type { Endpoint, Measured } from "./reads/loadgen.ts";
import { failures, formatMemory, formatTable, type Run } from "./reads/report.ts";
import { signIn } from "./reads/session.ts";
import { npmStartOptions } from "./start-options.ts";

/**
 * The public origin of every data set: fixed and port-less, because the stored URIs contain it
 * and the server under test listens on whatever port is free. Nothing ever connects to it.
 */
const ORIGIN = "http://127.0.0.1";
const HTML = { accept: "text/html,application/xhtml+xml" };
const ACTIVITY_JSON = { accept: "application/activity+json" };

export async function main(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      posts: { type: "string", default: "1000000" },
      "baseline-posts": { type: "string", default: "100" },
      db: { type: "string", default: "sqlite" },
      clients: { type: "string", default: "1,4" },
      requests: { type: "string", default: "50" },
      warmup: { type: "string", default: "10" },
      /** Per endpoint and client count: stop sending new requests after this long (at least 5 per client). */
      "max-seconds": { type: "string", default: "20" },
      "page-views": { type: "string", default: "2000" },
      /** Node options for the Herold process, space separated; default: those of `npm start`. */
      "node-options": { type: "string" },
    },
    strict: true,
  });
  const posts = positive(values.posts, "--posts");
  const baselinePosts = positive(values["baseline-posts"], "--baseline-posts");
  if (values.db !== "sqlite" && values.db !== "postgres") throw new Error("--db must be sqlite or postgres");
  const engine = values.db;
  const clients = values.clients.split(",").map((c) => positive(c.trim(), "--clients"));
  const plan = { requests: positive(values.requests, "--requests"), minRequests: 5, warmup: positive(values.warmup, "--warmup"), maxSeconds: positive(values["max-seconds"], "--max-seconds") };
  const pageViews = Number(values["page-views"]);
  if (!Number.isInteger(pageViews) || pageViews < 0) throw new Error("--page-views must be a whole number");
  const execArgv = values["node-options"]?.split(/\s+/).filter((o) => o !== "") ?? npmStartOptions();

  const log = (line: string) => process.stdout.write(`${line}\n`);
  const datasets: Dataset[] = [];
  for (const size of [baselinePosts, posts]) {
    log(`data set of ${size.toLocaleString("en")} posts on ${engine}:`);
    const dataset = await ensureDataset(engine, size, ORIGIN, log);
    const s = dataset.shape;
    log(
      `  ${dataset.builtMs === null ? "cached" : `built in ${(dataset.builtMs / 1000).toFixed(1)} s`}: acme ${s.acmePosts.toLocaleString("en")} posts, ` +
        `follows ${s.followees.toLocaleString("en")}, ${s.followers.toLocaleString("en")} followers, ${s.remoteNotes.toLocaleString("en")} remote Notes, ` +
        `${s.boosts.toLocaleString("en")} boosts, ${(s.acmePosts * s.interactionsPerPost).toLocaleString("en")} likes and boosts in the ledger, ${s.actors.toLocaleString("en")} remote actors`,
    );
    datasets.push(dataset);
  }

  const loadgen = fork(new URL("./reads/loadgen.ts", import.meta.url).pathname, [], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  let herold: HeroldProcess | undefined;
  const dataDir = mkdtempSync(join(tmpdir(), "herold-bench-reads-"));
  try {
    await nextMessage(loadgen, "ready");
    log(`reads: Herold --role all on ${engine}, node ${execArgv.join(" ")} src/main.ts; ${clients.join(" then ")} client(s), ${plan.requests} requests each per endpoint after ${plan.warmup} warm-up`);
    const runs: Run[] = [];
    for (const [index, dataset] of datasets.entries()) {
      const label = index === 0 ? `near-empty (${dataset.shape.posts} posts)` : `${dataset.shape.posts.toLocaleString("en")} posts`;
      const port = await freePort();
      const base = `http://127.0.0.1:${port}`;
      herold = await startHerold({
        role: "all",
        port,
        execArgv,
        env: { HEROLD_ORIGIN: ORIGIN, HEROLD_DATABASE_URL: dataset.url, HEROLD_DATA_DIR: dataDir, HEROLD_LOG_LEVEL: "warning" },
      });
      const cookie = await signIn(base, ORIGIN, OWNER_EMAIL, OWNER_PASSWORD);
      const endpoints = await endpointsOf(dataset, base, cookie);
      await precheck(base, endpoints);
      const byClients = new Map<number, readonly Measured[]>();
      for (const c of clients) {
        const started = performance.now();
        const { results } = await ask<Message & { results: Measured[] }>(loadgen, { type: "measure", plan: { ...plan, base, endpoints, clients: c } }, "measured", 3_600_000);
        byClients.set(c, results);
        log(`  ${label}, ${c} client(s): ${((performance.now() - started) / 1000).toFixed(0)} s`);
      }
      const memory = memoryOf(herold.pid)!;
      let views: Run["views"];
      if (index === 0 && pageViews > 0) {
        const app = endpoints.filter((e) => e.path.startsWith("/app"));
        const { statuses } = await ask<Message & { statuses: Record<string, number> }>(loadgen, { type: "views", base, endpoints: app, count: pageViews }, "viewed", 3_600_000);
        views = { count: pageViews, ...memoryOf(herold.pid)!, statuses };
      }
      runs.push({ label, posts: dataset.shape.posts, byClients, memory, ...(views ? { views } : {}) });
      await herold.stop();
      herold = undefined;
    }
    const [baseline, big] = runs as [Run, Run];
    log(`\nlatency in ms (p50 / p95), ${engine}; ratio: big p95 / near-empty p95 of the same client count; goal: p95 < 20 ms (1 client), < 50 ms (4), ratio < 3`);
    process.stdout.write(formatTable(baseline, big, clients));
    log("memory of the Herold process:");
    for (const run of runs) process.stdout.write(formatMemory(run));
    const failed = runs.flatMap(failures);
    if (failed.length > 0 || Object.keys(baseline.views?.statuses ?? {}).some((s) => s !== "200")) {
      log(`requests that did not answer 200:\n  ${failed.join("\n  ")}`);
      process.exitCode = 1;
    }
  } finally {
    await herold?.stop(10_000).catch(() => undefined);
    if (loadgen.connected) loadgen.send({ type: "stop" });
    if (loadgen.exitCode === null && loadgen.signalCode === null) await new Promise((r) => loadgen.once("exit", r));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * The endpoints of the issue's table, with cursors taken from the data (a page far back on the
 * profile, ~50,000 activities back in the outbox, page 2 of the home timeline as its own link).
 */
async function endpointsOf(dataset: Dataset, base: string, cookie: string): Promise<Endpoint[]> {
  const database = await openDatabase(parseDatabaseUrl(dataset.url, process.cwd()), { maxConnections: 1 });
  let farBack: string, outboxCursor: string, postId: string, lastPublished: string;
  try {
    const db = database.db;
    const acme = await db.selectFrom("accounts").select("actor_id").where("username", "=", USERNAME).executeTakeFirstOrThrow();
    const n = dataset.shape.acmePosts;
    const nth = async (offset: number) =>
      (await db.selectFrom("posts").select(["id", "published_at"]).where("actor_id", "=", acme.actor_id).orderBy("id", "desc").offset(offset).limit(1).executeTakeFirstOrThrow());
    farBack = (await nth(Math.min(Math.floor(n * 0.9), n - 2))).id;
    postId = (await nth(Math.floor(n / 2))).id;
    lastPublished = (await nth(0)).published_at!;
    outboxCursor = (
      await db.selectFrom("outbox_activities").select("id").where("actor_id", "=", acme.actor_id).orderBy("id", "desc").offset(Math.min(50_000, Math.floor(n / 2))).limit(1).executeTakeFirstOrThrow()
    ).id;
  } finally {
    await database.close();
  }
  const app = { ...HTML, cookie };
  const home = await fetch(`${base}/app/timeline`, { headers: app, redirect: "manual" });
  const page2 = /<a rel="next" href="(\/app\/timeline\?before=[^"]+)"/.exec(await home.text())?.[1]?.replaceAll("&amp;", "&");
  if (page2 === undefined) throw new Error(`the home timeline (${home.status}) has no link to page 2`);
  return [
    { name: "public profile /@acme", path: `/@${USERNAME}`, headers: HTML },
    { name: "public profile, page far back", path: `/@${USERNAME}?before=${farBack}`, headers: HTML },
    { name: "web app channel home /app", path: "/app", headers: app },
    { name: "web app home timeline /app/timeline", path: "/app/timeline", headers: app },
    { name: "web app home timeline, page 2", path: page2, headers: app },
    { name: "RSS feed", path: `/users/${USERNAME}/feed.rss`, headers: { accept: "application/rss+xml" } },
    { name: "NodeInfo 2.1", path: "/nodeinfo/2.1", headers: { accept: "application/json" } },
    { name: "outbox collection (totalItems)", path: `/users/${USERNAME}/outbox`, headers: ACTIVITY_JSON },
    { name: "web app calendar", path: `/app/calendar?date=${lastPublished.slice(0, 10)}`, headers: app },
    { name: "outbox page far back", path: `/users/${USERNAME}/outbox?cursor=${outboxCursor}`, headers: ACTIVITY_JSON },
    { name: "web app followers", path: "/app/followers", headers: app },
    { name: "post page", path: `/users/${USERNAME}/posts/${postId}`, headers: HTML },
    { name: "actor", path: `/users/${USERNAME}`, headers: ACTIVITY_JSON },
    { name: "WebFinger", path: `/.well-known/webfinger?resource=${encodeURIComponent(`acct:${USERNAME}@${new URL(ORIGIN).host}`)}`, headers: { accept: "application/jrd+json" } },
    { name: "web app notifications", path: "/app/notifications", headers: app },
    { name: "web app mentions", path: "/app/mentions", headers: app },
  ];
}

/** Every endpoint answers 200 with what it should (not a sign-in page, not an empty collection page). */
async function precheck(base: string, endpoints: readonly Endpoint[]): Promise<void> {
  const expect: Record<string, RegExp> = {
    "public profile, page far back": /number \d+/,
    "web app home timeline, page 2": /<article|class="post/,
    "outbox page far back": /OrderedCollectionPage/,
    "outbox collection (totalItems)": /totalItems/,
    "web app mentions": /mention|Mentions/,
  };
  for (const endpoint of endpoints) {
    const response = await fetch(`${base}${endpoint.path}`, { headers: endpoint.headers, redirect: "manual" });
    const body = await response.text();
    if (response.status !== 200) throw new Error(`${endpoint.name} (${endpoint.path}) answered ${response.status}: ${body.slice(0, 300)}`);
    const pattern = expect[endpoint.name];
    if (pattern !== undefined && !pattern.test(body)) throw new Error(`${endpoint.name} (${endpoint.path}) does not show ${pattern}: ${body.slice(-1500)}`);
  }
}

function positive(text: string, name: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
  return value;
}
