import { parseArgs, type ParseArgsConfig } from "node:util";
import type { AppBase } from "../app/base.ts";
import type { AppContext } from "../app/context.ts";
import type { Config } from "../config/config.ts";
import type { Database } from "../db/database.ts";
import type { DeliveryModule } from "../delivery/delivery.module.ts";
import type { InsightsService } from "../insights/insights.service.ts";

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

/**
 * What a command runs on, smallest first. The CLI builds only the one its command names
 * (`contexts.ts`, loaded on demand): the whole server loads Fedify's vocabulary and every module,
 * which costs a read-only command most of its run time and memory.
 */
export interface CommandContexts {
  /** The open database, not migrated (`migrate` does that itself and reports what it applied). */
  readonly database: { readonly config: Config; readonly database: Database };
  /** The migrated database with the core repositories and the account service. */
  readonly base: AppBase;
  /** `base` plus the delivery module (its status report). */
  readonly delivery: AppBase & { readonly delivery: DeliveryModule };
  /** `base` plus the insights reports (read from the rollups; no Fedify, no delivery engine). */
  readonly insights: AppBase & { readonly insights: InsightsService };
  /** The whole server: every module, Fedify, the outbound bridge. */
  readonly server: AppContext;
}
export type ContextKind = keyof CommandContexts;

interface CommandOn<K extends ContextKind> {
  /** Words that select the command, e.g. ["account", "create"]. */
  readonly path: readonly string[];
  readonly usage: string;
  readonly summary: string;
  readonly options?: ParseArgsConfig["options"];
  /** The smallest context the command needs. */
  readonly context: K;
  run(ctx: CommandContexts[K], args: ParsedArgs, io: Output): Promise<void>;
}

/**
 * A CLI command. Command modules are imported by `help`, so they import at run time only what
 * `help` may load too (the CLI's own helpers, `lib/`); everything else comes from the context.
 */
export type Command<K extends ContextKind = ContextKind> = K extends ContextKind ? CommandOn<K> : never;

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
