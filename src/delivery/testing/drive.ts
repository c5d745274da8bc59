/**
 * Runs queue handlers step by step under a ManualClock, without runWorkers' real-time waiting: claim
 * what is due at the clock's "now", handle it, settle the outcome the way runWorkers does (retry,
 * bury after `maxAttempts`, postpone), then move the clock to the next due job. Test support only.
 */
import type { Kysely } from "kysely";
import type { DB } from "../../db/schema.ts";
import type { ManualClock } from "../../lib/time.ts";
import type { Job, JobOutcome, JobQueue, QueueHandler } from "../../queue/queue.ts";

export interface Handled {
  readonly job: Job;
  readonly outcome: JobOutcome;
}

const WORKER = "test-driver";

/** Claims and handles every job of the handler's queue that is due now; returns what happened. */
export async function runDue(queue: JobQueue, handler: QueueHandler, options: { sequential?: boolean } = {}): Promise<Handled[]> {
  const jobs = await queue.claim(handler.queue, { limit: 1000, leaseMs: handler.leaseMs, workerId: WORKER });
  const signal = new AbortController().signal;
  const one = async (job: Job): Promise<Handled> => {
    const outcome = await handler.handle(job, signal);
    await settle(queue, handler, job, outcome);
    return { job, outcome };
  };
  if (options.sequential) {
    const handled: Handled[] = [];
    for (const job of jobs) handled.push(await one(job));
    return handled;
  }
  return await Promise.all(jobs.map(one));
}

/** Sets the clock to the earliest pending job of the queue (if later than now); false when none is pending. */
export async function advanceToNextJob(db: Kysely<DB>, clock: ManualClock, name: string): Promise<boolean> {
  const row = await db
    .selectFrom("jobs")
    .select((eb) => eb.fn.min("run_at").as("next"))
    .where("queue", "=", name)
    .executeTakeFirst();
  const next = row?.next as string | null | undefined;
  if (next === null || next === undefined) return false;
  if (Date.parse(next) > clock.now().getTime()) clock.set(next);
  return true;
}

async function settle(queue: JobQueue, handler: QueueHandler, job: Job, outcome: JobOutcome): Promise<void> {
  const maxAttempts = handler.maxAttempts ?? 10;
  switch (outcome.kind) {
    case "done":
      await queue.complete(job, WORKER);
      return;
    case "retry":
      if (job.attempts >= maxAttempts) await queue.bury(job, WORKER, `gave up after ${job.attempts} attempts: ${outcome.error}`);
      else await queue.retry(job, WORKER, outcome.at, outcome.error);
      return;
    case "fail":
      await queue.bury(job, WORKER, outcome.error);
      return;
    case "postpone":
      await queue.release([job], WORKER, outcome.at);
      return;
    default:
      outcome satisfies never;
  }
}
