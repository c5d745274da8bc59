/**
 * The read benchmark's data sets: built once per (engine, size, origin, schema, generator) and cached.
 *
 * - SQLite: a file under bench/.cache/, built as `….partial` and renamed when complete.
 * - PostgreSQL: a schema in the `test` database, built as `…_partial` and renamed when complete.
 * The cache key hashes the size, the origin, every migration file and the generator's own files,
 * so a schema change (or a change here) builds a new data set instead of reusing a stale one; the
 * stale ones of the same size are removed then.
 *
 * Steps: (1) Herold's own code migrates, creates the organisation account and its owner, and
 * publishes acme's first post through PostService (the bridge stores its Create activity): the
 * template of every later local post. (2) Bulk rows (rows.ts) through a sink per engine, with the
 * secondary indexes dropped and re-created from their own definitions. (3) `afterLoad`: the
 * repair/recount step, PostgreSQL statistics.
 */
import { createHash, generateKeyPairSync } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { spawn } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import postgres from "postgres";
import { createAppContext } from "../../src/app/context.ts";
import { loadConfig, parseDatabaseUrl, type DatabaseConfig } from "../../src/config/config.ts";
import { TEST_PG_URL, type Engine } from "../../src/testing/databases.ts";
import { unreachable } from "../../src/lib/result.ts";
import {
  acmePost,
  actorRow,
  boostRow,
  follow,
  interactionRow,
  notificationRow,
  remoteActor,
  remoteNote,
  Timeline,
  type Acme,
  type LocalTemplate,
  type RemoteActor,
  type Row,
} from "./rows.ts";
import { shapeFor, type Shape } from "./shape.ts";
import type { Sink, Value } from "./sink.ts";
import { postgresSink } from "./sink.postgres.ts";
import { sqliteSink } from "./sink.sqlite.ts";

export const USERNAME = "acme";
export const OWNER_EMAIL = "owner@acme.example";
export const OWNER_PASSWORD = "the bench owner's long password";
const MARK = "benchtemplatetext";

export interface Dataset {
  readonly engine: Engine;
  readonly shape: Shape;
  /** HEROLD_DATABASE_URL of the data set. */
  readonly url: string;
  /** Built now (and how long it took), or found in the cache. */
  readonly builtMs: number | null;
}

const CACHE_DIR = fileURLToPath(new URL("../.cache/", import.meta.url));
const MIGRATIONS_DIR = fileURLToPath(new URL("../../src/db/migrations/", import.meta.url));
const HERE = fileURLToPath(new URL("./", import.meta.url));
const CLI = fileURLToPath(new URL("../../src/cli/herold.ts", import.meta.url));

/** The cache key: size, origin, migrations (names and contents), the generator's files. */
export function datasetKey(posts: number, origin: string): string {
  const hash = createHash("sha256").update(JSON.stringify({ posts, origin }));
  for (const dir of [MIGRATIONS_DIR, HERE]) {
    for (const name of readdirSync(dir).filter((n) => n.endsWith(".ts") && !n.endsWith(".test.ts")).sort()) {
      hash.update(`${dir}${name}\n`).update(readFileSync(join(dir, name)));
    }
  }
  return hash.digest("hex").slice(0, 12);
}

/** The cached data set of this size, built first when there is none. */
export async function ensureDataset(engine: Engine, posts: number, origin: string, log: (line: string) => void): Promise<Dataset> {
  const shape = shapeFor(posts);
  const key = datasetKey(posts, origin);
  switch (engine) {
    case "sqlite": {
      mkdirSync(CACHE_DIR, { recursive: true });
      const path = join(CACHE_DIR, `reads-${posts}-${key}.db`);
      const url = `sqlite:${path}`;
      if (existsSync(path)) return { engine, shape, url, builtMs: null };
      // Data sets of this size from other schemas or generators are stale: removed, not kept (each is GBs).
      for (const name of readdirSync(CACHE_DIR)) if (name.startsWith(`reads-${posts}-`) && !name.startsWith(`reads-${posts}-${key}.`)) rmSync(join(CACHE_DIR, name), { force: true });
      const partial = `${path}.partial`;
      for (const suffix of ["", "-wal", "-shm"]) rmSync(partial + suffix, { force: true });
      const started = performance.now();
      await buildDataset({ kind: "sqlite", path: partial, url: `sqlite:${partial}` }, shape, origin, log);
      for (const suffix of ["-wal", "-shm"]) rmSync(partial + suffix, { force: true });
      renameSync(partial, path);
      return { engine, shape, url, builtMs: performance.now() - started };
    }
    case "postgres": {
      const schema = `bench_reads_${posts}_${key}`;
      const partial = `${schema}_partial`;
      const admin = postgres(TEST_PG_URL, { max: 1, onnotice: () => {} });
      try {
        const found = await admin`SELECT 1 FROM information_schema.schemata WHERE schema_name = ${schema}`;
        if (found.length > 0) return { engine, shape, url: `${TEST_PG_URL}?schema=${schema}`, builtMs: null };
        const stale = await admin<{ name: string }[]>`SELECT schema_name AS name FROM information_schema.schemata WHERE schema_name LIKE ${`bench\_reads\_${posts}\_%`}`;
        for (const { name } of stale) await admin.unsafe(`DROP SCHEMA "${name}" CASCADE`);
        const started = performance.now();
        await buildDataset(parseDatabaseUrl(`${TEST_PG_URL}?schema=${partial}`, process.cwd()), shape, origin, log);
        await admin.unsafe(`ALTER SCHEMA "${partial}" RENAME TO "${schema}"`);
        return { engine, shape, url: `${TEST_PG_URL}?schema=${schema}`, builtMs: performance.now() - started };
      } finally {
        await admin.end();
      }
    }
    default:
      return unreachable(engine);
  }
}

/** Builds the data set of `shape` into an empty (or freshly migrated) database. */
export async function buildDataset(database: DatabaseConfig, shape: Shape, origin: string, log: (line: string) => void): Promise<void> {
  const url = database.url + (database.kind === "postgres" && database.schema !== undefined ? `${database.url.includes("?") ? "&" : "?"}schema=${database.schema}` : "");
  const time = new Timeline(shape, Math.floor(Date.now() / 60_000) * 60_000);
  const env = { HEROLD_ORIGIN: origin, HEROLD_DATABASE_URL: url, HEROLD_LOG_LEVEL: "warning" };
  const { template, acme } = await seedThroughHerold(env);
  const sink = openSink(database);
  try {
    await loadBulk(sink, shape, time, template, acme, log);
  } finally {
    await sink.close();
  }
  await afterLoad(url, env, log);
}

function openSink(database: DatabaseConfig): Sink {
  switch (database.kind) {
    case "sqlite":
      return sqliteSink(database.path);
    case "postgres":
      return postgresSink(database.url, database.schema ?? "public");
    default:
      return unreachable(database);
  }
}

/**
 * Step 1: what Herold's own services write — the schema (migrations), the account with its keys,
 * the owner who signs in to the web app, and acme's first post with its Create activity.
 */
async function seedThroughHerold(env: Record<string, string>): Promise<{ template: LocalTemplate; acme: Acme }> {
  const dataDir = mkdtempSync(join(tmpdir(), "herold-bench-reads-seed-"));
  // The real clock: the services mint ids with `newId()` at the present, so the account, its actor
  // and the owner are rows of the build's time (their ids and timestamps agree); the history below
  // is written with ids of its own past times.
  const ctx = await createAppContext(loadConfig({ ...env, HEROLD_DATA_DIR: dataDir }), { migrate: true });
  try {
    const account = await ctx.services.accounts.create({ username: USERNAME, name: "ACME", type: "organization", summary: "The ACME organisation." });
    if (!account.ok) throw new Error(`account: ${account.message}`);
    const owner = await ctx.web.users.create({ email: OWNER_EMAIL, displayName: "Owner", password: OWNER_PASSWORD, accountUsername: USERNAME, role: "owner" });
    if (!owner.ok) throw new Error(`owner: ${owner.message}`);
    const published = await ctx.posts.service.publish({ username: USERNAME, text: MARK });
    if (!published.ok) throw new Error(`publish: ${published.message}`);
    const post = published.value;
    const db = ctx.database.db;
    // The bridge stores the Create right after the commit, in this process: wait for that row.
    let outbox: Row | undefined;
    for (let tries = 0; outbox === undefined; tries++) {
      if (tries > 200) throw new Error("the Create activity of the template post was not stored within 10 s");
      outbox = (await db.selectFrom("outbox_activities").selectAll().where("object_uri", "=", post.uri).where("type", "=", "Create").executeTakeFirst()) as Row | undefined;
      if (outbox === undefined) await new Promise((r) => setTimeout(r, 50));
    }
    const postRow = (await db.selectFrom("posts").selectAll().where("id", "=", post.id).executeTakeFirstOrThrow()) as unknown as Row;
    // The template leaves: its id was minted in this process after ids of the present (newId never
    // goes back in time), so post 0 is written again below like every other, with an id of its time.
    await db.deleteFrom("outbox_activities").where("id", "=", String(outbox["id"])).execute();
    await db.deleteFrom("posts").where("id", "=", post.id).execute();
    const left = await db.selectFrom("jobs").select("queue").execute();
    if (left.length > 0) throw new Error(`jobs left after seeding: ${left.map((j) => j.queue).join(", ")}`);
    const handle = `@${USERNAME}@${ctx.config.domain}`;
    return {
      template: { post: postRow, outbox, postId: post.id, activityId: String(outbox["id"]), publishedMs: Date.parse(post.publishedAt!), mark: MARK },
      acme: { actorId: account.value.actorId, uri: ctx.urls.actor(USERNAME), profileUrl: ctx.urls.profile(USERNAME), handle },
    };
  } finally {
    await ctx.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const TABLES = ["actors", "follows", "follow_events", "posts", "home_feed", "outbox_activities", "post_mentions", "interactions", "notifications"];

/** Step 2: everything else, in bulk. */
async function loadBulk(sink: Sink, shape: Shape, time: Timeline, template: LocalTemplate, acme: Acme, log: (line: string) => void): Promise<void> {
  const pem = generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey.export({ type: "spki", format: "pem" }).toString();
  const actors: RemoteActor[] = Array.from({ length: shape.actors }, (_, k) => remoteActor(k, shape, time));
  const write = async (table: string, rows: Iterable<Row>) => {
    const started = performance.now();
    const { columns, arrays } = asArrays(rows);
    const n = columns.length === 0 ? 0 : await sink.write(table, columns, arrays);
    log(`  ${table}: ${n.toLocaleString("en")} rows in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  };
  await sink.dropIndexes(TABLES);

  await write("actors", (function* () {
    for (let k = 0; k < actors.length; k++) yield actorRow(actors[k]!, k, time, pem);
  })());

  const follows: Row[] = [];
  const events: Row[] = [];
  const followNotifications: Row[] = [];
  for (let f = 0; f < shape.followers; f++) {
    const made = follow(actors[f]!, { id: acme.actorId }, `${actors[f]!.uri}#follows/${f}`, time.follower(f));
    follows.push(made.follow);
    events.push(...made.events);
    followNotifications.push(notificationRow(acme.actorId, "follow", actors[f]!.id, null, null, time.follower(f) + 1_000, true));
  }
  for (let g = 0; g < shape.followees; g++) {
    const followee = actors[shape.actors - 1 - g]!;
    const ms = time.followee(g);
    const made = follow({ id: acme.actorId }, followee, "", ms);
    made.follow["uri"] = `${acme.uri}/activities/${made.follow["id"]}`;
    follows.push(made.follow);
    events.push(...made.events);
  }
  follows.sort(byId);
  events.sort(byId);
  await write("follows", follows);
  await write("follow_events", events);

  // acme's posts and their Create activities.
  const acmeIds: string[] = [];
  const outbox: Row[] = [];
  await write("posts", (function* () {
    for (let i = 0; i < shape.acmePosts; i++) {
      const made = acmePost(template, i, time);
      acmeIds.push(made.id);
      outbox.push(made.outbox);
      yield made.post;
    }
  })());
  await write("outbox_activities", outbox);
  outbox.length = 0;

  // acme's home feed (post/home-feed.ts), as Herold writes it on arrival: an entry for each post or
  // boost row of an account acme follows. Collected with the rows, written sorted by its key.
  const feed: Row[] = [];
  const followeeIds = new Set(Array.from({ length: shape.followees }, (_, g) => actors[shape.actors - 1 - g]!.id));
  const intoFeed = (row: Row) => {
    if (followeeIds.has(String(row["actor_id"]))) feed.push({ feed_id: acme.actorId, published_at: row["published_at"]!, post_id: row["id"]!, author_id: row["actor_id"]! });
  };

  // Remote Notes by the accounts acme follows; every `mentionEvery`-th mentions acme.
  const mentions: { postId: string; uri: string; authorId: string; ms: number }[] = [];
  await write("posts", (function* () {
    for (let j = 0; j < shape.remoteNotes; j++) {
      const author = actors[shape.actors - 1 - (j % shape.followees)]!;
      const mentioning = j % shape.mentionEvery === shape.mentionEvery - 1;
      const row = remoteNote(j, author, time, mentioning ? acme : null);
      if (mentioning) mentions.push({ postId: String(row["id"]), uri: String(row["uri"]), authorId: author.id, ms: time.remoteNote(j) + 2_000 });
      intoFeed(row);
      yield row;
    }
  })());
  await write("post_mentions", mentions.map((m) => ({ post_id: m.postId, actor_uri: acme.uri, handle: acme.handle })));

  /** Who does the k-th like or boost of acme's post i: distinct per post. */
  const stride = Math.floor(shape.actors / shape.interactionsPerPost);
  const actorOf = (i: number, k: number) => actors[(i * 131 + k * stride) % shape.actors]!;
  const announceUri = (i: number, k: number) => `${actorOf(i, k).uri}/statuses/b${i}x${k}/activity`;

  // Boosts of acme's posts: the Announce rows.
  await write("posts", (function* () {
    for (let i = 0; i < shape.acmePosts; i++) {
      for (let k = 0; k < shape.boostsPerPost; k++) {
        const row = boostRow(announceUri(i, k), actorOf(i, k), acmeIds[i]!, acme, time.interaction(i, k));
        intoFeed(row);
        yield row;
      }
    }
  })());
  const key = (row: Row) => `${String(row["published_at"])}~${String(row["post_id"])}`;
  feed.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  await write("home_feed", feed);
  feed.length = 0;

  // The ledger: likes and boosts of acme's posts, mentions of acme; and acme's notifications.
  const notifications: Row[] = [...followNotifications];
  const recent = time.end - 86_400_000;
  await write("interactions", (function* () {
    let n = 0;
    for (let i = 0; i < shape.acmePosts; i++) {
      for (let k = 0; k < shape.interactionsPerPost; k++, n++) {
        const boost = k < shape.boostsPerPost;
        const by = actorOf(i, k);
        const ms = time.interaction(i, k);
        const undone = !boost && n % shape.undoEvery === shape.undoEvery - 1;
        const row = interactionRow(boost ? "boost" : "like", acmeIds[i]!, by.id, boost ? announceUri(i, k) : `${by.uri}#likes/${i}x${k}`, null, ms, undone ? ms + 600_000 : null);
        if (!undone && n % shape.notifyEvery === 0) notifications.push(notificationRow(acme.actorId, boost ? "boost" : "like", by.id, acmeIds[i]!, String(row["id"]), ms + 1_000, ms < recent));
        yield row;
      }
    }
    for (const m of mentions) {
      const row = interactionRow("mention", m.postId, m.authorId, `${m.uri}#mention-${acme.actorId}`, m.uri, m.ms - 2_000, null);
      notifications.push(notificationRow(acme.actorId, "mention", m.authorId, m.postId, String(row["id"]), m.ms, m.ms < recent));
      yield row;
    }
  })());
  notifications.sort(byId);
  await write("notifications", notifications);

  const started = performance.now();
  await sink.restoreIndexes();
  log(`  indexes re-created in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  await sink.checkForeignKeys();
}

/**
 * Step 3, after loading: stored counters are recounted from the tables by `herold repair` when the
 * CLI has that command (issue #15 adds it; until then there are no counters to repair), and
 * PostgreSQL gets fresh statistics (its autovacuum would gather them shortly anyway; a run must not
 * depend on whether it has yet). SQLite gets none here: whether Herold gathers them itself is part
 * of what the benchmark measures.
 */
async function afterLoad(url: string, env: Record<string, string>, log: (line: string) => void): Promise<void> {
  await repairCounters(env, log);
  if (url.startsWith("postgres")) {
    const schema = new URL(url).searchParams.get("schema")!;
    const sql = postgres(TEST_PG_URL, { max: 1, onnotice: () => {}, connection: { search_path: schema } });
    try {
      await sql`ANALYZE`;
    } finally {
      await sql.end();
    }
  }
}

/** `herold repair` if this version of Herold has it (its output says what it corrected). */
async function repairCounters(env: Record<string, string>, log: (line: string) => void): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), "herold-bench-reads-repair-"));
  try {
    const help = await cli(["help"], { ...env, HEROLD_DATA_DIR: dataDir });
    if (!/^\s*repair\b/m.test(help.out)) {
      log("  repair: this Herold has no `herold repair` command (no stored counters to recount)");
      return;
    }
    const repaired = await cli(["repair"], { ...env, HEROLD_DATA_DIR: dataDir });
    if (repaired.code !== 0) throw new Error(`herold repair failed (${repaired.code}):\n${repaired.out}`);
    log(`  repair: ${repaired.out.trim().split("\n").join("\n          ")}`);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function cli(argv: readonly string[], env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, [CLI, ...argv], { env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? tmpdir(), ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.setEncoding("utf8").on("data", (c: string) => (out += c));
  child.stderr.setEncoding("utf8").on("data", (c: string) => (out += c));
  return new Promise((resolve) => child.once("exit", (code) => resolve({ code, out })));
}

const byId = (a: Row, b: Row) => (String(a["id"]) < String(b["id"]) ? -1 : 1);

/** The column names (the keys of the first row: every row of a table has the same) and the rows as arrays in that order. */
function asArrays(rows: Iterable<Row>): { columns: string[]; arrays: Iterable<Value[]> } {
  const iterator = rows[Symbol.iterator]();
  const first = iterator.next();
  if (first.done) return { columns: [], arrays: [] };
  const columns = Object.keys(first.value);
  return {
    columns,
    arrays: (function* () {
      yield columns.map((c) => first.value[c] ?? null);
      for (let next = iterator.next(); !next.done; next = iterator.next()) yield columns.map((c) => next.value[c] ?? null);
    })(),
  };
}
