import { enableCompileCache } from "node:module";
import { join } from "node:path";
import { ConfigError, loadConfig, type Config } from "../config/config.ts";
import { unreachable } from "../lib/result.ts";
import { CommandError, parseCommandArgs, UsageError, type Command, type Output, type ParsedArgs } from "./cli.ts";
import { commands } from "./commands/index.ts";
import { openBaseContext, openDatabaseContext, openDeliveryContext, openInsightsContext, openServerContext, type OpenedContext } from "./contexts.ts";

/**
 * `npm run -s herold -- <command> …`: how operators script Herold. Every expected failure prints
 * one line on stderr (exit 1; usage mistakes exit 2); unexpected ones print one line too, plus the
 * stack only with HEROLD_LOG_LEVEL=debug.
 *
 * Start-up is per command: this file and the command modules load no package; a command loads the
 * context it names (`Command.context`), so `help` and the account commands never load Fedify or
 * the delivery engine (`startup.test.ts` checks what each loads).
 */
export async function runCli(argv: readonly string[], env: NodeJS.ProcessEnv, io: Output, options: CliOptions = {}): Promise<number> {
  if (argv.length === 0 || argv[0] === "help" || argv[0] === "--help" || argv[0] === "-h") {
    io.out(helpText());
    return 0;
  }
  const command = findCommand(argv);
  if (command === undefined) {
    io.err(`herold: unknown command ${JSON.stringify(argv.slice(0, 2).join(" "))}; "npm run -s herold -- help" lists the commands`);
    return 2;
  }
  try {
    const args = parseCommandArgs(command, argv.slice(command.path.length));
    const config = loadConfig(env, []);
    if (options.compileCache === true) cacheCompiledCode(config);
    const { setupLogging } = await import("../lib/logger.ts");
    await setupLogging(env.HEROLD_LOG_LEVEL === "debug" ? "debug" : "warning", "text");
    await runOnContext(command, config, args, io);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      // One line, so scripts and log collectors keep the reason and the usage together.
      io.err(`herold: ${error.message} (usage: herold ${command.usage})`);
      return 2;
    }
    if (error instanceof ConfigError) {
      io.err(`herold: configuration error: ${error.message}`);
      return 2;
    }
    if (error instanceof CommandError) {
      io.err(`herold: ${error.message}`);
      return 1;
    }
    io.err(`herold: ${command.path.join(" ")} failed: ${(error as Error).message}`);
    if (env.HEROLD_LOG_LEVEL === "debug") io.err(String((error as Error).stack));
    return 1;
  }
}

export interface CliOptions {
  /**
   * Keep compiled code in the data directory (`herold` as its own process; in-process callers
   * such as tests keep their module loading as it is).
   */
  readonly compileCache?: boolean;
}

/**
 * Type stripping and compiling the ~400 modules a database command loads is most of its start-up;
 * Node's compile cache skips both for unchanged files from the second run on (entries are checked
 * against the source, so upgrades just add new ones). It lives in the data directory, which only
 * Herold's user writes, not in the shared temporary directory: a planted cache entry would be code.
 * Only modules loaded after this call are cached, i.e. the command's context, not this file.
 * Best effort: a cache that cannot be written leaves the command as fast as it was.
 */
function cacheCompiledCode(config: Config): void {
  enableCompileCache(join(config.dataDir, "compile-cache"));
}

/** Builds the context the command names, runs it there and closes the context again. */
async function runOnContext(command: Command, config: Config, args: ParsedArgs, io: Output): Promise<void> {
  switch (command.context) {
    case "database":
      return withContext(await openDatabaseContext(config), (ctx) => command.run(ctx, args, io));
    case "base":
      return withContext(await openBaseContext(config), (ctx) => command.run(ctx, args, io));
    case "delivery":
      return withContext(await openDeliveryContext(config), (ctx) => command.run(ctx, args, io));
    case "insights":
      return withContext(await openInsightsContext(config), (ctx) => command.run(ctx, args, io));
    case "server":
      return withContext(await openServerContext(config), (ctx) => command.run(ctx, args, io));
    default:
      return unreachable(command);
  }
}

async function withContext<C>(opened: OpenedContext<C>, use: (ctx: C) => Promise<void>): Promise<void> {
  try {
    await use(opened.ctx);
  } finally {
    await opened.close();
  }
}

function findCommand(argv: readonly string[]): Command | undefined {
  return [...commands]
    .sort((a, b) => b.path.length - a.path.length)
    .find((c) => c.path.every((word, i) => argv[i] === word));
}

function helpText(): string {
  const width = Math.max(...commands.map((c) => c.usage.length));
  return [
    "usage: npm run -s herold -- <command> [options]",
    "",
    ...commands.map((c) => `  ${c.usage.padEnd(width)}  ${c.summary}`),
    "",
    "Configuration comes from HEROLD_* environment variables (see README).",
  ].join("\n");
}

if (import.meta.main) {
  const io: Output = {
    out: (text) => process.stdout.write(text + "\n"),
    err: (text) => process.stderr.write(text + "\n"),
  };
  const code = await runCli(process.argv.slice(2), process.env, io, { compileCache: true });
  process.exitCode = code;
}
