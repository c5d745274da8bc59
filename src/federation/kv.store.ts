import type { KvKey, KvStore, KvStoreListEntry, KvStoreSetOptions } from "@fedify/fedify";
import type { Kysely } from "kysely";
import type { DB } from "../db/schema.ts";
import type { Clock } from "../lib/time.ts";

/**
 * Fedify's KvStore on Herold's database, so every web and worker process shares one cache and
 * Fedify needs no Redis. Keys are encoded segment-wise so that `list(prefix)` is a range scan.
 */
export class DatabaseKvStore implements KvStore {
  readonly #db: Kysely<DB>;
  readonly #clock: Clock;

  constructor(db: Kysely<DB>, clock: Clock) {
    this.#db = db;
    this.#clock = clock;
  }

  async get<T = unknown>(key: KvKey): Promise<T | undefined> {
    const row = await this.#db.selectFrom("kv").select(["value", "expires_at"]).where("key", "=", encodeKey(key)).executeTakeFirst();
    if (row === undefined || (row.expires_at !== null && row.expires_at <= this.#now())) return undefined;
    return JSON.parse(row.value) as T;
  }

  async set(key: KvKey, value: unknown, options?: KvStoreSetOptions): Promise<void> {
    const expires = options?.ttl ? new Date(this.#clock.now().getTime() + options.ttl.total("millisecond")).toISOString() : null;
    const row = { key: encodeKey(key), value: JSON.stringify(value), expires_at: expires };
    await this.#db
      .insertInto("kv")
      .values(row)
      .onConflict((oc) => oc.column("key").doUpdateSet({ value: row.value, expires_at: row.expires_at }))
      .execute();
  }

  async delete(key: KvKey): Promise<void> {
    await this.#db.deleteFrom("kv").where("key", "=", encodeKey(key)).execute();
  }

  async *list(prefix?: KvKey): AsyncIterable<KvStoreListEntry> {
    let query = this.#db.selectFrom("kv").select(["key", "value", "expires_at"]);
    if (prefix !== undefined && prefix.length > 0) {
      const start = encodeKey(prefix);
      // Exact key, or anything below it: "a/b" and "a/b/…" (segment separator "/" sorts before "0").
      query = query.where((eb) => eb.or([eb("key", "=", start), eb.and([eb("key", ">", `${start}/`), eb("key", "<", `${start}0`)])]));
    }
    const now = this.#now();
    for (const row of await query.orderBy("key").execute()) {
      if (row.expires_at !== null && row.expires_at <= now) continue;
      yield { key: decodeKey(row.key), value: JSON.parse(row.value) };
    }
  }

  /** Removes expired entries; run periodically by the worker role. */
  async purgeExpired(): Promise<number> {
    const result = await this.#db.deleteFrom("kv").where("expires_at", "<=", this.#now()).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  #now(): string {
    return this.#clock.now().toISOString();
  }
}

function encodeKey(key: KvKey): string {
  return key.map((part) => encodeURIComponent(part)).join("/");
}

function decodeKey(text: string): KvKey {
  const parts = text.split("/").map((part) => decodeURIComponent(part));
  return parts as unknown as KvKey;
}
