/**
 * A Herold process that publishes one post and dies (SIGKILL) at the fault-injection point between
 * the commit of the post and this process sending its activity, for outbox.crash.test.ts.
 * Configured only by HEROLD_* variables; `HEROLD_TEST_POST_TEXT` is the text. Test support only.
 */
import { createAppContext } from "../../../app/context.ts";
import { loadConfig } from "../../../config/config.ts";

const ctx = await createAppContext(loadConfig(process.env), { migrate: true });
ctx.fed.bridge.setAfterCommitHook(() => {
  process.kill(process.pid, "SIGKILL");
  // SIGKILL is not delivered synchronously everywhere: never go on to send.
  return new Promise<never>(() => {});
});
const result = await ctx.posts.service.publish({ username: "alice", text: process.env.HEROLD_TEST_POST_TEXT ?? "" });
// Only reached when the fault point was not: the parent sees exit code 3 instead of SIGKILL.
console.error(`published without reaching the fault point: ${JSON.stringify(result.ok)}`);
process.exit(3);
