import { logger } from "../../lib/logger.ts";
import type { Clock } from "../../lib/time.ts";
import type { JobOutcome, QueueHandler } from "../../queue/queue.ts";
import type { DocumentSource } from "../fetch/document-fetcher.ts";
import { fetchRemoteSoftware, normalizeHost, utcDay, type NodeInfoLimits } from "./remote-nodeinfo.ts";
import type { ServerSoftwareRepository } from "./server-software.repository.ts";

const log = logger("federation", "nodeinfo");

export const NODEINFO_QUEUE = "nodeinfo";

export interface NodeInfoPayload {
  readonly host: string;
}

export interface NodeInfoJobDeps {
  readonly repository: Pick<ServerSoftwareRepository, "fetchedAt" | "store">;
  readonly documents: Pick<DocumentSource, "fetchJson">;
  readonly clock: Clock;
  readonly limits: NodeInfoLimits;
}

/**
 * The `nodeinfo` queue handler: fetches one host's NodeInfo and caches the software it names, or
 * the error (so a broken server is asked again tomorrow, not on every follow). A host fetched today
 * already is not fetched again, whoever queued it. A remote failure is an outcome, not an exception:
 * the job is done either way; only a failing database write throws (and is retried).
 */
export function nodeInfoHandler(deps: NodeInfoJobDeps): QueueHandler<NodeInfoPayload> {
  const handle = async (job: { payload: NodeInfoPayload }): Promise<JobOutcome> => {
    const host = typeof job.payload?.host === "string" ? normalizeHost(job.payload.host) : null;
    if (host === null) return { kind: "fail", error: "malformed nodeinfo payload" };
    const now = deps.clock.now();
    const last = (await deps.repository.fetchedAt([host])).get(host);
    if (last !== undefined && utcDay(new Date(last)) === utcDay(now)) return { kind: "done" };
    const result = await fetchRemoteSoftware(host, deps.documents, deps.limits);
    const fetchedAt = deps.clock.now().toISOString();
    if (result.ok) {
      await deps.repository.store({ host, software: result.value.name, version: result.value.version, fetchedAt, error: null });
    } else {
      log.debug("NodeInfo of {host} not known: {error} {message}", { host, error: result.error, message: result.message });
      await deps.repository.store({ host, software: null, version: null, fetchedAt, error: `${result.error}: ${result.message}`.slice(0, 500) });
    }
    return { kind: "done" };
  };
  return { queue: NODEINFO_QUEUE, concurrency: 2, leaseMs: 60_000, maxAttempts: 3, handle };
}
