import type { Kysely } from "kysely";
import type { Account } from "../../account/account.entity.ts";
import type { AccountRepository } from "../../account/account.repository.ts";
import type { Config } from "../../config/config.ts";
import { asArray, idOf, parseIri, typesOf } from "../../content/validate.ts";
import type { DB } from "../../db/schema.ts";
import { logger } from "../../lib/logger.ts";
import { ok, unreachable, type Result } from "../../lib/result.ts";
import type { Clock } from "../../lib/time.ts";
import { isJsonObject, parseJsonLimited, type JsonObject } from "../../net/json-limits.ts";
import { readBodyLimited } from "../../net/read-body.ts";
import type { JobQueue } from "../../queue/queue.ts";
import type { DomainBlocks } from "../domain-blocks.ts";
import { FetchBudget } from "../fetch/fetch-budget.ts";
import type { InboxCapacity } from "./capacity.ts";
import type { RemoteKeyStore, StoreOwnerError } from "./key-store.ts";
import { activityDigest } from "./seen.ts";
import type { InboxSignatureVerifier, SignatureError } from "./signature.ts";

const log = logger("federation", "inbox");

/** The queue inbound activities wait in between the 202 and their processing. */
export const INBOX_QUEUE = "inbox";
/** Seconds a sender is asked to wait when the inbox queue is full. GoToSocial says 30 too. */
export const RETRY_AFTER_SECONDS = 30;
const ACCEPTED_TYPES = new Set(["application/activity+json", "application/ld+json", "application/json"]);

/**
 * A queued inbound activity. No secrets: the raw JSON as received, who sent it (verified) and to
 * whom, so the worker can rebuild the `InboundActivity` exactly.
 */
export interface InboxJobPayload {
  readonly v: 1;
  readonly activityId: string;
  readonly raw: string;
  /** `actors.id` of the verified sender. */
  readonly actorId: string;
  /** The local account whose personal inbox received it; null for the shared inbox. */
  readonly accountId: string | null;
  readonly receivedAt: string;
}

export type InboxStatus = 202 | 400 | 401 | 403 | 404 | 413 | 415 | 503;

export interface InboxResponse {
  readonly status: InboxStatus;
  /** Why; logged, and sent to the peer on refusals. */
  readonly reason: string;
  readonly retryAfterSeconds?: number;
  /** For 202: whether the activity was queued now (false: a repeat of one already accepted). */
  readonly queued?: boolean;
}

export interface InboxRequest {
  /** The username from `/users/:username/inbox`; null for the shared inbox `/inbox`. */
  readonly username: string | null;
  /** This server's public URL of the request (origin from the config, path and query as sent). */
  readonly url: string;
  readonly method: string;
  readonly headers: Headers;
  readonly body: ReadableStream<Uint8Array> | null;
  readonly signal?: AbortSignal;
}

/** A parsed activity, before or after verification. */
export interface ActivityEnvelope {
  readonly json: JsonObject;
  readonly raw: string;
  readonly id: string;
  readonly type: string;
  /** The actor's id as the activity names it (an inline actor object counts by its id). */
  readonly actorUri: string;
}

export interface InboxReceiverDeps {
  readonly config: Config;
  readonly clock: Clock;
  readonly db: Kysely<DB>;
  readonly queue: JobQueue;
  readonly accounts: AccountRepository;
  readonly domainBlocks: DomainBlocks;
  readonly verifier: InboxSignatureVerifier;
  /** Stores a signer's actor once its request verified (the verifier itself stores nothing). */
  readonly remoteKeys: Pick<RemoteKeyStore, "storeOwner">;
  readonly capacity: InboxCapacity;
  /** Told about every origin that sent a verified request (the delivery engine resets its failure count). */
  readonly onVerifiedHost?: (domain: string) => void;
  /**
   * Whether local state still waits for this activity from this signer (`actors.id`), so that even a
   * repeat of it must be processed (an Accept of a Follow that is still pending): `InboxDispatcher.isAwaited`.
   */
  readonly isAwaited?: (activity: ActivityEnvelope, signerId: string) => Promise<boolean>;
}

/**
 * The inbox's front door. Every POST goes through these steps in this order; each refusal is a
 * status, a log line, and nothing stored:
 *
 *  1. 404 unknown local account (personal inboxes);
 *  2. 503 + Retry-After when the inbox queue is full (before the body is read);
 *  3. 415 anything but JSON / ActivityPub content types;
 *  4. 413 bodies over `limits.activityBodyBytes`, counted on the streamed bytes;
 *  5. 400 invalid UTF-8 or JSON, too deep, strings too long, not an activity with id, type and one actor;
 *  6. 403 actor on a blocked domain (before any fetch);
 *  7. 401 signature missing or invalid (digest, window, key, key owner listing the key, made for
 *     another host than this server's), 403 key on a blocked domain;
 *  8. 401 signer is not the activity's actor;
 *  9. 400 activity id not on the actor's origin;
 * 9a. 503 + Retry-After when the queue is full or the signer's server holds its share of it
 *     (`InboxCapacity.admit`); only then is the signer's actor stored, if verifying it fetched it;
 * 10. then, in one transaction, the id and a digest of the content go into `inbox_seen` and the job
 *     into the queue: 202. The same activity seen before (same id, same content) answers 202 without
 *     queueing (processed once, also across inboxes); a different activity under a reused id is queued
 *     (Hollo reuses Accept ids), and so is a repeat that local state still waits for (`isAwaited`: an
 *     Accept of a pending Follow). Concurrent requests share that transaction (a group commit, `#commitPending`).
 *
 * Only verified activities reach step 10, so a forged one can never reserve a genuine id, and an
 * actor document fetched to check a signature is stored only by a request that gets this far.
 */
export class InboxReceiver {
  readonly #deps: InboxReceiverDeps;
  readonly #aliveReported = new Map<string, number>();
  /** Verified activities waiting for the next group commit (step 10). */
  #pending: PendingAccept[] = [];
  #committing: Promise<void> | undefined;

  constructor(deps: InboxReceiverDeps) {
    this.#deps = deps;
  }

  async receive(request: InboxRequest): Promise<InboxResponse> {
    const result = await this.#receive(request);
    const where = request.username === null ? "shared inbox" : `inbox of ${request.username}`;
    if (result.status === 202) log.debug("{where}: 202 {reason}", { where, reason: result.reason });
    else log.info("{where}: refused with {status}: {reason}", { where, status: result.status, reason: result.reason });
    return result;
  }

  async #receive(request: InboxRequest): Promise<InboxResponse> {
    const { config } = this.#deps;
    let recipient: Account | null = null;
    if (request.username !== null) {
      recipient = await this.#deps.accounts.findByUsername(request.username);
      if (recipient === null || recipient.username !== request.username) {
        return { status: 404, reason: `no local account ${JSON.stringify(request.username.slice(0, 64))}` };
      }
    }
    if (await this.#deps.capacity.isFull()) {
      return { status: 503, reason: "the inbox queue is full; try again later", retryAfterSeconds: RETRY_AFTER_SECONDS };
    }
    const contentType = (request.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
    if (!ACCEPTED_TYPES.has(contentType)) {
      return { status: 415, reason: `content type ${JSON.stringify(contentType || "(none)")} is not ActivityPub JSON` };
    }
    const limit = config.limits.activityBodyBytes;
    const declared = Number(request.headers.get("content-length") ?? "");
    if (Number.isFinite(declared) && declared > limit) {
      return { status: 413, reason: `body of ${declared} bytes is over the limit of ${limit}` };
    }
    // Reading stops at the limit without tearing down the connection: the 413 must still reach the
    // peer; the route closes the connection after answering instead (`closeConnection`).
    const body = await readBodyLimited(detached(request.body), limit, request.signal ? { signal: request.signal } : {});
    if (!body.ok) return { status: body.error === "too-large" ? 413 : 400, reason: body.message };

    const envelope = parseActivity(body.value, config);
    if (!envelope.ok) return { status: 400, reason: envelope.reason };
    const activity = envelope.value;

    const blockedActor = await this.#deps.domainBlocks.firstBlocked([activity.actorUri]);
    if (blockedActor !== null) return { status: 403, reason: `${blockedActor} is a blocked domain` };

    const budget = new FetchBudget(config.limits.fetchesPerActivity);
    const verified = await this.#deps.verifier.verify({ url: request.url, method: request.method, headers: request.headers, body: body.value }, budget);
    if (!verified.ok) return refusalFor(verified.error, verified.message, activity);
    this.#reportAlive(verified.value.key.ownerUri);

    const key = verified.value.key;
    return await this.#accept(activity, key.ownerUri, () => this.#deps.remoteKeys.storeOwner(key), recipient);
  }

  /**
   * Steps 8–10 for an activity whose signature was verified as `signer`'s. Also the entry point of
   * the fixture suite, which has no signatures to verify.
   */
  async accept(activity: ActivityEnvelope, signer: { uri: string; id: string }, recipient: Account | null): Promise<InboxResponse> {
    return await this.#accept(activity, signer.uri, async () => ok(signer), recipient);
  }

  async #accept(
    activity: ActivityEnvelope,
    signerUri: string,
    storeSigner: () => Promise<Result<{ id: string }, StoreOwnerError>>,
    recipient: Account | null,
  ): Promise<InboxResponse> {
    if (canonical(activity.actorUri) !== canonical(signerUri)) {
      return { status: 401, reason: `signed by ${signerUri}, but the activity's actor is ${activity.actorUri}` };
    }
    const id = new URL(activity.id);
    const signerUrl = new URL(signerUri);
    if (id.origin !== signerUrl.origin) {
      return { status: 400, reason: `activity id ${activity.id} is not on the origin of its actor ${signerUri}` };
    }
    const admission = await this.#deps.capacity.admit(signerUrl.host);
    if (!admission.ok) return { status: 503, reason: admission.message, retryAfterSeconds: RETRY_AFTER_SECONDS };
    let queued: boolean;
    try {
      const signer = await storeSigner();
      if (!signer.ok) {
        admission.settle(false);
        return signerRefusal(signer.error, signer.message);
      }
      const payload: InboxJobPayload = {
        v: 1,
        activityId: activity.id,
        raw: activity.raw,
        actorId: signer.value.id,
        accountId: recipient?.id ?? null,
        receivedAt: this.#deps.clock.now().toISOString(),
      };
      const digest = activityDigest(activity.json);
      const awaited = (await this.#deps.isAwaited?.(activity, signer.value.id)) ?? false;
      queued = await new Promise<boolean>((resolve, reject) => {
        this.#pending.push({ payload, host: signerUrl.host, digest, awaited, resolve, reject });
        this.#committing ??= this.#commitPending();
      });
    } catch (error) {
      admission.settle(false);
      throw error;
    }
    admission.settle(queued);
    return queued
      ? { status: 202, reason: `queued ${activity.type} ${activity.id}`, queued: true }
      : { status: 202, reason: `${activity.id} was already received with the same content`, queued: false };
  }

  /**
   * Step 10 as a group commit: the activities verified in the same event-loop turn, and those verified
   * while a commit is running, are stored in one transaction (their `inbox_seen` rows in one insert,
   * their jobs with one `enqueueMany`). Each request still gets its 202 only after its activity is
   * committed; one commit per request instead made the commit most of an accepted activity's cost on
   * SQLite and the round trips most of it on PostgreSQL (bench/inbound.ts). If the transaction fails,
   * every request of the batch fails with it and nothing of the batch is stored.
   */
  async #commitPending(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    while (this.#pending.length > 0) {
      const batch = this.#pending.splice(0, COMMIT_BATCH);
      try {
        const fresh = await this.#deps.db.transaction().execute(async (trx) => {
          const rows = [...new Map(batch.map((b) => [seenKey(b.payload.activityId, b.digest), { uri: b.payload.activityId, digest: b.digest, received_at: b.payload.receivedAt }])).values()];
          const fresh = new Set<string>();
          let offset = 0;
          for (const size of SEEN_INSERT_ROWS) {
            for (; rows.length - offset >= size; offset += size) {
              const seen = await trx
                .insertInto("inbox_seen")
                .values(rows.slice(offset, offset + size))
                .onConflict((oc) => oc.columns(["uri", "digest"]).doNothing())
                .returning(["uri", "digest"])
                .execute();
              for (const row of seen) fresh.add(seenKey(row.uri, row.digest));
            }
          }
          // New activities only, each once (of the same one twice in one batch, the first request
          // queues it), and every repeat that local state still waits for.
          const queued = batch.filter((b) => fresh.delete(seenKey(b.payload.activityId, b.digest)) || b.awaited);
          await this.#deps.queue.enqueueMany(INBOX_QUEUE, queued.map((b) => ({ payload: b.payload, group: b.host })), { executor: trx });
          return new Set(queued);
        });
        for (const b of batch) b.resolve(fresh.has(b));
      } catch (error) {
        for (const b of batch) b.reject(error);
      }
    }
    this.#committing = undefined;
  }

  /** At most once a minute per host: the delivery engine's bookkeeping is a database write. */
  #reportAlive(ownerUri: string): void {
    const report = this.#deps.onVerifiedHost;
    if (report === undefined) return;
    const host = new URL(ownerUri).host;
    const now = this.#deps.clock.now().getTime();
    const last = this.#aliveReported.get(host);
    if (last !== undefined && now - last < 60_000) return;
    this.#aliveReported.set(host, now);
    if (this.#aliveReported.size > 10_000) this.#aliveReported.clear();
    try {
      report(host);
    } catch (error) {
      log.warn("reporting {host} alive failed: {error}", { host, error });
    }
  }
}

/** Most activities stored by one group commit. */
const COMMIT_BATCH = 500;
/**
 * Rows per `inbox_seen` insert, largest first: a handful of statement shapes instead of one per batch
 * size, so the prepared-statement caches are not flooded with variants.
 */
const SEEN_INSERT_ROWS = [64, 16, 4, 1] as const;

interface PendingAccept {
  readonly payload: InboxJobPayload;
  /** The signer's host: the job's group, what the inbox's fair shares count. */
  readonly host: string;
  /** `activityDigest` of the activity: with its id, the key in `inbox_seen`. */
  readonly digest: string;
  /** Queued even when it is a repeat (`isAwaited`). */
  readonly awaited: boolean;
  resolve(queued: boolean): void;
  reject(error: unknown): void;
}

/** Decodes and parses a body into an activity envelope: UTF-8, JSON limits, id, type, exactly one actor. */
export function parseActivity(body: Uint8Array, config: Pick<Config, "limits">): { ok: true; value: ActivityEnvelope } | { ok: false; reason: string } {
  let raw: string;
  try {
    raw = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(body);
  } catch {
    return { ok: false, reason: "body is not valid UTF-8" };
  }
  const parsed = parseJsonLimited(raw, { maxDepth: config.limits.jsonDepth, maxStringLength: config.limits.maxStringLength });
  if (!parsed.ok) return { ok: false, reason: `body is not acceptable JSON: ${parsed.message}` };
  if (!isJsonObject(parsed.value)) return { ok: false, reason: "body is not a JSON object" };
  const json = parsed.value;
  const id = parseIri(json["id"]);
  if (id === null) return { ok: false, reason: "the activity has no http(s) id" };
  const type = typesOf(json, 4)[0];
  if (type === undefined) return { ok: false, reason: "the activity has no type" };
  const actors = asArray(json["actor"], 2);
  if (actors.length !== 1) return { ok: false, reason: `a ${type} must name exactly one actor` };
  const actorUri = parseIri(idOf(actors[0]));
  if (actorUri === null) return { ok: false, reason: `the actor of the ${type} is not an http(s) id` };
  return { ok: true, value: { json, raw, id: json["id"] as string, type, actorUri: actorUri.href } };
}

function signerRefusal(error: StoreOwnerError, message: string): InboxResponse {
  switch (error) {
    case "unavailable":
      // The held-back document aged out of its cache between verification and now: rare, transient.
      return { status: 503, reason: message, retryAfterSeconds: RETRY_AFTER_SECONDS };
    case "invalid":
      return { status: 401, reason: message };
    default:
      return unreachable(error);
  }
}

function refusalFor(error: SignatureError, message: string, activity: ActivityEnvelope): InboxResponse {
  switch (error) {
    case "key-blocked":
      return { status: 403, reason: message };
    case "key-gone":
      // Mastodon's rule: a Delete of an actor we cannot verify any more because it is gone has
      // nothing left to do; say so with 202 so the sender stops retrying. Nothing is stored.
      if (activity.type === "Delete" && canonical(idOf(activity.json["object"]) ?? "") === canonical(activity.actorUri)) {
        return { status: 202, reason: `${activity.actorUri} is already gone; nothing to delete`, queued: false };
      }
      return { status: 401, reason: message };
    case "no-signature":
    case "malformed":
    case "digest":
    case "invalid":
    case "key-unavailable":
    case "wrong-host":
      return { status: 401, reason: message };
    default:
      error satisfies never;
      return { status: 401, reason: message };
  }
}

function seenKey(uri: string, digest: string): string {
  return `${digest} ${uri}`;
}

function canonical(uri: string): string {
  try {
    return new URL(uri).href;
  } catch {
    return uri;
  }
}

/**
 * A view of the request body whose cancellation only stops reading. Cancelling the request stream
 * itself destroys the socket, and the peer would see a reset instead of the 413.
 */
function detached(source: ReadableStream<Uint8Array> | null): ReadableStream<Uint8Array> | null {
  if (source === null) return null;
  const reader = source.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const chunk = await reader.read();
      if (chunk.done) controller.close();
      else controller.enqueue(chunk.value);
    },
    cancel() {
      reader.releaseLock();
    },
  });
}
