import { ConfigError, loadConfig, type Config } from "../config/config.ts";
import { unreachable } from "../lib/result.ts";
import { CommandError, parseCommandArgs, UsageError, type Command, type Output, type ParsedArgs } from "./cli.ts";
import { commands } from "./commands/index.ts";
import { openBaseContext, openDatabaseContext, openDeliveryContext, openServerContext, type OpenedContext } from "./contexts.ts";

/**
 * `npm run -s herold -- <command> …`: how operators script Herold. Every expected failure prints
 * one line on stderr (exit 1; usage mistakes exit 2); unexpected ones print one line too, plus the
 * stack only with HEROLD_LOG_LEVEL=debug.
 *
 * Start-up is per command: this file and the command modules load no package; a command loads the
 * context it names (`Command.context`), so `help` and the account commands never load Fedify or
 * the delivery engine (`startup.test.ts` checks what each loads).
 */
export async function runCli(argv: readonly string[], env: NodeJS.ProcessEnv, io: Output): Promise<number> {
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

/** Builds the context the command names, runs it there and closes the context again. */
async function runOnContext(command: Command, config: Config, args: ParsedArgs, io: Output): Promise<void> {
  switch (command.context) {
    case "database":
      return withContext(await openDatabaseContext(config), (ctx) => command.run(ctx, args, io));
    case "base":
      return withContext(await openBaseContext(config), (ctx) => command.run(ctx, args, io));
    case "delivery":
      return withContext(await openDeliveryContext(config), (ctx) => command.run(ctx, args, io));
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
  const code = await runCli(process.argv.slice(2), process.env, {
    out: (text) => process.stdout.write(text + "\n"),
    err: (text) => process.stderr.write(text + "\n"),
  });
  process.exitCode = code;
}
