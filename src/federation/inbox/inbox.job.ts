import type { Kysely } from "kysely";
import type { AccountRepository } from "../../account/account.repository.ts";
import type { ActorRepository } from "../../actor/actor.repository.ts";
import type { Config } from "../../config/config.ts";
import { typesOf } from "../../content/validate.ts";
import type { DB } from "../../db/schema.ts";
import { logger } from "../../lib/logger.ts";
import type { Clock } from "../../lib/time.ts";
import type { JobQueue } from "../../queue/queue.ts";
import type { QueueHandler } from "../../queue/worker.ts";
import { FetchBudget } from "../fetch/fetch-budget.ts";
import { INBOX_QUEUE, type InboxJobPayload } from "./inbox.receiver.ts";
import type { InboxProcessor } from "./inbox.processor.ts";
import type { InboundActivity } from "./inbox.types.ts";

const log = logger("federation", "inbox");

/** The queue of the periodic `inbox_seen` purge. */
export const INBOX_SEEN_PURGE_QUEUE = "inbox-seen-purge";
/**
 * Idempotency entries are kept this long: well beyond the longest redelivery of a peer (Mastodon
 * retries for about 2–3 days, Herold's own engine for 2+), so a late retry is still recognised.
 */
export const INBOX_SEEN_RETENTION_MS = 14 * 24 * 3600_000;
const PURGE_EVERY_MS = 3600_000;

export interface InboxJobDeps {
  readonly config: Config;
  readonly clock: Clock;
  readonly db: Kysely<DB>;
  readonly queue: JobQueue;
  readonly actors: ActorRepository;
  readonly accounts: AccountRepository;
  readonly processor: InboxProcessor;
}

/** Rebuilds the `InboundActivity` a job stands for; null (with the reason) when it can no longer be processed. */
export async function rebuildActivity(payload: unknown, deps: Pick<InboxJobDeps, "actors" | "accounts" | "config">): Promise<{ activity: InboundActivity } | { skip: string }> {
  if (!isPayload(payload)) return { skip: "malformed inbox job" };
  let json: unknown;
  try {
    json = JSON.parse(payload.raw);
  } catch {
    return { skip: "inbox job holds invalid JSON" };
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) return { skip: "inbox job holds no JSON object" };
  const actor = await deps.actors.findById(payload.actorId);
  if (actor === null) return { skip: `the sender ${payload.actorId} is no longer stored` };
  if (actor.goneAt !== null && typesOf(json, 4)[0] !== "Delete") return { skip: `the sender ${actor.uri} is gone` };
  const recipient = payload.accountId !== null ? await deps.accounts.findById(payload.accountId) : null;
  return {
    activity: {
      id: payload.activityId,
      type: typesOf(json, 4)[0] ?? "",
      actor,
      json: json as Record<string, unknown>,
      recipient,
      receivedAt: payload.receivedAt,
      budget: new FetchBudget(deps.config.limits.fetchesPerActivity),
    },
  };
}

/**
 * The worker side of the inbox: one job per accepted activity. Handler exceptions (a database
 * hiccup, an origin that is down) are retried with backoff by the queue runner and buried after
 * `maxAttempts`; expected outcomes (processed, ignored, rejected) complete the job.
 */
export function inboxQueueHandler(deps: InboxJobDeps): QueueHandler<InboxJobPayload> {
  let purgeScheduled = false;
  return {
    queue: INBOX_QUEUE,
    concurrency: 8,
    leaseMs: 120_000,
    batch: 32,
    // Mastodon's inbound queue gives up after 8 attempts too.
    maxAttempts: 8,
    async handle(job) {
      if (!purgeScheduled) {
        purgeScheduled = true;
        await schedulePurge(deps, deps.clock.now().getTime() + PURGE_EVERY_MS);
      }
      const rebuilt = await rebuildActivity(job.payload, deps);
      if ("skip" in rebuilt) {
        log.info("inbox job {id} skipped: {reason}", { id: job.id, reason: rebuilt.skip });
        return { kind: "done" };
      }
      await deps.processor.dispatch(rebuilt.activity); // logs its outcome
      return { kind: "done" };
    },
  };
}

/** Deletes old `inbox_seen` entries once an hour and schedules the next run. */
export function inboxSeenPurgeHandler(deps: Pick<InboxJobDeps, "db" | "clock" | "queue">): QueueHandler {
  return {
    queue: INBOX_SEEN_PURGE_QUEUE,
    concurrency: 1,
    leaseMs: 300_000,
    async handle() {
      const before = new Date(deps.clock.now().getTime() - INBOX_SEEN_RETENTION_MS).toISOString();
      const result = await deps.db.deleteFrom("inbox_seen").where("received_at", "<", before).executeTakeFirst();
      const removed = Number(result.numDeletedRows);
      if (removed > 0) log.info("purged {removed} inbox_seen entries older than {before}", { removed, before });
      await schedulePurge(deps, deps.clock.now().getTime() + PURGE_EVERY_MS);
      return { kind: "done" };
    },
  };
}

/** One pending purge per hour slot across all processes (the dedupe key names the slot). */
async function schedulePurge(deps: Pick<InboxJobDeps, "queue">, at: number): Promise<void> {
  const slot = new Date(Math.ceil(at / PURGE_EVERY_MS) * PURGE_EVERY_MS);
  await deps.queue.enqueue(INBOX_SEEN_PURGE_QUEUE, {}, { runAt: slot, dedupeKey: `${INBOX_SEEN_PURGE_QUEUE}@${slot.toISOString()}` });
}

function isPayload(value: unknown): value is InboxJobPayload {
  if (typeof value !== "object" || value === null) return false;
  const p = value as Record<string, unknown>;
  return (
    p["v"] === 1 &&
    typeof p["activityId"] === "string" &&
    typeof p["raw"] === "string" &&
    typeof p["actorId"] === "string" &&
    (p["accountId"] === null || typeof p["accountId"] === "string") &&
    typeof p["receivedAt"] === "string"
  );
}
