import type { Clock } from "../lib/time.ts";
import type { DeliveryRepository, HostRecord } from "./delivery.repository.ts";
import { isSignatureSpec, type SignatureSpec } from "./http-signature.ts";

/**
 * Host health and preferences for the delivery hot path, without a database round trip per
 * delivery. The few hosts with something notable (a remembered signature spec, failures, the
 * unavailable mark) are held in memory and re-read every `refreshMs`, so marks set by other
 * processes are seen within that time; hosts that just work are not stored at all.
 *
 * Writes happen on state changes only: a failure on a day not yet recorded, the first success after
 * failures (reset), a new signature spec. `last_success_at` is informational and buffered: at most
 * one write per host per `successWriteMs`, flushed in batches.
 *
 * Unavailability: failures on `unavailableAfterDays` distinct UTC days since the last success mark
 * a host unavailable; any success, or any signed request from it (`markAlive`), clears the mark.
 * Before a delivery is dropped as "domain unavailable" the mark is re-read from the database, so a
 * reset by another process is never missed because of this cache.
 */
export interface HostRegistryOptions {
  readonly unavailableAfterDays: number;
  readonly refreshMs?: number;
  readonly successWriteMs?: number;
}

export interface HostView {
  readonly signatureSpec: SignatureSpec | null;
  readonly failing: boolean;
  readonly unavailable: boolean;
}

const CLEAN: HostView = { signatureSpec: null, failing: false, unavailable: false };
/** Bounds the per-host "success already written" memory of a long-running worker. */
const MAX_REMEMBERED_SUCCESSES = 20_000;

export class HostRegistry {
  readonly #repo: DeliveryRepository;
  readonly #clock: Clock;
  readonly #unavailableAfterDays: number;
  readonly #refreshMs: number;
  readonly #successWriteMs: number;
  #notable = new Map<string, HostRecord>();
  #loadedAt = -Infinity;
  #loading: Promise<void> | undefined;
  /** Per host: the last UTC day whose failure this process already wrote. */
  readonly #failureWritten = new Map<string, string>();
  readonly #successWritten = new Map<string, number>();
  #pendingSuccesses = new Map<string, string>();
  #flushTimer: ReturnType<typeof setTimeout> | undefined;
  #flushing: Promise<void> | undefined;

  constructor(repo: DeliveryRepository, clock: Clock, options: HostRegistryOptions) {
    this.#repo = repo;
    this.#clock = clock;
    this.#unavailableAfterDays = options.unavailableAfterDays;
    this.#refreshMs = options.refreshMs ?? 30_000;
    this.#successWriteMs = options.successWriteMs ?? 60_000;
  }

  /** What the sender needs to know about `domain`. Loads the notable set on first use; refreshes it in the background. */
  async view(domain: string): Promise<HostView> {
    await this.#fresh();
    const record = this.#notable.get(domain);
    if (record === undefined) return CLEAN;
    return {
      signatureSpec: isSignatureSpec(record.signatureSpec) ? record.signatureSpec : null,
      failing: record.failureDays.length > 0,
      unavailable: record.unavailableSince !== null,
    };
  }

  /** True only if the database, read now, says the host is unavailable (the cache may be stale). */
  async confirmUnavailable(domain: string): Promise<boolean> {
    const record = await this.#repo.findHost(domain);
    this.#remember(domain, record);
    return record?.unavailableSince != null;
  }

  /** A delivery failed because of the host. Returns true when this failure made it unavailable. */
  async recordFailure(domain: string, error: string): Promise<boolean> {
    const now = this.#clock.now();
    const day = now.toISOString().slice(0, 10);
    const known = this.#notable.get(domain);
    if (this.#failureWritten.get(domain) === day && known !== undefined && known.failureDays.includes(day)) return false;
    const before = known?.unavailableSince ?? null;
    const record = await this.#repo.recordFailure(domain, day, now.toISOString(), error, this.#unavailableAfterDays);
    this.#failureWritten.set(domain, day);
    this.#remember(domain, record);
    return before === null && record.unavailableSince !== null;
  }

  /** A delivery succeeded: clears failures at once if there were any; notes the success time lazily. */
  async recordSuccess(domain: string): Promise<void> {
    const now = this.#clock.now();
    const known = this.#notable.get(domain);
    if (known !== undefined && (known.failureDays.length > 0 || known.unavailableSince !== null)) {
      await this.#repo.resetHost(domain, now.toISOString(), now.toISOString());
      this.#failureWritten.delete(domain);
      this.#remember(domain, { ...known, failureDays: [], unavailableSince: null, lastSuccessAt: now.toISOString() });
      this.#successWritten.set(domain, now.getTime());
      return;
    }
    const last = this.#successWritten.get(domain);
    if (last !== undefined && now.getTime() - last < this.#successWriteMs) return;
    if (this.#successWritten.size >= MAX_REMEMBERED_SUCCESSES) this.#forgetOldSuccesses(now.getTime());
    this.#successWritten.set(domain, now.getTime());
    this.#pendingSuccesses.set(domain, now.toISOString());
    this.#flushTimer ??= setTimeout(() => void this.flush(), 5_000).unref();
  }

  /** Any sign of life from the host (a verified signed request): clears failures and the unavailable mark. */
  async markAlive(domain: string): Promise<void> {
    await this.#fresh();
    const known = this.#notable.get(domain);
    if (known === undefined || (known.failureDays.length === 0 && known.unavailableSince === null)) return;
    await this.#repo.resetHost(domain, this.#clock.now().toISOString(), null);
    this.#failureWritten.delete(domain);
    this.#remember(domain, { ...known, failureDays: [], unavailableSince: null });
  }

  async rememberSpec(domain: string, spec: SignatureSpec): Promise<void> {
    const now = this.#clock.now().toISOString();
    await this.#repo.setSignatureSpec(domain, spec, now);
    const known = this.#notable.get(domain);
    this.#remember(domain, {
      domain,
      signatureSpec: spec,
      failureDays: known?.failureDays ?? [],
      unavailableSince: known?.unavailableSince ?? null,
      lastSuccessAt: known?.lastSuccessAt ?? null,
      lastFailureAt: known?.lastFailureAt ?? null,
      lastError: known?.lastError ?? null,
    });
  }

  /** Writes buffered success times. */
  async flush(): Promise<void> {
    clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    while (this.#flushing !== undefined) await this.#flushing;
    if (this.#pendingSuccesses.size === 0) return;
    const batch = [...this.#pendingSuccesses].map(([domain, at]) => ({ domain, at }));
    this.#pendingSuccesses = new Map();
    this.#flushing = this.#repo.touchSuccesses(batch).finally(() => {
      this.#flushing = undefined;
    });
    await this.#flushing;
  }

  async close(): Promise<void> {
    await this.flush();
  }

  /** Entries older than the write interval only suppress nothing; drop them (and, if need be, all). */
  #forgetOldSuccesses(now: number): void {
    for (const [domain, at] of this.#successWritten) if (now - at >= this.#successWriteMs) this.#successWritten.delete(domain);
    if (this.#successWritten.size >= MAX_REMEMBERED_SUCCESSES) this.#successWritten.clear();
  }

  #remember(domain: string, record: HostRecord | null): void {
    const notable = record !== null && (record.signatureSpec !== null || record.unavailableSince !== null || record.failureDays.length > 0);
    if (notable) this.#notable.set(domain, record);
    else this.#notable.delete(domain);
  }

  async #fresh(): Promise<void> {
    const stale = performance.now() - this.#loadedAt >= this.#refreshMs;
    if (!stale) return;
    const first = this.#loadedAt === -Infinity;
    this.#loading ??= this.#repo
      .listNotableHosts()
      .then((records) => {
        this.#notable = new Map(records.map((r) => [r.domain, r]));
        this.#loadedAt = performance.now();
      })
      .finally(() => {
        this.#loading = undefined;
      });
    // The first load must complete (a remembered spec matters for the first request); later
    // refreshes run in the background while the current view keeps serving.
    if (first) await this.#loading;
    else this.#loading.catch(() => undefined);
  }
}
