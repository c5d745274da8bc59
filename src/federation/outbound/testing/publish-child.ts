/**
 * A Herold process that makes one write that federates and dies (SIGKILL) at a fault-injection
 * point, for outbox.crash.test.ts. Configured only by HEROLD_* variables:
 * - `HEROLD_TEST_ACTION`: `post` (default; `HEROLD_TEST_POST_TEXT` is the text), or `like` /
 *   `boost` of the post at `HEROLD_TEST_TARGET`, by alice;
 * - `HEROLD_TEST_FAULT`: `after-commit` (default: the write and its intent committed, nothing sent)
 *   or `before-commit` (the outbox transaction's work done, not yet committed).
 * Test support only.
 */
import { createAppContext } from "../../../app/context.ts";
import { loadConfig } from "../../../config/config.ts";

const ctx = await createAppContext(loadConfig(process.env), { migrate: true });
const die = (): Promise<never> => {
  process.kill(process.pid, "SIGKILL");
  // SIGKILL is not delivered synchronously everywhere: never go on (to commit or to send).
  return new Promise<never>(() => {});
};
if (process.env.HEROLD_TEST_FAULT === "before-commit") ctx.federationModule.bridge.setBeforeCommitHook(die);
else ctx.federationModule.bridge.setAfterCommitHook(die);

const action = process.env.HEROLD_TEST_ACTION ?? "post";
const target = process.env.HEROLD_TEST_TARGET ?? "";
const result =
  action === "like" ? await ctx.posts.interactions.like("alice", target)
  : action === "boost" ? await ctx.posts.interactions.boost("alice", target)
  : await ctx.posts.service.publish({ username: "alice", text: process.env.HEROLD_TEST_POST_TEXT ?? "" });
// Only reached when the fault point was not: the parent sees exit code 3 instead of SIGKILL.
console.error(`${action} finished without reaching the fault point: ${result.ok ? "ok" : result.message}`);
process.exit(3);
