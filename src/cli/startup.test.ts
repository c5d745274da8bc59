import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import { sql } from "kysely";
import { parseDatabaseUrl } from "../config/config.ts";
import { openDatabase } from "../db/database.ts";
import { createTestDatabase, ENGINES, TEST_PG_URL, type TestDatabase } from "../testing/databases.ts";
import { runCli } from "./herold.ts";

/**
 * What a CLI process loads, per command: each command builds only the part of Herold it runs on
 * (`context` in cli.ts), so `help` loads no package at all and the account commands neither Fedify
 * nor the delivery engine. Checked by the modules a real `herold` process resolves, not by timing.
 */
const HEROLD = fileURLToPath(new URL("./herold.ts", import.meta.url));
const TRACE_HOOK = pathToFileURL(fileURLToPath(new URL("../testing/module-trace.ts", import.meta.url))).href;

interface TracedRun {
  code: number | null;
  out: string;
  err: string;
  /** Every module URL the process resolved. */
  modules: string[];
}

/** Loaded by the whole server only: Fedify and its vocabulary, the feature modules above delivery. */
const SERVER_ONLY = [/\/node_modules\/@fedify\//, /\/node_modules\/@opentelemetry\//, /\/node_modules\/jsonld\//, /\/src\/(federation|web|pages|http|media)\//];
/** The delivery engine and the HTTP framework its metrics route uses. */
const DELIVERY = [/\/src\/delivery\//, /\/node_modules\/hono\//];

/** The HTML parser and its dependencies (~90 ms to load): only commands that clean or reduce HTML load them. */
const HTML_PARSER = [/\/node_modules\/(sanitize-html|htmlparser2|postcss)\//];
const offending = (modules: readonly string[], patterns: readonly RegExp[]) => modules.filter((url) => patterns.some((p) => p.test(url)));

describe("herold CLI start-up loads per command what it needs", () => {
  let database: TestDatabase;
  let dir: string;
  let runs = 0;

  const traced = (argv: string[]): Promise<TracedRun> => {
    const traceFile = join(dir, `modules-${runs++}.txt`);
    const env = {
      HEROLD_DATABASE_URL: database.url,
      HEROLD_DATA_DIR: join(dir, "data"),
      HEROLD_ORIGIN: "https://social.example.org",
      HEROLD_TEST_MODULE_TRACE: traceFile,
    };
    return new Promise((resolve, reject) => {
      execFile(process.execPath, ["--import", TRACE_HOOK, HEROLD, ...argv], { env, encoding: "utf8" }, (error, out, err) => {
        if (error !== null && typeof error.code !== "number") return reject(error);
        const modules = readFileSync(traceFile, "utf8").split("\n").filter((line) => line !== "");
        resolve({ code: error === null ? 0 : (error.code as number), out, err, modules });
      });
    });
  };

  before(async () => {
    database = await createTestDatabase("sqlite");
    dir = mkdtempSync(join(tmpdir(), "herold-cli-startup-"));
  });
  after(async () => {
    await database?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("help loads no package and none of the server, and prints what runCli prints", async () => {
    const run = await traced(["help"]);
    assert.equal(run.code, 0, run.err);
    const inProcess: string[] = [];
    assert.equal(await runCli(["help"], {}, { out: (t) => inProcess.push(t), err: (t) => inProcess.push(t) }), 0);
    assert.equal(run.out, inProcess.join("\n") + "\n");
    assert.ok(run.modules.some((url) => url.endsWith("/src/cli/herold.ts")), "the trace saw the CLI");
    assert.deepEqual(offending(run.modules, [/\/node_modules\//, /\/src\/(app|db|queue|delivery|federation|post|social|web|pages|http|content|net)\//]), []);
  });

  test("account commands and migrate run on the database and the account service alone", async () => {
    const create = await traced(["account", "create", "acme", "--name", "ACME"]);
    assert.equal(create.code, 0, create.err);
    assert.equal(create.out, "created Organization @acme@social.example.org\n  profile: https://social.example.org/@acme\n  actor:   https://social.example.org/users/acme\n");
    assert.deepEqual(offending(create.modules, [...SERVER_ONLY, ...DELIVERY]), []);

    const list = await traced(["account", "list"]);
    assert.equal(list.code, 0, list.err);
    assert.match(list.out, /^@acme@social\.example\.org\s+Organization\s+ACME\n$/);
    assert.deepEqual(offending(list.modules, [...SERVER_ONLY, ...DELIVERY, ...HTML_PARSER]), []);

    const show = await traced(["account", "show", "acme", "--json"]);
    assert.equal(show.code, 0, show.err);
    assert.equal((JSON.parse(show.out) as { handle: string }).handle, "@acme@social.example.org");
    assert.deepEqual(offending(show.modules, [...SERVER_ONLY, ...DELIVERY]), []);

    const migrate = await traced(["migrate"]);
    assert.equal(migrate.code, 0, migrate.err);
    assert.equal(migrate.out, "database schema is up to date\n");
    assert.deepEqual(offending(migrate.modules, [...SERVER_ONLY, ...DELIVERY, /\/src\/(account|post|social|queue)\//]), []);
  });

  test("status runs on the delivery module without Fedify or the web app", async () => {
    const run = await traced(["status"]);
    assert.equal(run.code, 0, run.err);
    assert.match(run.out, /^Queues \(ready \/ delayed \/ running \/ dead\):\n {2}all empty\n/);
    // Delivery reads the activities it sends through federation's outbox repository (a leaf file of
    // type imports only); nothing else of federation is loaded.
    const outboxReader = /\/src\/federation\/outbound\/outbox\.repository\.ts$/;
    assert.deepEqual(offending(run.modules, [...SERVER_ONLY, ...HTML_PARSER]).filter((url) => !outboxReader.test(url)), []);
  });

  test("stats runs on the insights reports without Fedify, the web app or the delivery engine", async () => {
    const run = await traced(["stats", "acme", "--days", "7", "--json"]);
    assert.equal(run.code, 0, run.err);
    assert.equal((JSON.parse(run.out) as { account: string }).account, "acme");
    // The read ports insights needs from delivery, pages and federation (reach, page views, server
    // software) are their own small files; nothing else of those modules is loaded.
    const readPorts = [/\/src\/delivery\/reach\.(repository|postgres|sqlite)\.ts$/, /\/src\/pages\/(page-views\.(repository|service)|crawler)\.ts$/, /\/src\/federation\/software\/[\w.-]+\.ts$/];
    assert.deepEqual(offending(run.modules, [...SERVER_ONLY, ...DELIVERY]).filter((url) => !readPorts.some((port) => port.test(url))), []);
  });

  test("a command process keeps its compiled code in the data directory, help writes nothing", async () => {
    // Type stripping and compiling ~400 modules is most of a read-only command's start-up; Node's
    // compile cache, in the data directory (only Herold's user writes there), skips both next time.
    const cache = join(dir, "data", "compile-cache");
    rmSync(cache, { recursive: true, force: true });
    assert.equal((await traced(["help"])).code, 0);
    assert.equal(existsSync(cache), false, "help parses no configuration and writes no cache");
    const list = await traced(["account", "list"]);
    assert.equal(list.code, 0, list.err);
    assert.ok(existsSync(cache) && readdirSync(cache, { recursive: true }).length > 0, "compiled code cached");
    const again = await traced(["account", "list"]);
    assert.equal(again.out, list.out);
  });

  test("commands that act through the server still get the whole server", async () => {
    const run = await traced(["followers", "acme"]);
    assert.equal(run.code, 0, run.err);
    assert.ok(run.modules.some((url) => /\/node_modules\/@fedify\//.test(url)), "followers runs on the full context");
  });
});

describe("herold migrate on a fresh database", () => {
  // The CLI used to migrate while opening, so `migrate` itself never had anything left to apply
  // and always said "up to date". It now opens the database alone and reports what it applied.
  for (const engine of ENGINES) {
    test(`names the migrations it applied, then reports an up-to-date schema [${engine}]`, async () => {
      const dir = mkdtempSync(join(tmpdir(), "herold-cli-migrate-"));
      const schema = `t_cli_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
      const url = engine === "sqlite" ? `sqlite:${join(dir, "fresh.db")}` : `${TEST_PG_URL}?schema=${schema}`;
      try {
        const env = { HEROLD_DATABASE_URL: url, HEROLD_DATA_DIR: join(dir, "data"), HEROLD_ORIGIN: "https://social.example.org" };
        const run = async () => {
          const out: string[] = [];
          const err: string[] = [];
          const code = await runCli(["migrate"], env, { out: (t) => out.push(t), err: (t) => err.push(t) });
          return { code, out: out.join("\n"), err: err.join("\n") };
        };
        const first = await run();
        assert.equal(first.code, 0, first.err);
        assert.match(first.out, /^applied 0001_initial, 0002_inbound, .+/);
        const second = await run();
        assert.equal(second.code, 0, second.err);
        assert.equal(second.out, "database schema is up to date");
        // In-process callers (tests, the test kit) keep their own module loading: no compile cache.
        assert.equal(existsSync(join(dir, "data", "compile-cache")), false);
      } finally {
        if (engine === "postgres") {
          const admin = await openDatabase(parseDatabaseUrl(TEST_PG_URL, process.cwd()), { maxConnections: 1 });
          await sql`DROP SCHEMA IF EXISTS ${sql.id(schema)} CASCADE`.execute(admin.db);
          await admin.close();
        }
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
