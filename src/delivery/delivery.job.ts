import type { DeliveryConfig } from "../config/config.ts";
import { logger } from "../lib/logger.ts";
import type { Clock } from "../lib/time.ts";
import { checkUrl, type UrlPolicy } from "../net/url-policy.ts";
import type { Job, JobOutcome, QueueHandler } from "../queue/queue.ts";
import type { CircuitBreaker } from "./circuit-breaker.ts";
import { judgeFailure, judgeStatus, nextAttemptAt, type Verdict } from "./delivery.policy.ts";
import type { DeliveryRepository } from "./delivery.repository.ts";
import type { HostRegistry } from "./host-registry.ts";
import { DEFAULT_SIGNATURE_SPEC, type SignableBody, type SigningKey } from "./http-signature.ts";
import type { ActorGoneAnnouncer } from "../actor/actor-gone.ts";
import type { LoadingLru } from "../lib/lru.ts";
import type { DeliveryMetrics } from "./metrics.ts";
import type { InboxSender } from "./sender.ts";
import type { OutcomeBatcher } from "./outcome-batcher.ts";

const log = logger("delivery");

export const DELIVER_QUEUE = "deliver";

/** A delivery job: ids only. The activity is read from `outbox_activities`, the key from the account. */
export interface DeliverPayload {
  readonly activityId: string;
  readonly accountId: string;
  readonly inbox: string;
  /** The outcome is kept for a post's reach (`delivery_outcomes`): settled when the job ends for good. */
  readonly reach?: true;
}

/** An activity ready to send: its bytes and digests, computed once for every recipient. */
export interface PreparedActivity {
  readonly body: SignableBody;
  readonly actorId: string;
}

/** The signing side of a local account. */
export interface Signer {
  readonly actorId: string;
  readonly key: SigningKey;
}

export interface DeliverHandlerDeps {
  readonly config: DeliveryConfig;
  readonly clock: Clock;
  readonly repo: DeliveryRepository;
  /** A personal inbox answering 404/410 is announced here (the actor module's port; social ends the follows). */
  readonly actorsGone: Pick<ActorGoneAnnouncer, "announce">;
  readonly activities: LoadingLru<string, PreparedActivity>;
  /** Signers by account id: the account module's key store, which keeps them imported (no second cache here). */
  readonly signers: { get(accountId: string): Promise<Signer | null> };
  readonly sender: InboxSender;
  readonly breaker: CircuitBreaker;
  readonly hosts: HostRegistry;
  readonly metrics: DeliveryMetrics;
  /** Per-post outcomes, settled for jobs whose payload says `reach`. */
  readonly outcomes: Pick<OutcomeBatcher, "settle">;
  readonly urlPolicy: UrlPolicy;
  readonly leaseMs: number;
  readonly random: () => number;
}

/**
 * The `deliver` queue handler: one job, one inbox. Order of checks, cheapest first: payload, URL
 * policy, domain unavailable, circuit breaker, then the activity and key (both cached), then one
 * request (two when double-knocking). The verdict (delivery.policy.ts) decides the job's outcome;
 * see README.md in this directory for the whole policy.
 */
export function createDeliverHandler(deps: DeliverHandlerDeps): QueueHandler<DeliverPayload> {
  const { config, clock, breaker, hosts, metrics } = deps;

  const handle = async (job: Job<DeliverPayload>, signal: AbortSignal): Promise<JobOutcome> => {
    const payload = parsePayload(job.payload);
    if (payload === null) return { kind: "fail", error: "malformed delivery payload" };
    const checked = checkUrl(payload.inbox, deps.urlPolicy);
    if (!checked.ok) {
      metrics.final("failed", "(refused)");
      return { kind: "fail", error: `inbox refused: ${checked.message}` };
    }
    const url = checked.value;
    const host = url.host;

    const view = await hosts.view(host);
    if (view.unavailable && (await hosts.confirmUnavailable(host))) {
      metrics.final("skipped", host);
      return { kind: "fail", error: "domain unavailable" };
    }
    const gate = breaker.check(host, clock.now().getTime());
    if (!gate.allowed) {
      metrics.postponed("circuit-open");
      // Spread the postponed jobs so they do not all come back in the same instant.
      const spread = deps.random() * Math.min(config.circuitBreakerCooldownSeconds * 1000, 30_000);
      return { kind: "postpone", at: new Date(gate.retryAt + spread) };
    }

    let verdict: Verdict;
    let knocks: 1 | 2 = 1;
    let spec = view.signatureSpec ?? DEFAULT_SIGNATURE_SPEC;
    try {
      const activity = await deps.activities.get(payload.activityId);
      if (activity === null) {
        breaker.abandon(host);
        metrics.final("failed", host);
        return { kind: "fail", error: "activity no longer exists" };
      }
      const signer = await deps.signers.get(payload.accountId);
      if (signer === null || signer.actorId !== activity.actorId) {
        breaker.abandon(host);
        metrics.final("failed", host);
        return { kind: "fail", error: signer === null ? "signing account no longer exists" : "activity was not sent by the signing account" };
      }
      // A stopping worker hands unsent jobs back; a request already on the wire is let finish.
      if (signal.aborted) throw new Error("worker stopping before the delivery was sent");
      const result = await deps.sender.send({ url, body: activity.body, key: signer.key, spec, now: () => clock.now() });
      if (result.kind === "busy") {
        breaker.abandon(host);
        metrics.postponed("host-busy");
        return { kind: "postpone", at: new Date(clock.now().getTime() + 1000 + deps.random() * 1000) };
      }
      knocks = result.knocks;
      spec = result.spec;
      verdict =
        result.kind === "response"
          ? judgeStatus(result.status, result.retryAfter, clock.now(), config.retryAfterCapSeconds * 1000)
          : judgeFailure(result.failure, result.message);
    } catch (error) {
      breaker.abandon(host);
      throw error;
    }

    const now = clock.now();
    switch (verdict.kind) {
      case "delivered":
        breaker.success(host);
        metrics.final("ok", host);
        // The activity arrived: bookkeeping that fails (database down) must not turn it into a retry,
        // which would deliver it twice.
        await bestEffort("record the success", host, () => hosts.recordSuccess(host));
        // Double-knocking found the spec this host accepts: use it first from now on.
        if (knocks === 2) await bestEffort("remember the signature spec", host, () => hosts.rememberSpec(host, spec));
        return { kind: "done" };
      case "gone": {
        breaker.success(host);
        const reason = await inboxGone(deps, payload.inbox, verdict.status, now);
        metrics.final("failed", host);
        return { kind: "fail", error: reason };
      }
      case "rejected":
        breaker.abandon(host);
        metrics.final("failed", host);
        return { kind: "fail", error: verdict.reason };
      case "retry": {
        if (verdict.hostFailure) {
          breaker.failure(host, now.getTime());
          await bestEffort("record the failure", host, async () => {
            if (await hosts.recordFailure(host, verdict.reason)) {
              log.warn("{host} is now marked unavailable: deliveries failed on {days} distinct days", { host, days: config.unavailableAfterDays });
            }
          });
        } else {
          // The host answered (401/403/408/429): alive, but no verdict on its health.
          breaker.abandon(host);
        }
        if (job.attempts >= config.maxAttempts) {
          metrics.final("failed", host);
          return { kind: "fail", error: `gave up after ${job.attempts} attempts: ${verdict.reason}` };
        }
        metrics.retry(host);
        return { kind: "retry", at: nextAttemptAt(now, job.attempts, verdict.retryAfterMs, deps.random), error: verdict.reason };
      }
      default:
        return verdict satisfies never;
    }
  };

  /**
   * Settles the kept outcome of a post's delivery once the job ends for good: delivered on `done`,
   * failed on `fail` (refused, unavailable, gone, rejected, given up) and on a throw at the last
   * attempt. Retries and postponements keep it pending. Best effort after a delivery: a failing
   * write must not turn a delivered activity into a retry (it would arrive twice).
   */
  const settled = async (job: Job<DeliverPayload>, signal: AbortSignal): Promise<JobOutcome> => {
    const payload = parsePayload(job.payload);
    if (payload?.reach !== true) return await handle(job, signal);
    const settle = (state: "delivered" | "failed") =>
      bestEffort("record the outcome", payload.inbox, () => deps.outcomes.settle({ activityId: payload.activityId, inbox: payload.inbox, state, at: clock.now().toISOString() }));
    let outcome: JobOutcome;
    try {
      outcome = await handle(job, signal);
    } catch (error) {
      // The queue buries a job that throws at its last attempt; one handed back on stopping is not settled.
      if (!signal.aborted && job.attempts >= config.maxAttempts) await settle("failed");
      throw error;
    }
    if (outcome.kind === "done") await settle("delivered");
    else if (outcome.kind === "fail" || (outcome.kind === "retry" && job.attempts >= config.maxAttempts)) await settle("failed");
    return outcome;
  };

  return {
    queue: DELIVER_QUEUE,
    concurrency: config.concurrency,
    leaseMs: deps.leaseMs,
    maxAttempts: config.maxAttempts,
    // A delivery computes for microseconds and then waits for the thread pool and the peer.
    startAtOnce: true,
    handle: settled,
  };
}

/**
 * 404/410 from an inbox. A personal inbox that is gone means its owner is gone, announced the one way
 * actors go (`ActorGoneAnnouncer`): 410 says the actor is gone (marked gone, every follow with it
 * ends), 404 that it receives nothing (its follows of local accounts end). A shared inbox answering 404/410 says nothing
 * certain about each actor behind it (the server may have dropped its shared endpoint, a proxy may be
 * misrouting), so nobody is removed on that evidence alone: the delivery is buried with the reason and
 * the actors' own documents decide when they are refreshed.
 */
async function inboxGone(deps: Pick<DeliverHandlerDeps, "repo" | "actorsGone">, inbox: string, status: 404 | 410, now: Date): Promise<string> {
  const owners = await deps.repo.inboxOwners(inbox);
  const sharedWithOthers = owners.shared.some((id) => !owners.personal.includes(id));
  if (owners.personal.length === 0 || sharedWithOthers) {
    return `HTTP ${status} from a shared inbox; ${owners.shared.length} followers behind it kept`;
  }
  const ended = await deps.actorsGone.announce(owners.personal, status === 410 ? "actor" : "inbox", now.toISOString());
  log.info("inbox {inbox} answered {status}: ended {ended} follows", { inbox, status, ended });
  return `HTTP ${status}: inbox gone; ${ended} follows ended`;
}

async function bestEffort(what: string, host: string, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    log.warn("could not {what} for {host}: {error}", { what, host, error });
  }
}

function parsePayload(value: unknown): DeliverPayload | null {
  if (typeof value !== "object" || value === null) return null;
  const { activityId, accountId, inbox, reach } = value as Record<string, unknown>;
  if (typeof activityId !== "string" || typeof accountId !== "string" || typeof inbox !== "string") return null;
  return reach === true ? { activityId, accountId, inbox, reach } : { activityId, accountId, inbox };
}
