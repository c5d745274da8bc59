import type { AppBase, ModuleContributions } from "../app/base.ts";
import type { RouteGroup } from "../http/route-group.ts";
import { logger } from "../lib/logger.ts";
import type { AddressPolicy } from "../net/address-policy.ts";
import { Http1Client } from "../net/http1-client.ts";
import { normalizeUrl } from "../net/url-policy.ts";
import type { EnqueueItem, QueueDepth } from "../queue/queue.ts";
import type { QueueHandler } from "../queue/worker.ts";
import { CircuitBreaker } from "./circuit-breaker.ts";
import { createDeliverHandler, DELIVER_QUEUE, type DeliverPayload, type PreparedActivity, type Signer } from "./delivery.job.ts";
import type { DeliveryPort, OutboxReader } from "./delivery.port.ts";
import { DeliveryRepository, type HostRecord } from "./delivery.repository.ts";
import { inTransaction } from "../db/transaction.ts";
import type { DeliveryReach } from "../insights/insights.ports.ts";
import { DeliveryReachRepository, type PendingOutcome } from "./reach.repository.ts";
import { OutcomeBatcher } from "./outcome-batcher.ts";
import { HostLimiter } from "./host-limiter.ts";
import { HostRegistry } from "./host-registry.ts";
import { prepareBody } from "./http-signature.ts";
import { LoadingLru } from "../lib/lru.ts";
import { DeliveryMetrics } from "./metrics.ts";
import { metricsRoutes } from "./metrics.routes.ts";
import { InboxSender } from "./sender.ts";

const log = logger("delivery");

/** Response bodies of inboxes are read up to this much and discarded (answers are usually empty). */
const MAX_RESPONSE_BYTES = 64 * 1024;

/**
 * Herold's outbound delivery engine. The bridge stores an activity once and calls `port.enqueue`;
 * workers run the `deliver` handler (`jobs`); `/metrics` is served from `routes`; the inbound side
 * calls `markHostAlive` after verifying a signed request; `herold status` reads `status()`.
 */
export interface DeliveryModule extends ModuleContributions {
  readonly port: DeliveryPort;
  readonly jobs: readonly QueueHandler[];
  readonly routes: readonly RouteGroup[];
  readonly metrics: DeliveryMetrics;
  /** Per-post delivery outcomes of local posts' Creates (which servers accepted, failed, are pending): for insights. */
  readonly reach: DeliveryReach;
  /**
   * A verified signed request came from `domain` (the host part of the signer's key id, e.g.
   * `new URL(keyId).host`): it is alive. Clears its failure days and unavailable mark and closes its
   * circuit. Cheap when the host was healthy (no database write).
   */
  markHostAlive(domain: string): Promise<void>;
  /** Persistent delivery state for operators (`herold status`): read from the database only. */
  status(options?: { limit?: number }): Promise<DeliveryStatus>;
  /** Writes buffered host success times (also done every few seconds and by `close`). */
  flush(): Promise<void>;
  /** Flushes and closes the delivery connection pools. Call after the workers stopped. */
  close(): Promise<void>;
}

export interface DeliveryStatus {
  readonly queues: Readonly<Record<string, QueueDepth>>;
  readonly retryBacklog: { readonly count: number; readonly nextAt: string | null };
  readonly unavailableCount: number;
  readonly unavailable: readonly HostRecord[];
  readonly failing: readonly HostRecord[];
  readonly dead: { readonly count: number; readonly reasons: ReadonlyArray<{ reason: string; count: number }> };
}

export interface DeliveryModuleOptions {
  /** Jitter source (tests pin it). */
  readonly random?: () => number;
}

/** `outbox`: the stored activities to send (federation's outbox repository). */
export function createDeliveryModule(base: AppBase, deps: { outbox: OutboxReader }, options: DeliveryModuleOptions = {}): DeliveryModule {
  const { config, clock, queue } = base;
  const delivery = config.delivery;
  const random = options.random ?? Math.random;
  const repo = new DeliveryRepository(base.database.db);
  const outcomes = new DeliveryReachRepository(base.database);

  const addressPolicy: AddressPolicy = { allowPrivateAddress: config.allowPrivateAddress, allowedEndpoints: [] };
  const client = new Http1Client({
    addressPolicy,
    connectTimeoutMs: delivery.connectTimeoutMs,
    connectionsPerOrigin: delivery.perHostConcurrency,
  });

  const metrics = new DeliveryMetrics(clock);
  const breaker = new CircuitBreaker({
    failures: delivery.circuitBreakerFailures,
    cooldownMs: delivery.circuitBreakerCooldownSeconds * 1000,
    probeTimeoutMs: 2 * delivery.totalTimeoutMs + 5_000,
  });
  const hosts = new HostRegistry(repo, clock, { unavailableAfterDays: delivery.unavailableAfterDays });
  const sender = new InboxSender({
    client,
    limiter: new HostLimiter(delivery.perHostConcurrency, delivery.perHostConcurrency * 4),
    responseTimeoutMs: delivery.responseTimeoutMs,
    totalTimeoutMs: delivery.totalTimeoutMs,
    userAgent: `Herold/${base.version} (+${config.origin.origin})`,
    maxResponseBytes: MAX_RESPONSE_BYTES,
  });

  // Serialised once per activity: the bytes and both digests are shared by every recipient.
  const activities = new LoadingLru<string, PreparedActivity>(64, async (id) => {
    const stored = await deps.outbox.findById(id);
    return stored === null ? null : { body: prepareBody(Buffer.from(stored.json)), actorId: stored.actorId };
  });
  // Keys come from the database through the key store, which keeps them imported; payloads never carry them.
  const signers = {
    get: async (accountId: string): Promise<Signer | null> => {
      const keys = await base.signingKeys.get({ id: accountId });
      return keys === null ? null : { actorId: keys.actorId, key: { keyId: keys.keyId, privateKey: keys.rsaPrivate } };
    },
  };

  const handler = createDeliverHandler({
    config: delivery,
    clock,
    repo,
    actorsGone: base.actorsGone,
    activities,
    signers,
    sender,
    breaker,
    hosts,
    metrics,
    outcomes: new OutcomeBatcher(outcomes),
    urlPolicy: { allowHttp: config.allowPrivateAddress, addressPolicy },
    // Leases are renewed while a delivery runs; a short one lets another worker take over a killed
    // worker's deliveries soon.
    leaseMs: Math.max(2_000, Math.min(60_000, delivery.totalTimeoutMs)),
    random,
  });

  const port: DeliveryPort = {
    async enqueue(input, executor) {
      const seen = new Set<string>();
      const items: EnqueueItem[] = [];
      const pending: PendingOutcome[] = [];
      for (const inbox of input.inboxes) {
        const url = normalizeUrl(inbox);
        if (url === undefined) {
          log.warn("not delivering {activity} to an inbox that is not a URL: {inbox}", { activity: input.outboxActivityId, inbox });
          continue;
        }
        if (seen.has(url.href)) continue;
        seen.add(url.href);
        const payload: DeliverPayload = { activityId: input.outboxActivityId, accountId: input.accountId, inbox: url.href, ...(input.reach ? { reach: true } : {}) };
        items.push({ payload, dedupeKey: `${input.outboxActivityId}|${url.href}` });
        if (input.reach) pending.push({ activityId: input.outboxActivityId, inbox: url.href, host: url.host, postId: input.reach.postId });
      }
      if (pending.length === 0) return await queue.enqueueMany(DELIVER_QUEUE, items, executor !== undefined ? { executor } : {});
      // The jobs and the record of what they are to settle commit together.
      return await inTransaction(executor ?? base.database.db, async (trx) => {
        await outcomes.insertPending(pending, clock.now().toISOString(), trx);
        return await queue.enqueueMany(DELIVER_QUEUE, items, { executor: trx });
      });
    },
  };

  return {
    port,
    jobs: [handler as QueueHandler],
    routes: [
      () =>
        metricsRoutes({
          metrics,
          queue,
          unavailableHosts: () => repo.countUnavailableHosts(),
          openCircuits: () => breaker.openCount(clock.now().getTime()),
        }),
    ],
    metrics,
    reach: outcomes,
    async markHostAlive(domain) {
      const host = domain.toLowerCase();
      breaker.success(host);
      await hosts.markAlive(host);
    },
    async status({ limit = 20 } = {}) {
      const now = clock.now().toISOString();
      const [queues, retryBacklog, unavailableCount, unavailable, failing, dead] = await Promise.all([
        queue.depth(),
        repo.retryBacklog(DELIVER_QUEUE, now),
        repo.countUnavailableHosts(),
        repo.unavailableHosts(limit),
        repo.failingHosts(limit),
        repo.deadLetters(DELIVER_QUEUE, 5),
      ]);
      return { queues, retryBacklog, unavailableCount, unavailable, failing, dead };
    },
    flush: () => hosts.flush(),
    async close() {
      await hosts.close();
      await client.close();
    },
  };
}
