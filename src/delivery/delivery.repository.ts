import { sql, type Kysely } from "kysely";
import type { DB } from "../db/schema.ts";
import { toCount } from "../db/rows.ts";

/** What Herold remembers about a remote server (`hosts` row). */
export interface HostRecord {
  readonly domain: string;
  readonly signatureSpec: string | null;
  /** Distinct UTC days (YYYY-MM-DD) with delivery failures since the last success. */
  readonly failureDays: readonly string[];
  readonly unavailableSince: string | null;
  readonly lastSuccessAt: string | null;
  readonly lastFailureAt: string | null;
  readonly lastError: string | null;
}

/** Who was behind an inbox that answered 404/410. */
export interface InboxOwners {
  /** Remote actors whose personal inbox this is. */
  readonly personal: readonly string[];
  /** Remote actors that use it as their shared inbox. */
  readonly shared: readonly string[];
}

const NOTABLE_LIMIT = 100_000;

/** Storage for the delivery engine: host health, dead followers, status. */
export class DeliveryRepository {
  readonly #db: Kysely<DB>;

  constructor(db: Kysely<DB>) {
    this.#db = db;
  }

  async findHost(domain: string): Promise<HostRecord | null> {
    const row = await this.#db.selectFrom("hosts").selectAll().where("domain", "=", domain).executeTakeFirst();
    return row ? toHost(row) : null;
  }

  /**
   * Hosts with something the sender must know: a remembered signature spec, failures, or the
   * unavailable mark. Hosts that simply work have nothing notable and cost no memory.
   */
  async listNotableHosts(): Promise<HostRecord[]> {
    const rows = await this.#db
      .selectFrom("hosts")
      .selectAll()
      .where((eb) => eb.or([eb("signature_spec", "is not", null), eb("unavailable_since", "is not", null), eb("failure_days_json", "<>", "[]")]))
      .limit(NOTABLE_LIMIT)
      .execute();
    return rows.map(toHost);
  }

  /**
   * Records a failed delivery on `day` and returns the host afterwards. Marks the host unavailable
   * once failures fall on `unavailableAfterDays` distinct days. Read-modify-write in a transaction;
   * two workers racing on the same host at worst record the same day once (a set).
   */
  async recordFailure(domain: string, day: string, now: string, error: string, unavailableAfterDays: number): Promise<HostRecord> {
    return await this.#db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom("hosts").selectAll().where("domain", "=", domain).executeTakeFirst();
      const days = new Set<string>(row ? parseDays(row.failure_days_json) : []);
      days.add(day);
      // Only the count matters; keep the most recent days so the row stays small.
      const kept = [...days].sort().slice(-Math.max(unavailableAfterDays, 1) * 2);
      const unavailableSince = row?.unavailable_since ?? (kept.length >= unavailableAfterDays ? now : null);
      const values = {
        failure_days_json: JSON.stringify(kept),
        unavailable_since: unavailableSince,
        last_failure_at: now,
        last_error: error.slice(0, 500),
        updated_at: now,
      };
      await trx
        .insertInto("hosts")
        .values({ domain, ...values })
        .onConflict((oc) => oc.column("domain").doUpdateSet(values))
        .execute();
      return {
        domain,
        signatureSpec: row?.signature_spec ?? null,
        failureDays: kept,
        unavailableSince,
        lastSuccessAt: row?.last_success_at ?? null,
        lastFailureAt: now,
        lastError: values.last_error,
      };
    });
  }

  /** Clears failures and the unavailable mark (a success, or a signed request from the host). */
  async resetHost(domain: string, now: string, successAt: string | null): Promise<void> {
    const set = { failure_days_json: "[]", unavailable_since: null, updated_at: now, ...(successAt !== null ? { last_success_at: successAt } : {}) };
    await this.#db.updateTable("hosts").set(set).where("domain", "=", domain).execute();
  }

  async setSignatureSpec(domain: string, spec: string, now: string): Promise<void> {
    await this.#db
      .insertInto("hosts")
      .values({ domain, signature_spec: spec, updated_at: now })
      .onConflict((oc) => oc.column("domain").doUpdateSet({ signature_spec: spec, updated_at: now }))
      .execute();
  }

  /** Stores `last_success_at` for many hosts at once (buffered by the host registry). */
  async touchSuccesses(successes: ReadonlyArray<{ domain: string; at: string }>): Promise<void> {
    if (successes.length === 0) return;
    await this.#db.transaction().execute(async (trx) => {
      for (let i = 0; i < successes.length; i += 500) {
        const chunk = successes.slice(i, i + 500);
        await trx
          .insertInto("hosts")
          .values(chunk.map((s) => ({ domain: s.domain, last_success_at: s.at, updated_at: s.at })))
          .onConflict((oc) =>
            oc.column("domain").doUpdateSet((eb) => ({ last_success_at: eb.ref("excluded.last_success_at"), updated_at: eb.ref("excluded.updated_at") })),
          )
          .execute();
      }
    });
  }

  /** The remote actors whose personal or shared inbox `inbox` is. */
  async inboxOwners(inbox: string): Promise<InboxOwners> {
    const rows = await this.#db
      .selectFrom("actors")
      .select(["id", "inbox_url", "shared_inbox_url"])
      .where("is_local", "=", 0)
      .where((eb) => eb.or([eb("inbox_url", "=", inbox), eb("shared_inbox_url", "=", inbox)]))
      .execute();
    return {
      personal: rows.filter((r) => r.inbox_url === inbox).map((r) => r.id),
      shared: rows.filter((r) => r.shared_inbox_url === inbox).map((r) => r.id),
    };
  }

  /** Deliveries waiting for a retry (failed at least once, not running now). */
  async retryBacklog(queue: string, now: string): Promise<{ count: number; nextAt: string | null }> {
    const row = await this.#db
      .selectFrom("jobs")
      .select((eb) => [eb.fn.countAll().as("n"), eb.fn.min("run_at").as("next")])
      .where("queue", "=", queue)
      .where("last_error", "is not", null)
      .where((eb) => eb.or([eb("locked_until", "is", null), eb("locked_until", "<=", now)]))
      .executeTakeFirst();
    return { count: toCount(row?.n as number | string | undefined), nextAt: (row?.next as string | null | undefined) ?? null };
  }

  async unavailableHosts(limit: number): Promise<HostRecord[]> {
    const rows = await this.#db.selectFrom("hosts").selectAll().where("unavailable_since", "is not", null).orderBy("unavailable_since", "desc").limit(limit).execute();
    return rows.map(toHost);
  }

  async countUnavailableHosts(): Promise<number> {
    const row = await this.#db.selectFrom("hosts").select((eb) => eb.fn.countAll().as("n")).where("unavailable_since", "is not", null).executeTakeFirst();
    return toCount(row?.n);
  }

  /** Hosts with failures since their last success that are not (yet) unavailable, most recent first. */
  async failingHosts(limit: number): Promise<HostRecord[]> {
    const rows = await this.#db
      .selectFrom("hosts")
      .selectAll()
      .where("failure_days_json", "<>", "[]")
      .where("unavailable_since", "is", null)
      .orderBy("last_failure_at", "desc")
      .limit(limit)
      .execute();
    return rows.map(toHost);
  }

  /** Dead letters of a queue: how many, and the most common reasons. */
  async deadLetters(queue: string, limit: number): Promise<{ count: number; reasons: Array<{ reason: string; count: number }> }> {
    const dead = `dead:${queue}`;
    const rows = await this.#db
      .selectFrom("jobs")
      .select((eb) => ["last_error", eb.fn.countAll().as("n")])
      .where("queue", "=", dead)
      .groupBy("last_error")
      .orderBy(sql`count(*)`, "desc")
      .limit(limit)
      .execute();
    const total = await this.#db.selectFrom("jobs").select((eb) => eb.fn.countAll().as("n")).where("queue", "=", dead).executeTakeFirst();
    return {
      count: toCount(total?.n),
      reasons: rows.map((r) => ({ reason: r.last_error ?? "(no reason)", count: toCount(r.n) })),
    };
  }
}

function parseDays(text: string): string[] {
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value.filter((d): d is string => typeof d === "string") : [];
  } catch {
    return [];
  }
}

function toHost(row: {
  domain: string;
  signature_spec: string | null;
  failure_days_json: string;
  unavailable_since: string | null;
  last_success_at: string | null;
  last_failure_at: string | null;
  last_error: string | null;
}): HostRecord {
  return {
    domain: row.domain,
    signatureSpec: row.signature_spec,
    failureDays: parseDays(row.failure_days_json),
    unavailableSince: row.unavailable_since,
    lastSuccessAt: row.last_success_at,
    lastFailureAt: row.last_failure_at,
    lastError: row.last_error,
  };
}
