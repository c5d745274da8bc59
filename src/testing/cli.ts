import { runCli } from "../cli/herold.ts";

export interface CliRun {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** Runs a `herold` command in this process with `env`, capturing what it prints (one test helper for every CLI test). */
export async function captureCli(argv: readonly string[], env: Readonly<Record<string, string>>): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, env, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join("\n"), err: err.join("\n") };
}
