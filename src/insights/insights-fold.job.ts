import type { Clock } from "../lib/time.ts";
import type { JobQueue, QueueHandler } from "../queue/queue.ts";
import type { InteractionService } from "../social/interaction.service.ts";
import type { InsightsRepository } from "./insights.repository.ts";
import type { DeliveryReach } from "./insights.ports.ts";

export const FOLD_QUEUE = "insights.fold";
const BATCH = 500;
const DAY_MS = 86_400_000;

/**
 * `HEROLD_ANALYTICS_RAW_DAYS`: once a post is older than that, its distinct interacting accounts
 * and servers are stored in its rollup row as two counts, and insights stops reading who interacted
 * with it (the ledger stays social's, for the social features: who liked a post, processing an
 * Undo). A later interaction with the post clears the stored counts (insights.rollups.ts), so the
 * report reads the ledger for it again until the next run folds it anew: the figures stay exact.
 * One durable job, postponed to the next day after each run (sooner while a backlog remains).
 */
export function foldHandler(deps: {
  rollups: InsightsRepository;
  interactions: Pick<InteractionService, "interactorCounts">;
  reach: Pick<DeliveryReach, "foldSettledBefore">;
  clock: Clock;
  rawDays: number;
}): QueueHandler {
  return {
    queue: FOLD_QUEUE,
    concurrency: 1,
    leaseMs: 300_000,
    async handle() {
      const now = deps.clock.now();
      const folded = await foldOnce(deps, now);
      // Delivery outcomes name personal inboxes (remote actors): folded to servers after the period too.
      await deps.reach.foldSettledBefore(new Date(now.getTime() - deps.rawDays * DAY_MS).toISOString());
      return { kind: "postpone", at: new Date(now.getTime() + (folded === BATCH ? 1_000 : DAY_MS)) };
    },
  };
}

/** Folds one batch of posts older than the raw-data period; the number folded. */
export async function foldOnce(deps: { rollups: InsightsRepository; interactions: Pick<InteractionService, "interactorCounts"> ; rawDays: number }, now: Date): Promise<number> {
  const cutoff = new Date(now.getTime() - deps.rawDays * DAY_MS).toISOString();
  const ids = await deps.rollups.unfolded(cutoff, BATCH);
  if (ids.length === 0) return 0;
  await deps.rollups.fold(await deps.interactions.interactorCounts(ids), ids, now.toISOString());
  return ids.length;
}

/** The periodic job exists once (dedupe key); the worker role calls this at start. */
export async function scheduleFolding(queue: JobQueue, clock: Clock): Promise<void> {
  await queue.enqueue(FOLD_QUEUE, {}, { dedupeKey: FOLD_QUEUE, runAt: clock.now() });
}
