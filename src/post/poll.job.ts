import type { Kysely } from "kysely";
import type { DB } from "../db/schema.ts";
import type { EventOutbox } from "../federation/outbound/bridge.ts";
import type { JobQueue, QueueHandler } from "../queue/queue.ts";

/** Queue of the `Update(Question)` activities that carry a local poll's new counts. */
export const POLL_UPDATE_QUEUE = "posts.poll-update";

/**
 * How long votes gather before one Update goes out. Mastodon refreshes a remote poll it shows at most
 * every few minutes anyway; one Update per vote would send followers' servers a storm on a busy poll.
 */
export const POLL_UPDATE_DELAY_MS = 60_000;

interface PollUpdateJob {
  readonly postId: string;
}

/**
 * Debounced `Update(Question)`s of local polls: a vote asks for one `soon`; while that job waits,
 * further votes find its dedupe key held and add nothing (the job reads the counts when it runs, so
 * it carries them all). A vote that arrives while the job is running is carried by the next vote's
 * Update or by the one at the end: every poll gets a last Update when it ends (`atEnd`), with the
 * final counts, under its own key so that a pending debounce does not swallow it.
 */
export class PollUpdates {
  readonly #queue: JobQueue;

  constructor(deps: { queue: JobQueue }) {
    this.#queue = deps.queue;
  }

  async soon(postId: string, executor?: Kysely<DB>): Promise<void> {
    await this.#queue.enqueue(POLL_UPDATE_QUEUE, { postId } satisfies PollUpdateJob, {
      delayMs: POLL_UPDATE_DELAY_MS,
      dedupeKey: `poll-update:${postId}`,
      ...(executor ? { executor } : {}),
    });
  }

  /** Committed with the post (`executor` is its transaction): the final counts, sent when the poll closes. */
  async atEnd(postId: string, endsAt: string, executor: Kysely<DB>): Promise<void> {
    await this.#queue.enqueue(POLL_UPDATE_QUEUE, { postId } satisfies PollUpdateJob, {
      runAt: new Date(endsAt),
      dedupeKey: `poll-end:${postId}`,
      executor,
    });
  }
}

/** The worker's side: reports `poll.counted`; the posts module's builder sends the Update (or nothing for a deleted post). */
export function pollUpdateHandler(events: EventOutbox): QueueHandler<PollUpdateJob> {
  return {
    queue: POLL_UPDATE_QUEUE,
    concurrency: 2,
    leaseMs: 60_000,
    maxAttempts: 5,
    async handle(job) {
      const postId = job.payload?.postId;
      if (typeof postId !== "string") return { kind: "fail", error: "malformed payload" };
      await events.transaction(async (_trx, emit) => {
        await emit({ type: "poll.counted", postId });
      });
      return { kind: "done" };
    },
  };
}
