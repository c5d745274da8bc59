import { logger } from "../../lib/logger.ts";
import type { Clock } from "../../lib/time.ts";
import type { QueueHandler } from "../../queue/queue.ts";
import { SCHEDULE_QUEUE, type ScheduledJob } from "./draft.entity.ts";
import type { ScheduleService } from "./schedule.service.ts";

const log = logger("post", "schedule");

/** The worker's side of scheduled posts: one job per draft and minute (see ScheduleService). */
export function scheduledPostHandler(schedule: ScheduleService, clock: Clock): QueueHandler<ScheduledJob> {
  return {
    queue: SCHEDULE_QUEUE,
    concurrency: 2,
    leaseMs: 120_000,
    maxAttempts: 5,
    async handle(job) {
      const payload = job.payload;
      if (typeof payload?.draftId !== "string" || typeof payload.scheduledAt !== "string") return { kind: "fail", error: "malformed payload" };
      const outcome = await schedule.runScheduled(payload);
      log.info("scheduled draft {draftId} for {at}: {outcome}", { draftId: payload.draftId, at: payload.scheduledAt, outcome });
      // Being published by someone else right now: look again shortly (without counting an attempt).
      if (outcome === "busy") return { kind: "postpone", at: new Date(clock.now().getTime() + 60_000) };
      return { kind: "done" };
    },
  };
}
