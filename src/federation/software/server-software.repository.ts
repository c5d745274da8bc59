import type { Kysely } from "kysely";
import type { DB } from "../../db/schema.ts";

/** What a server said it runs, or why asking failed; `fetchedAt` either way (failures are cached too). */
export interface ServerSoftwareRecord {
  readonly host: string;
  readonly software: string | null;
  readonly version: string | null;
  readonly fetchedAt: string;
  readonly error: string | null;
}

/** Hosts per read. */
const CHUNK = 500;

/**
 * `server_software`, owned by the federation module (migration 0018): the cache of remote servers'
 * NodeInfo software, one row per host, replaced by each fetch (at most one a day per host).
 */
export class ServerSoftwareRepository {
  readonly #db: Kysely<DB>;

  constructor(db: Kysely<DB>) {
    this.#db = db;
  }

  /** When each of these hosts was last fetched (hosts never fetched are absent). Runs in `db` when given. */
  async fetchedAt(hosts: readonly string[], db: Kysely<DB> = this.#db): Promise<Map<string, string>> {
    const result = new Map<string, string>();
    const unique = [...new Set(hosts)];
    for (let i = 0; i < unique.length; i += CHUNK) {
      const rows = await db.selectFrom("server_software").select(["host", "fetched_at"]).where("host", "in", unique.slice(i, i + CHUNK)).execute();
      for (const row of rows) result.set(row.host, row.fetched_at);
    }
    return result;
  }

  /** Known software names (hosts whose last fetch failed keep the name an earlier fetch found). */
  async softwareOf(hosts: readonly string[]): Promise<Map<string, string>> {
    const result = new Map<string, string>();
    const unique = [...new Set(hosts)];
    for (let i = 0; i < unique.length; i += CHUNK) {
      const rows = await this.#db
        .selectFrom("server_software")
        .select(["host", "software"])
        .where("host", "in", unique.slice(i, i + CHUNK))
        .where("software", "is not", null)
        .execute();
      for (const row of rows) if (row.software !== null) result.set(row.host, row.software);
    }
    return result;
  }

  async find(host: string): Promise<ServerSoftwareRecord | null> {
    const row = await this.#db.selectFrom("server_software").selectAll().where("host", "=", host).executeTakeFirst();
    return row === undefined ? null : { host: row.host, software: row.software, version: row.version, fetchedAt: row.fetched_at, error: row.error };
  }

  /**
   * Stores a fetch's result. A failed fetch keeps the software an earlier one found (a server that
   * is down today still runs what it ran yesterday) and records the error and the time.
   */
  async store(record: ServerSoftwareRecord): Promise<void> {
    const values = { software: record.software, version: record.version, fetched_at: record.fetchedAt, error: record.error };
    const onFailure = { fetched_at: record.fetchedAt, error: record.error };
    await this.#db
      .insertInto("server_software")
      .values({ host: record.host, ...values })
      .onConflict((oc) => oc.column("host").doUpdateSet(record.error === null ? values : onFailure))
      .execute();
  }
}

/** The hosts of the remote actors among `actorIds` (local actors have none), read in `db`. */
export async function remoteHostsOf(db: Kysely<DB>, actorIds: readonly string[]): Promise<string[]> {
  if (actorIds.length === 0) return [];
  const hosts = new Set<string>();
  const unique = [...new Set(actorIds)];
  for (let i = 0; i < unique.length; i += CHUNK) {
    const rows = await db.selectFrom("actors").select("uri").where("id", "in", unique.slice(i, i + CHUNK)).where("is_local", "=", 0).execute();
    for (const row of rows) {
      try {
        hosts.add(new URL(row.uri).host);
      } catch {
        // A stored actor URI is always a URL; nothing to refresh for one that is not.
      }
    }
  }
  return [...hosts];
}
