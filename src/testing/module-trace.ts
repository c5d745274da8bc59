import { writeFileSync } from "node:fs";
import { registerHooks } from "node:module";

/**
 * Preloaded with `node --import` by tests that check what a process loads (the CLI's start-up):
 * every module URL the process resolves, static or dynamic, is written one per line to the file
 * named by HEROLD_TEST_MODULE_TRACE when the process exits.
 */
const target = process.env.HEROLD_TEST_MODULE_TRACE;
if (target !== undefined) {
  const seen = new Set<string>();
  registerHooks({
    resolve(specifier, context, nextResolve) {
      const resolved = nextResolve(specifier, context);
      seen.add(resolved.url);
      return resolved;
    },
  });
  process.on("exit", () => writeFileSync(target, [...seen].join("\n") + "\n"));
}
