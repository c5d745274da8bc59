import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, describe, test } from "node:test";
import { sql } from "kysely";
import { createTestDatabase } from "./testing/databases.ts";
import { eventually, freePort } from "./testing/instance.ts";

// `npm start` as an operator runs it: a separate Node 24 process (process.execPath is the Node that
// runs the tests, which npm provides) started from a clean environment.
const MAIN = fileURLToPath(new URL("./main.ts", import.meta.url));

interface Started {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or the signal name) once the process has ended. */
  readonly exited: Promise<number | string>;
}

const running = new Set<ChildProcess>();

function start(env: Record<string, string>, args: string[] = [], cwd?: string): Started {
  // Only what Node needs plus what the test sets: no HEROLD_* leaks in from the test's environment.
  const base = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? tmpdir(), LANG: "C.UTF-8" };
  const child = spawn(process.execPath, [MAIN, ...args], { cwd: cwd ?? tmpdir(), env: { ...base, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  let out = "";
  let err = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (err += chunk));
  const exited = new Promise<number | string>((resolve) =>
    child.on("exit", (code, signal) => {
      running.delete(child);
      resolve(code ?? signal ?? "unknown");
    }),
  );
  return { child, stdout: () => out, stderr: () => err, exited };
}

const waitForOutput = (started: Started, pattern: RegExp, what: string) =>
  eventually(() => pattern.test(started.stdout() + started.stderr()), 30_000, `${what}; output so far:\n${started.stdout()}${started.stderr()}`);

/** An expected start-up failure: the exit code and exactly one line on stderr, no stack trace. */
async function failsWithOneLine(started: Started, code: number): Promise<string> {
  assert.equal(await started.exited, code, started.stderr());
  const lines = started.stderr().trimEnd().split("\n");
  assert.equal(lines.length, 1, `one line on stderr, got:\n${started.stderr()}`);
  assert.doesNotMatch(started.stderr(), /^\s+at /m, "no stack trace");
  assert.match(lines[0]!, /^herold: /);
  return lines[0]!;
}

describe("the herold process", () => {
  after(() => {
    // A failed assertion must not leave a server running.
    for (const child of running) child.kill("SIGKILL");
  });

  test("a first start needs no configuration: SQLite under ./data, prints the URL and the next step", async () => {
    const dir = mkdtempSync(join(tmpdir(), "herold-first-run-"));
    try {
      const port = await freePort();
      const herold = start({ HEROLD_PORT: String(port) }, [], dir);
      await waitForOutput(herold, /then open /, "the start banner");
      const out = herold.stdout();
      assert.match(out, new RegExp(`Listening on http://127\\.0\\.0\\.1:${port}, public origin http://localhost:${port}`));
      assert.match(out, new RegExp(`Database: ${dir.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/data/herold\\.db`));
      assert.match(out, /Next: open http:\/\/localhost:\d+\/app to set up the owner/);
      // Issue #10 item 6: setup needs the one-time token printed here (and only here).
      const token = /one-time setup token[^\n]*\n {4}([A-Za-z0-9_-]{43})\n/.exec(out)?.[1];
      assert.ok(token !== undefined, "the banner prints a setup token");
      assert.match(out, new RegExp(`open http://localhost:${port}/app/setup\\?token=${token}\n`));
      assert.match(out, /npm run -s herold -- account create acme --type organization --name "ACME GmbH"/);
      assert.match(out, new RegExp(`then open http://localhost:${port}/@acme`));
      assert.ok(existsSync(join(dir, "data", "herold.db")), "the database is under ./data");
      assert.equal(statSync(join(dir, "data", "secret")).mode & 0o777, 0o600, "the instance secret is private");
      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      assert.equal(health.status, 200);
      assert.equal(((await health.json()) as { status: string }).status, "ok");
      herold.child.kill("SIGTERM");
      assert.equal(await herold.exited, 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("SIGTERM lets an in-flight request finish, refuses new ones, then exits 0", async () => {
    // PostgreSQL makes the request slow on purpose: /healthz reads the kv table, and the test holds
    // an exclusive lock on it until the process has been told to stop.
    const database = await createTestDatabase("postgres");
    const dataDir = mkdtempSync(join(tmpdir(), "herold-shutdown-"));
    let release = () => {};
    const locked = new Promise<void>((resolve) => (release = resolve));
    let lockHolder: Promise<unknown> | undefined;
    try {
      const schema = database.config.kind === "postgres" ? database.config.schema! : "";
      const port = await freePort();
      const herold = start({ HEROLD_PORT: String(port), HEROLD_DATABASE_URL: database.url, HEROLD_DATA_DIR: dataDir });
      await waitForOutput(herold, /is running/, "the start banner");
      await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.text()); // warm: the worker's first housekeeping is done

      let lockTaken = () => {};
      const taken = new Promise<void>((resolve) => (lockTaken = resolve));
      lockHolder = database.database.db.transaction().execute(async (trx) => {
        await sql`LOCK TABLE kv IN ACCESS EXCLUSIVE MODE`.execute(trx);
        lockTaken();
        await locked;
      });
      await taken;

      const inFlight = fetch(`http://127.0.0.1:${port}/healthz`).then(async (r) => ({ status: r.status, body: await r.text() }));
      // The request is in flight once its query waits for the lock.
      await eventually(async () => {
        const { rows } = await sql<{ n: string | number }>`
          select count(*) as n from pg_locks l join pg_class c on c.oid = l.relation join pg_namespace s on s.oid = c.relnamespace
          where not l.granted and c.relname = 'kv' and s.nspname = ${schema}`.execute(database.database.db);
        return Number(rows[0]?.n) > 0;
      }, 10_000, "the request to wait for the lock");

      herold.child.kill("SIGTERM");
      await waitForOutput(herold, /shutting down/, "the shutdown log line");
      await assert.rejects(fetch(`http://127.0.0.1:${port}/healthz`), "a stopping server accepts no new connections");

      release();
      const response = await inFlight;
      assert.equal(response.status, 200);
      assert.equal((JSON.parse(response.body) as { status: string }).status, "ok");
      assert.equal(await herold.exited, 0);
      assert.doesNotMatch(herold.stderr(), /error/i);
    } finally {
      release();
      await lockHolder?.catch(() => {});
      await database.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test("a bad HEROLD_PORT is one line on stderr and exit code 2", async () => {
    const herold = start({ HEROLD_PORT: "eighty" });
    const line = await failsWithOneLine(herold, 2);
    assert.equal(line, 'herold: configuration error: HEROLD_PORT: must be a whole number, got "eighty"');
    assert.equal(herold.stdout(), "");
  });

  test("an unknown command-line option is one line and exit code 2", async () => {
    const line = await failsWithOneLine(start({}, ["--verbose"]), 2);
    assert.match(line, /^herold: configuration error: unknown option "--verbose"/);
  });

  test("a port in use is one line and exit code 1", async () => {
    const dir = mkdtempSync(join(tmpdir(), "herold-port-in-use-"));
    const blocker = createServer();
    try {
      const port = await freePort();
      await new Promise<void>((resolve) => blocker.listen(port, "127.0.0.1", resolve));
      const herold = start({ HEROLD_PORT: String(port), HEROLD_DATA_DIR: join(dir, "data"), HEROLD_DATABASE_URL: `sqlite:${join(dir, "h.db")}` });
      const line = await failsWithOneLine(herold, 1);
      assert.equal(line, `herold: port ${port} on 127.0.0.1 is already in use; set HEROLD_PORT or pass --port`);
    } finally {
      blocker.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a database that cannot be opened is one line and exit code 1", async () => {
    const dir = mkdtempSync(join(tmpdir(), "herold-no-db-"));
    try {
      // Nothing listens on port 1 of the loopback interface.
      const unreachable = start({ HEROLD_PORT: String(await freePort()), HEROLD_DATA_DIR: dir, HEROLD_DATABASE_URL: "postgres://postgres@127.0.0.1:1/herold" });
      assert.match(await failsWithOneLine(unreachable, 1), /^herold: cannot open the database: /);
      const file = join(dir, "not-a-directory");
      await import("node:fs/promises").then((fs) => fs.writeFile(file, "x"));
      const unwritable = start({ HEROLD_PORT: String(await freePort()), HEROLD_DATA_DIR: dir, HEROLD_DATABASE_URL: `sqlite:${file}/herold.db` });
      assert.match(await failsWithOneLine(unwritable, 1), /^herold: cannot open the database: /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
