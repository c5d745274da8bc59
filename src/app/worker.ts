import type { AppContext } from "./context.ts";
import { DatabaseKvStore } from "../federation/kv.store.ts";
import { runWorkers } from "../queue/worker.ts";
import { logger } from "../lib/logger.ts";
import { newId } from "../lib/id.ts";

const log = logger("worker");

/**
 * The worker role: runs every module's queue handlers and periodic housekeeping until `signal`
 * aborts, then resolves once in-flight jobs have finished (unfinished ones keep their lease and
 * are reclaimed by another worker).
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
  try {
    const handlers = ctx.modules.flatMap((m) => m.jobs ?? []);
    await runWorkers(ctx.queue, handlers, { workerId: `${process.pid}-${newId()}`, signal });
  } finally {
    clearInterval(timer);
  }
}
