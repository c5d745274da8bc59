import { parseArgs, type ParseArgsConfig } from "node:util";
import type { AppContext } from "../app/context.ts";

/** A mistake in how the command was called: printed as one line plus the usage, exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** A failure the operator can act on (taken username, unknown account …): one line, exit code 1. */
export class CommandError extends Error {
  override name = "CommandError";
}

export interface Output {
  out(text: string): void;
  err(text: string): void;
}

export interface Command {
  /** Words that select the command, e.g. ["account", "create"]. */
  readonly path: readonly string[];
  readonly usage: string;
  readonly summary: string;
  readonly options?: ParseArgsConfig["options"];
  run(ctx: AppContext, args: ParsedArgs, io: Output): Promise<void>;
}

export interface ParsedArgs {
  readonly positionals: readonly string[];
  readonly values: Readonly<Record<string, string | boolean | (string | boolean)[] | undefined>>;
}

export function parseCommandArgs(command: Command, argv: readonly string[]): ParsedArgs {
  try {
    const { positionals, values } = parseArgs({ args: [...argv], options: command.options ?? {}, allowPositionals: true, strict: true });
    return { positionals, values };
  } catch (error) {
    throw new UsageError((error as Error).message.replace(/\. To specify a positional.*$/s, ""));
  }
}

export function stringOption(args: ParsedArgs, name: string): string | undefined {
  const value = args.values[name];
  return typeof value === "string" ? value : undefined;
}

export function requirePositionals(args: ParsedArgs, names: readonly string[]): string[] {
  if (args.positionals.length < names.length) throw new UsageError(`missing ${names.slice(args.positionals.length).join(" and ")}`);
  if (args.positionals.length > names.length) throw new UsageError(`unexpected argument ${JSON.stringify(args.positionals[names.length])}`);
  return [...args.positionals];
}
