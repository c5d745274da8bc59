import type { AppContext } from "./context.ts";
import { DatabaseKvStore } from "../federation/kv.store.ts";
import { logger } from "../lib/logger.ts";

const log = logger("worker");

/**
 * The worker role: processes queued jobs and periodic housekeeping until `signal` aborts, then
 * resolves once in-flight work has finished (unfinished jobs keep their lease and are reclaimed).
 */
export async function startWorker(ctx: AppContext, signal: AbortSignal): Promise<void> {
  const kv = new DatabaseKvStore(ctx.database.db, ctx.clock);
  const housekeeping = async () => {
    try {
      await kv.purgeExpired();
    } catch (error) {
      log.error("housekeeping failed: {error}", { error });
    }
  };
  await housekeeping();
  const timer = setInterval(housekeeping, 10 * 60_000);
  await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
  clearInterval(timer);
}
