import { createServer } from "node:net";
import { loadConfig } from "../config/config.ts";
import { createAppContext, type AppContext } from "../app/context.ts";
import { listen, type RunningServer } from "../app/server.ts";
import { httpAppOf } from "../app/routes.ts";
import { startWorker } from "../app/worker.ts";
import { captureCli } from "./cli.ts";
import type { Clock } from "../lib/time.ts";
import { createTestDatabase, type Engine, type TestDatabase } from "./databases.ts";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * A complete Herold instance inside the test process: its own database (SQLite file or PostgreSQL
 * schema), its own data directory, web and worker roles, listening on a free 127.0.0.1 port with
 * origin http://127.0.0.1:<port>. Scenario tests start two or three and let them federate.
 */
export interface TestInstance {
  readonly ctx: AppContext;
  /** http://127.0.0.1:<port> — also the public origin. */
  readonly origin: string;
  /** 127.0.0.1:<port> — the host part of handles (`user@127.0.0.1:<port>`). */
  readonly domain: string;
  /**
   * The one-time setup token, issued at start as `npm start` does while no person exists (post it
   * as `setup_token` to /app/setup); null when the database already had people.
   */
  readonly setupToken: string | null;
  /** Environment that points a CLI or child process at this instance. */
  readonly env: Readonly<Record<string, string>>;
  /** Runs a CLI command against this instance; resolves with exit code and output. */
  cli(...argv: string[]): Promise<{ code: number; out: string; err: string }>;
  close(): Promise<void>;
}

export interface TestInstanceOptions {
  readonly engine?: Engine;
  readonly env?: Readonly<Record<string, string>>;
  readonly clock?: Clock;
  /** Start the worker role (default true). */
  readonly worker?: boolean;
  /**
   * Start on what another instance left (a restored backup): its port (so its origin and actors
   * are the same), data directory and database. The instance owns them from then on.
   */
  readonly reuse?: { readonly port: number; readonly dataDir: string; readonly database: TestDatabase };
}

export async function startTestInstance(options: TestInstanceOptions = {}): Promise<TestInstance> {
  const engine = options.engine ?? "sqlite";
  const dataDir = options.reuse?.dataDir ?? mkdtempSync(join(tmpdir(), "herold-instance-"));
  let database: TestDatabase | undefined;
  let server: RunningServer | undefined;
  let ctx: AppContext | undefined;
  const stop = new AbortController();
  let worker: Promise<void> | undefined;
  try {
    database = options.reuse?.database ?? (await createTestDatabase(engine));
    let env: Record<string, string> = {};
    let port = 0;
    // The origin names the port, so the port is chosen before the context exists; another process
    // can take it in between. Then the instance is built again on another port.
    for (let attempt = 1; server === undefined; attempt++) {
      port = options.reuse?.port ?? (await freePort());
      env = {
        HEROLD_ORIGIN: `http://127.0.0.1:${port}`,
        HEROLD_HOST: "127.0.0.1",
        HEROLD_PORT: String(port),
        HEROLD_DATABASE_URL: database.url,
        HEROLD_DATA_DIR: dataDir,
        HEROLD_ALLOW_PRIVATE_ADDRESS: "true",
        HEROLD_LOG_LEVEL: "error",
        // Where the CLI finds external tools (pg_dump for backups), as in the operator's shell.
        PATH: process.env.PATH ?? "",
        ...options.env,
      };
      ctx = await createAppContext(loadConfig(env), { migrate: true, ...(options.clock ? { clock: options.clock } : {}) });
      try {
        server = await listen(httpAppOf(ctx), "127.0.0.1", port);
      } catch (error) {
        await ctx.close();
        ctx = undefined;
        if ((error as NodeJS.ErrnoException).code !== "EADDRINUSE" || attempt >= 5 || options.reuse !== undefined) throw error;
      }
    }
    const started = ctx!;
    const setupToken = await started.web.users.issueSetupToken();
    if (options.worker !== false) worker = startWorker(started, stop.signal);
    const db = database;
    const runningServer = server;
    return {
      ctx: started,
      origin: `http://127.0.0.1:${port}`,
      domain: `127.0.0.1:${port}`,
      setupToken,
      env,
      cli: (...argv) => captureCli(argv, env),
      async close() {
        stop.abort();
        await runningServer.close();
        await worker;
        await started.close();
        await db.close();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    stop.abort();
    await server?.close();
    await worker?.catch(() => {});
    await ctx?.close();
    await database?.close();
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
}

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** Polls `check` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 10_000, what = "condition"): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ""}`);
}

/**
 * Starts several instances at once. If one fails, the ones that started are closed again before
 * the error is thrown: a half-started set would keep the test process alive.
 */
export async function startTestInstances(options: readonly TestInstanceOptions[]): Promise<TestInstance[]> {
  const results = await Promise.allSettled(options.map((o) => startTestInstance(o)));
  const failed = results.find((r) => r.status === "rejected");
  if (failed === undefined) return results.map((r) => (r as PromiseFulfilledResult<TestInstance>).value);
  await Promise.all(results.map((r) => (r.status === "fulfilled" ? r.value.close() : undefined)));
  throw failed.reason;
}
