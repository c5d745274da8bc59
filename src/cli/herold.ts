import { ConfigError, loadConfig } from "../config/config.ts";
import { createAppContext } from "../app/context.ts";
import { setupLogging } from "../lib/logger.ts";
import { CommandError, parseCommandArgs, UsageError, type Command, type Output } from "./cli.ts";
import { commands } from "./commands/index.ts";

/**
 * `npm run -s herold -- <command> …`: how operators script Herold. Every expected failure prints
 * one line on stderr (exit 1; usage mistakes exit 2); unexpected ones print one line too, plus the
 * stack only with HEROLD_LOG_LEVEL=debug.
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
    await setupLogging(env.HEROLD_LOG_LEVEL === "debug" ? "debug" : "warning", "text");
    const ctx = await createAppContext(config, { migrate: true });
    try {
      await command.run(ctx, args, io);
    } finally {
      await ctx.close();
    }
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
