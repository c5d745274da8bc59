/**
 * The insights benchmark's data set (issue #14): an organisation account `acme` with 100,000 posts
 * over three years, 2,000,000 ledger rows on them (likes, boosts, replies, quotes, reactions; every
 * 33rd undone), 50,000 accepted followers on 1,250 servers and 5,000 more who followed and left;
 * and an account `quiet` with nothing, measured in the same run. Built once and cached like
 * bench/reads (a file under bench/.cache/ for SQLite, a schema of the `test` database for
 * PostgreSQL), keyed by the migrations and the code that writes rollups.
 *
 * The rows are written in bulk (bench/reads' sinks), then made consistent as Herold keeps them: the
 * counters and the rollups are recounted by the same code `herold repair` runs.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { sql } from "kysely";
import postgres from "postgres";
import { createAppContext } from "../../src/app/context.ts";
import { loadConfig, parseDatabaseUrl, type DatabaseConfig } from "../../src/config/config.ts";
import { unreachable } from "../../src/lib/result.ts";
import { repairFollowCounters } from "../../src/social/follow.counters.ts";
import { TEST_PG_URL, type Engine } from "../../src/testing/databases.ts";
import { idAt } from "../reads/ids.ts";
import type { Row } from "../reads/rows.ts";
import type { Sink } from "../reads/sink.ts";
import { postgresSink } from "../reads/sink.postgres.ts";
import { sqliteSink } from "../reads/sink.sqlite.ts";

export const SHAPE = { posts: 100_000, ledger: 2_000_000, followers: 50_000, churned: 5_000, servers: 1_250, days: 3 * 365 } as const;
export const ORIGIN = "http://127.0.0.1";
export const BIG = "acme";
export const EMPTY = "quiet";
export const TIME_ZONE = "Europe/Berlin";

const CACHE_DIR = fileURLToPath(new URL("../.cache/", import.meta.url));
/** What decides the data: the schema, the code that writes and recounts rollups, this generator. */
const KEYED_DIRS = ["../../src/db/migrations/", "./"].map((d) => fileURLToPath(new URL(d, import.meta.url)));
const KEYED_FILES = ["insights.rollups.ts", "insights.recount.ts", "insights.zone.ts"].map((f) => fileURLToPath(new URL(`../../src/insights/${f}`, import.meta.url)));
const KINDS = ["like", "like", "like", "like", "like", "like", "like", "like", "like", "like", "boost", "boost", "boost", "boost", "reply", "reply", "quote", "react", "react", "react"] as const;

export interface Dataset {
  readonly url: string;
  readonly builtMs: number | null;
}

export function datasetKey(): string {
  const hash = createHash("sha256").update(JSON.stringify({ SHAPE, ORIGIN }));
  for (const dir of KEYED_DIRS) {
    for (const name of readdirSync(dir).filter((n) => n.endsWith(".ts") && !n.endsWith(".test.ts")).sort()) hash.update(name).update(readFileSync(join(dir, name)));
  }
  for (const file of KEYED_FILES) hash.update(file).update(readFileSync(file));
  return hash.digest("hex").slice(0, 12);
}

export async function ensureDataset(engine: Engine, log: (line: string) => void): Promise<Dataset> {
  const key = datasetKey();
  switch (engine) {
    case "sqlite": {
      mkdirSync(CACHE_DIR, { recursive: true });
      const path = join(CACHE_DIR, `insights-${key}.db`);
      if (existsSync(path)) return { url: `sqlite:${path}`, builtMs: null };
      for (const name of readdirSync(CACHE_DIR)) if (name.startsWith("insights-")) rmSync(join(CACHE_DIR, name), { force: true });
      const partial = `${path}.partial`;
      const started = performance.now();
      await build({ kind: "sqlite", path: partial, url: `sqlite:${partial}` }, log);
      for (const suffix of ["-wal", "-shm"]) rmSync(partial + suffix, { force: true });
      renameSync(partial, path);
      return { url: `sqlite:${path}`, builtMs: performance.now() - started };
    }
    case "postgres": {
      const schema = `bench_insights_${key}`;
      const admin = postgres(TEST_PG_URL, { max: 1, onnotice: () => {} });
      try {
        if ((await admin`SELECT 1 FROM information_schema.schemata WHERE schema_name = ${schema}`).length > 0) return { url: `${TEST_PG_URL}?schema=${schema}`, builtMs: null };
        for (const { name } of await admin<{ name: string }[]>`SELECT schema_name AS name FROM information_schema.schemata WHERE schema_name LIKE 'bench\\_insights\\_%'`) await admin.unsafe(`DROP SCHEMA "${name}" CASCADE`);
        const started = performance.now();
        await build(parseDatabaseUrl(`${TEST_PG_URL}?schema=${schema}_partial`, process.cwd()), log);
        await admin.unsafe(`ALTER SCHEMA "${schema}_partial" RENAME TO "${schema}"`);
        return { url: `${TEST_PG_URL}?schema=${schema}`, builtMs: performance.now() - started };
      } finally {
        await admin.end();
      }
    }
    default:
      return unreachable(engine);
  }
}

function urlOf(database: DatabaseConfig): string {
  return database.kind === "postgres" && database.schema !== undefined ? `${database.url}${database.url.includes("?") ? "&" : "?"}schema=${database.schema}` : database.url;
}

async function build(database: DatabaseConfig, log: (line: string) => void): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), "herold-bench-insights-"));
  const env = { HEROLD_ORIGIN: ORIGIN, HEROLD_DATABASE_URL: urlOf(database), HEROLD_DATA_DIR: dataDir, HEROLD_LOG_LEVEL: "warning" };
  try {
    // The schema and the two accounts (with their keys) through Herold's own services.
    let acme: { actorId: string; accountId: string };
    {
      const ctx = await createAppContext(loadConfig(env), { migrate: true });
      try {
        const big = await ctx.services.accounts.create({ username: BIG, name: "ACME", type: "organization" });
        const empty = await ctx.services.accounts.create({ username: EMPTY, name: "Quiet", type: "organization" });
        if (!big.ok || !empty.ok) throw new Error("accounts not created");
        acme = { actorId: big.value.actorId, accountId: big.value.id };
      } finally {
        await ctx.close();
      }
    }
    const sink = openSink(database);
    try {
      await load(sink, acme.actorId, log);
    } finally {
      await sink.close();
    }
    // Consistent as Herold keeps it: counters and rollups recounted (what `herold repair` does), in acme's zone.
    const ctx = await createAppContext(loadConfig(env), { migrate: false });
    try {
      const started = performance.now();
      await ctx.repos.posts.repairCounters();
      await repairFollowCounters(ctx.database.db);
      const zone = await ctx.insights.queries.setTimeZone(acme.accountId, TIME_ZONE);
      if (!zone.ok) throw new Error(zone.message);
      log(`  counters and rollups recounted in ${((performance.now() - started) / 1000).toFixed(1)} s`);
      // PostgreSQL's autovacuum would gather statistics soon; a run must not depend on whether it has yet.
      if (database.kind === "postgres") await sql`ANALYZE`.execute(ctx.database.db);
    } finally {
      await ctx.close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
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

async function load(sink: Sink, acmeId: string, log: (line: string) => void): Promise<void> {
  const end = Math.floor(Date.now() / 60_000) * 60_000 - 3_600_000;
  const span = SHAPE.days * 86_400_000;
  const iso = (ms: number) => new Date(ms).toISOString();
  const write = async (table: string, columns: readonly string[], rows: Iterable<readonly (string | number | null)[]>) => {
    const started = performance.now();
    const n = await sink.write(table, columns, rows);
    log(`  ${table}: ${n.toLocaleString("en")} rows in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  };
  await sink.dropIndexes(["actors", "posts", "follows", "follow_events", "interactions"]);

  const actorCount = SHAPE.followers + SHAPE.churned;
  const actors = Array.from({ length: actorCount }, (_, k) => {
    const domain = `s${k % SHAPE.servers}.example`;
    const seen = end - span + Math.floor((k / actorCount) * span * 0.9);
    return { id: idAt(seen), uri: `https://${domain}/users/u${k}`, domain, username: `u${k}`, seen };
  });
  actors.sort((a, b) => (a.id < b.id ? -1 : 1));
  await write("actors", ["id", "uri", "is_local", "type", "username", "domain", "inbox_url", "shared_inbox_url", "created_at", "updated_at"], (function* () {
    for (const a of actors) yield [a.id, a.uri, 0, "Person", a.username, a.domain, `${a.uri}/inbox`, `https://${a.domain}/inbox`, iso(a.seen), iso(a.seen)];
  })());

  const follows: Row[] = [];
  const events: (string | number | null)[][] = [];
  for (let k = 0; k < actorCount; k++) {
    const a = actors[k]!;
    const at = a.seen + 60_000;
    events.push([idAt(at), a.id, acmeId, "requested", null, 0, iso(at)], [idAt(at + 1), a.id, acmeId, "accepted", null, 0, iso(at + 1)]);
    if (k < SHAPE.followers) follows.push({ id: idAt(at), follower_id: a.id, followee_id: acmeId, state: "accepted", uri: `${a.uri}#follows/1`, created_at: iso(at), accepted_at: iso(at + 1), updated_at: iso(at + 1) });
    else {
      const left = Math.min(end, at + 30 * 86_400_000);
      events.push([idAt(left), a.id, acmeId, "ended", "unfollow", 1, iso(left)]);
    }
  }
  events.sort((x, y) => (String(x[0]) < String(y[0]) ? -1 : 1));
  await write("follows", ["id", "follower_id", "followee_id", "state", "uri", "created_at", "accepted_at", "updated_at"], follows.map((f) => [f["id"]!, f["follower_id"]!, f["followee_id"]!, f["state"]!, f["uri"]!, f["created_at"]!, f["accepted_at"]!, f["updated_at"]!]));
  await write("follow_events", ["id", "follower_id", "followee_id", "kind", "reason", "was_accepted", "created_at"], events);

  const posts = Array.from({ length: SHAPE.posts }, (_, i) => {
    const published = end - span + Math.floor((i / SHAPE.posts) * span);
    return { id: idAt(published), published };
  });
  await write("posts", ["id", "uri", "actor_id", "is_local", "type", "state", "visibility", "source_text", "content_html", "url", "published_at", "created_at", "updated_at"], (function* () {
    for (const [i, p] of posts.entries()) {
      const uri = `${ORIGIN}/users/${BIG}/posts/${p.id}`;
      const text = `Post ${i} of ACME #tag${i % 40}`;
      yield [p.id, uri, acmeId, 1, "Note", "published", "public", text, `<p>${text}</p>`, uri, iso(p.published), iso(p.published), iso(p.published)];
    }
  })());
  await write("post_tags", ["post_id", "tag"], (function* () {
    for (const [i, p] of posts.entries()) yield [p.id, `tag${i % 40}`];
  })());

  const perPost = SHAPE.ledger / SHAPE.posts;
  await write("interactions", ["id", "kind", "post_id", "actor_id", "activity_uri", "object_uri", "content", "created_at", "undone_at"], (function* () {
    let n = 0;
    for (const [i, p] of posts.entries()) {
      for (let k = 0; k < perPost; k++, n++) {
        const actor = actors[(i * 131 + k * 2_477) % SHAPE.followers]!;
        const kind = KINDS[k % KINDS.length]!;
        // Most within hours of publication, a tail over the next days; never in the future.
        const at = Math.min(end, p.published + ((k * k * 7_919 + i * 13) % (4 * 86_400_000)));
        const undone = (kind === "like" || kind === "boost") && n % 33 === 32 ? iso(Math.min(end, at + 600_000)) : null;
        const activity = `${actor.uri}/activities/${i}-${k}`;
        yield [idAt(at), kind, p.id, actor.id, activity, kind === "reply" || kind === "quote" ? `${actor.uri}/notes/${i}-${k}` : null, kind === "react" ? "🎉" : null, iso(at), undone];
      }
    }
  })());
  const started = performance.now();
  await sink.restoreIndexes();
  log(`  indexes re-created in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  await sink.checkForeignKeys();
}
