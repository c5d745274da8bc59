import type { ActorRepository } from "../actor/actor.repository.ts";
import { asArray, idOf, isObject, typesOf } from "../content/validate.ts";
import { FetchBudget } from "../federation/fetch/fetch-budget.ts";
import { logger } from "../lib/logger.ts";
import type { Clock } from "../lib/time.ts";
import type { Job, JobOutcome, JobQueue, QueueHandler } from "../queue/queue.ts";
import { isPublicVisibility, visibilityOf } from "./addressing.ts";
import type { ObjectFetcher } from "./post.ports.ts";
import type { RemotePostService } from "./remote-post.service.ts";

const log = logger("post", "backfill");

export const BACKFILL_QUEUE = "posts.backfill";
/** Items read per outbox page; Mastodon serves 20. */
const MAX_ITEMS_PER_PAGE = 40;

export interface BackfillPayload {
  readonly actorId: string;
}

export interface BackfillLimits {
  /** Outbox pages read (config `limits.collectionPagesFetched`). */
  readonly pages: number;
  /** Fetches of objects referenced only by id (config `limits.fetchesPerActivity`). */
  readonly objectFetches: number;
}

/**
 * When a local account's follow is accepted, the followed account's recent public posts are read from
 * its outbox, so the timeline is not empty until they next post. Bounded: a few pages, a few fetches
 * of objects that are not embedded, only public and unlisted Creates by the account itself, all
 * documents from its own origin (the fetcher checks each id against where it was served from).
 */
export class OutboxBackfill {
  readonly #actors: ActorRepository;
  readonly #fetcher: ObjectFetcher;
  readonly #remote: RemotePostService;
  readonly #queue: JobQueue;
  readonly #limits: BackfillLimits;
  readonly #clock: Clock;

  constructor(deps: { actors: ActorRepository; fetcher: ObjectFetcher; remote: RemotePostService; queue: JobQueue; limits: BackfillLimits; clock: Clock }) {
    this.#actors = deps.actors;
    this.#fetcher = deps.fetcher;
    this.#remote = deps.remote;
    this.#queue = deps.queue;
    this.#limits = deps.limits;
    this.#clock = deps.clock;
  }

  /** Queues a backfill of `actorId` (at most one pending per actor). */
  async request(actorId: string): Promise<void> {
    const actor = await this.#actors.findById(actorId);
    if (actor === null || actor.isLocal || actor.outboxUrl === null) return;
    await this.#queue.enqueue(BACKFILL_QUEUE, { actorId } satisfies BackfillPayload, { dedupeKey: `${BACKFILL_QUEUE}:${actorId}` });
  }

  /** Reads the outbox and stores what it finds; returns how many posts were newly stored. */
  async run(actorId: string): Promise<number> {
    const actor = await this.#actors.findById(actorId);
    if (actor === null || actor.isLocal || actor.goneAt !== null || actor.outboxUrl === null) return 0;
    const origin = new URL(actor.uri).origin;
    if (new URL(actor.outboxUrl).origin !== origin) {
      log.info("not backfilling {actor}: its outbox is on another origin", { actor: actor.uri });
      return 0;
    }
    const budget = new FetchBudget(this.#limits.objectFetches);
    const collection = await this.#fetcher.fetch(actor.outboxUrl, { requireIdEquals: "final-url" });
    if (!collection.ok) {
      log.info("backfill of {actor}: outbox unavailable: {error}", { actor: actor.uri, error: collection.message });
      return 0;
    }
    let stored = 0;
    // `first` may be embedded or a link; without it the collection itself carries the items.
    const document = collection.value.document;
    const first = document["first"];
    let page: Readonly<Record<string, unknown>> | null = isObject(first) ? first : first === undefined ? document : null;
    let next: string | null = page === null ? idOf(first) : null;
    for (let pages = 0; pages < this.#limits.pages; pages++) {
      if (page === null) {
        if (next === null || new URL(next).origin !== origin) break;
        const fetched = await this.#fetcher.fetch(next, { requireIdEquals: "final-url" });
        if (!fetched.ok) {
          log.info("backfill of {actor}: page {url} unavailable: {error}", { actor: actor.uri, url: next, error: fetched.message });
          break;
        }
        page = fetched.value.document;
      }
      for (const item of asArray(page["orderedItems"] ?? page["items"], MAX_ITEMS_PER_PAGE)) {
        if (await this.#storeItem(item, actor.uri, origin, budget)) stored++;
      }
      next = idOf(page["next"]);
      page = null;
    }
    log.debug("backfilled {count} posts of {actor}", { count: stored, actor: actor.uri });
    return stored;
  }

  async #storeItem(item: unknown, actorUri: string, origin: string, budget: FetchBudget): Promise<boolean> {
    if (!isObject(item) || !typesOf(item, 4).includes("Create") || idOf(item["actor"]) !== actorUri) return false;
    let object = item["object"];
    if (!isObject(object)) {
      const uri = idOf(object);
      if (uri === null || new URL(uri).origin !== origin) return false;
      const fetched = await this.#fetcher.fetch(uri, { requireIdEquals: "final-url", budget });
      if (!fetched.ok) return false;
      object = fetched.value.document;
    }
    const actor = (await this.#actors.findByUri(actorUri))!;
    const parsed = this.#remote.parseFromSender(object, actor);
    if (!parsed.ok) return false;
    if (!isPublicVisibility(visibilityOf(parsed.value.to, parsed.value.cc, actor.followersUrl))) return false;
    const result = await this.#remote.store(parsed.value, actor, object, { receivedAt: this.#clock.now().toISOString() });
    return result.ok && result.value.created;
  }

  /** The queue handler: one job per followed actor. Failures are logged, not retried (the next follow tries again). */
  handler(): QueueHandler<BackfillPayload> {
    return {
      queue: BACKFILL_QUEUE,
      concurrency: 2,
      leaseMs: 120_000,
      maxAttempts: 3,
      handle: async (job: Job<BackfillPayload>): Promise<JobOutcome> => {
        if (!isObject(job.payload) || typeof job.payload.actorId !== "string") return { kind: "fail", error: "invalid payload" };
        await this.run(job.payload.actorId);
        return { kind: "done" };
      },
    };
  }
}
