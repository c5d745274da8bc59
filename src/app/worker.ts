import type { AppContext } from "./context.ts";
import { DatabaseKvStore } from "../federation/kv.store.ts";
import { runWorkers } from "../queue/worker.ts";
import { logger } from "../lib/logger.ts";
import { newId } from "../lib/id.ts";
import { refreshStatistics, STATISTICS_INTERVAL_MS } from "../db/statistics.ts";

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
  // The planner's statistics (db/statistics.ts): at start, then every few hours. One role does it,
  // the worker, so web processes never run ANALYZE while answering requests.
  const statistics = async () => {
    try {
      const outcome = await refreshStatistics(ctx.database);
      log.debug("planner statistics: {outcome}", { outcome });
    } catch (error) {
      log.error("refreshing planner statistics failed: {error}", { error });
    }
  };
  await housekeeping();
  await statistics();
  await ctx.insights.scheduleFolding();
  const timer = setInterval(housekeeping, 10 * 60_000);
  const statisticsTimer = setInterval(statistics, STATISTICS_INTERVAL_MS);
  try {
    const handlers = ctx.modules.flatMap((m) => m.jobs ?? []);
    await runWorkers(ctx.queue, handlers, { workerId: `${process.pid}-${newId()}`, signal });
  } finally {
    clearInterval(timer);
    clearInterval(statisticsTimer);
  }
}
