import { ConfigError, loadConfig, type Config } from "./config/config.ts";
import { createAppContext, type AppContext } from "./app/context.ts";
import { listen, type RunningServer } from "./app/server.ts";
import { startWorker } from "./app/worker.ts";
import { httpAppOf } from "./app/routes.ts";
import { logger, setupLogging } from "./lib/logger.ts";

/**
 * `npm start [-- --role web|worker|all] [--port N] [--host ADDR]`: one program, several roles.
 * Shuts down gracefully on SIGTERM/SIGINT: stop accepting, finish in-flight requests and jobs,
 * then close the database.
 */
async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(process.env, process.argv.slice(2));
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`herold: configuration error: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  await setupLogging(config.logLevel, config.logFormat);
  const log = logger("main");
  if (config.allowPrivateAddress) {
    log.warn("HEROLD_ALLOW_PRIVATE_ADDRESS is on: Herold will fetch from and deliver to private and loopback addresses. Use only for development and tests.");
  }

  let ctx: AppContext;
  try {
    ctx = await createAppContext(config, { migrate: true });
  } catch (error) {
    // Unreachable server, wrong credentials, unwritable file: the operator's to fix, so one line.
    process.stderr.write(`herold: cannot open the database: ${(error as Error).message.split("\n")[0]}\n`);
    process.exit(1);
  }
  const shutdown = new AbortController();
  let server: RunningServer | undefined;
  let worker: Promise<void> | undefined;

  if (config.role === "web" || config.role === "all") {
    try {
      server = await listen(httpAppOf(ctx), config.host, config.port);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      process.stderr.write(
        code === "EADDRINUSE"
          ? `herold: port ${config.port} on ${config.host} is already in use; set HEROLD_PORT or pass --port\n`
          : `herold: cannot listen on ${config.host}:${config.port}: ${(error as Error).message}\n`,
      );
      await ctx.close();
      process.exit(1);
    }
  }
  if (config.role === "worker" || config.role === "all") worker = startWorker(ctx, shutdown.signal);

  const db = config.database.kind === "sqlite" ? config.database.path : "PostgreSQL";
  if (server) {
    const accounts = await ctx.repos.accounts.count();
    const app = `${config.origin.origin}/app`;
    // While nobody is set up, /app/setup needs a one-time token: it is printed here, on the console
    // only (never through the logger), so only whoever runs Herold can claim it (issue #10 item 6).
    const setupToken = await ctx.web.users.issueSetupToken();
    const setup =
      setupToken === null
        ? ""
        : `  Next: open ${app} to set up the owner${accounts === 0 ? " and your organisation's account" : ""},\n` +
          `  with this one-time setup token (good for 24 hours; each start prints a new one):\n` +
          `    ${setupToken}\n` +
          `  or open ${config.origin.origin}/app/setup?token=${setupToken}\n` +
          (accounts > 0 ? `  (or, without a browser: npm run -s herold -- user create <e-mail> --account <username> --role owner)\n` : "");
    process.stdout.write(
      `\nHerold ${ctx.version} (role: ${config.role}) is running.\n` +
        `  Listening on ${server.url}, public origin ${config.origin.origin}\n` +
        `  Database: ${db}\n` +
        setup +
        (accounts === 0
          ? `  ${setupToken === null ? `Next: open ${app}, or ` : "Or "}create the account from the command line:\n` +
            `    npm run -s herold -- account create acme --type organization --name "ACME GmbH"\n  then open ${config.origin.origin}/@acme\n\n`
          : `  ${accounts} account(s). Team app: ${app}  Profiles: ${config.origin.origin}/@<username>\n\n`),
    );
  } else {
    process.stdout.write(`Herold ${ctx.version} worker is running (database: ${db}).\n`);
  }

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info("received {signal}, shutting down", { signal });
    shutdown.abort();
    await Promise.all([server?.close(), worker]);
    await ctx.close();
    log.info("stopped");
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
}

await main();
