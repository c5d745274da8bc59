import type { Kysely } from "kysely";
import type { DB } from "../../db/schema.ts";
import type { ServerSoftware } from "../../insights/insights.ports.ts";
import type { Clock } from "../../lib/time.ts";
import type { EnqueueItem, JobQueue } from "../../queue/queue.ts";
import type { AcceptedFollowsListener } from "../../social/accepted-follows.ts";
import { NODEINFO_QUEUE, type NodeInfoPayload } from "./server-software.job.ts";
import { normalizeHost, utcDay } from "./remote-nodeinfo.ts";
import { remoteHostsOf, type ServerSoftwareRepository } from "./server-software.repository.ts";

/**
 * The software remote servers run, from their NodeInfo, cached per host (`server_software`). Fetching
 * is a durable `nodeinfo` job per host and UTC day (dedupe key with the day), so asking often costs
 * nothing: a host fetched today, or already queued today, is not queued again.
 */
export class ServerSoftwareService implements ServerSoftware {
  readonly #repository: ServerSoftwareRepository;
  readonly #queue: JobQueue;
  readonly #clock: Clock;

  constructor(deps: { repository: ServerSoftwareRepository; queue: JobQueue; clock: Clock }) {
    this.#repository = deps.repository;
    this.#queue = deps.queue;
    this.#clock = deps.clock;
  }

  async softwareOf(hosts: readonly string[]): Promise<ReadonlyMap<string, string>> {
    return await this.#repository.softwareOf(hosts);
  }

  /**
   * Queues a NodeInfo fetch for each host not fetched today (in `executor` when given, so it commits
   * with the caller's write). Throws RangeError, queueing nothing, when a value is not a host.
   */
  async refresh(hosts: readonly string[], executor?: Kysely<DB>): Promise<void> {
    const normalized = new Set<string>();
    const invalid: string[] = [];
    for (const host of hosts) {
      const h = normalizeHost(host);
      if (h === null) invalid.push(host);
      else normalized.add(h);
    }
    if (invalid.length > 0) throw new RangeError(`not hosts: ${invalid.slice(0, 5).map((h) => JSON.stringify(h)).join(", ")}`);
    if (normalized.size === 0) return;
    const today = utcDay(this.#clock.now());
    const fetched = await this.#repository.fetchedAt([...normalized], executor);
    const items: EnqueueItem[] = [];
    for (const host of normalized) {
      const last = fetched.get(host);
      if (last !== undefined && utcDay(new Date(last)) === today) continue;
      const payload: NodeInfoPayload = { host };
      items.push({ payload, dedupeKey: `nodeinfo|${host}|${today}` });
    }
    if (items.length > 0) await this.#queue.enqueueMany(NODEINFO_QUEUE, items, executor !== undefined ? { executor } : {});
  }

  /**
   * For social's `AcceptedFollows`: an accepted remote follower means a server in the audience,
   * whose software insights show; its host is queued in the follow's transaction unless it was
   * fetched today. Follows of remote actors by local ones, and ended follows, queue nothing.
   */
  readonly acceptedFollowsListener: AcceptedFollowsListener = async (trx, follows, sign) => {
    if (sign !== 1) return;
    const hosts = await remoteHostsOf(trx, follows.map((f) => f.follower_id));
    await this.refresh(hosts, trx);
  };
}
