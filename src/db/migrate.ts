import { sql, type Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import type { DatabaseConfig } from "../config/config.ts";
import type { Database } from "./database.ts";
import * as m0001 from "./migrations/0001_initial.ts";
import * as m0002 from "./migrations/0002_inbound.ts";
import * as m0003 from "./migrations/0003_social.ts";
import * as m0004 from "./migrations/0004_posts.ts";
import * as m0005 from "./migrations/0005_delivery.ts";
import * as m0006 from "./migrations/0006_web.ts";
import * as m0007 from "./migrations/0007_notification_index.ts";
import * as m0008 from "./migrations/0008_draft_changes.ts";
import * as m0010 from "./migrations/0010_job_groups.ts";
import * as m0011 from "./migrations/0011_inbox_seen_digest.ts";
import * as m0012 from "./migrations/0012_setup_tokens.ts";
import * as m0013 from "./migrations/0013_counters.ts";
import * as m0014 from "./migrations/0014_home_feed.ts";
import * as m0018 from "./migrations/0018_insights_reach.ts";
import * as m0022 from "./migrations/0022_home_visits.ts";
import * as m0021 from "./migrations/0021_draft_polls.ts";
import * as m0019 from "./migrations/0019_compose_uploads.ts";
import * as m0020 from "./migrations/0020_public_pages.ts";
import * as m0017 from "./migrations/0017_insights.ts";
import * as m0015 from "./migrations/0015_outbox_undo_index.ts";
import * as m0023 from "./migrations/0023_partial_boost_index.ts";

/** Migrations are imported statically so the set is the same in every process and in the type check. */
const MIGRATIONS: Record<string, Migration> = {
  "0001_initial": m0001,
  "0002_inbound": m0002,
  "0003_social": m0003,
  "0004_posts": m0004,
  "0005_delivery": m0005,
  "0006_web": m0006,
  "0007_notification_index": m0007,
  "0008_draft_changes": m0008,
  "0010_job_groups": m0010,
  "0011_inbox_seen_digest": m0011,
  "0012_setup_tokens": m0012,
  "0013_counters": m0013,
  "0014_home_feed": m0014,
  "0018_insights_reach": m0018,
  "0022_home_visits": m0022,
  "0021_draft_polls": m0021,
  "0019_compose_uploads": m0019,
  "0020_public_pages": m0020,
  "0017_insights": m0017,
  "0015_outbox_undo_index": m0015,
  "0023_partial_boost_index": m0023,
};

/** The names of every migration this Herold knows, in order (a backup records which were applied). */
export function knownMigrationNames(): readonly string[] {
  return Object.keys(MIGRATIONS).sort();
}

/** Kysely's bookkeeping table, kept so databases migrated by earlier versions stay valid. */
const MIGRATION_TABLE = "kysely_migration";
/** Kysely's lock table on SQLite; here only the first write of a migration run. */
const LOCK_TABLE = "kysely_migration_lock";

export interface MigrationOutcome {
  readonly applied: readonly string[];
}

/**
 * Creates the configured PostgreSQL schema if needed and applies the pending migrations, all in
 * one transaction. Safe to run from several processes at once (instances starting together, the
 * CLI beside running roles):
 *
 * - PostgreSQL: one session holds an advisory lock keyed by the schema name for the whole step,
 *   creating the schema included, so concurrent starts on one schema queue up and the later ones
 *   find everything applied. (Kysely's own migrator ran `CREATE SCHEMA IF NOT EXISTS` and its
 *   table checks outside its lock, and those checks read the catalogue of every schema in the
 *   database, so other schemas being dropped meanwhile failed them: "relation … does not exist".
 *   This runner reads only its own bookkeeping table.)
 * - SQLite: the transaction writes first (a delete in the lock table), so it holds the file's write
 *   lock before it reads what was applied.
 */
export async function migrateToLatest(database: Database, config: DatabaseConfig): Promise<MigrationOutcome> {
  if (database.kind === "sqlite") {
    // Up to date (every start but the first after an upgrade): no write lock at all. A write
    // transaction spanning awaits stalls other connections of the same process (node:sqlite waits
    // for a lock synchronously), e.g. a role and an in-process CLI.
    if (!(await hasPending(database.db))) return { applied: [] };
    return await database.db.transaction().execute(async (trx) => {
      // A write first: the transaction takes the file's write lock before it reads what was applied.
      await sql`CREATE TABLE IF NOT EXISTS ${sql.id(LOCK_TABLE)} (id varchar(255) NOT NULL PRIMARY KEY)`.execute(trx);
      await sql`DELETE FROM ${sql.id(LOCK_TABLE)} WHERE id = 'herold'`.execute(trx);
      return await applyPending(trx);
    });
  }
  // Advisory locks are per database; the key names the schema, so instances in other schemas of
  // the same database migrate independently.
  const schema = config.kind === "postgres" && config.schema !== undefined ? config.schema : "public";
  const key = sql`hashtextextended(${`herold.migrate:${schema}`}, 0)`;
  return await database.db.connection().execute(async (conn) => {
    await sql`SELECT pg_advisory_lock(${key})`.execute(conn);
    try {
      return await conn.transaction().execute(async (trx) => {
        if (config.kind === "postgres" && config.schema !== undefined) {
          await sql`CREATE SCHEMA IF NOT EXISTS ${sql.id(config.schema)}`.execute(trx);
        }
        return await applyPending(trx);
      });
    } finally {
      // Also released when the session ends; the connection goes back to the pool, so unlock now.
      await sql`SELECT pg_advisory_unlock(${key})`.execute(conn);
    }
  });
}

/** SQLite: whether a migration is not recorded yet (read without taking the write lock). */
async function hasPending(db: Kysely<any>): Promise<boolean> {
  const table = await sql<{ name: string }>`SELECT name FROM sqlite_master WHERE type = 'table' AND name = ${MIGRATION_TABLE}`.execute(db);
  if (table.rows.length === 0) return true;
  const done = new Set((await db.selectFrom(MIGRATION_TABLE).select("name").execute()).map((r) => r.name as string));
  return Object.keys(MIGRATIONS).some((name) => !done.has(name));
}

/** Inside the lock: records and applies every migration not yet recorded, in name order. */
async function applyPending(db: Kysely<any>): Promise<MigrationOutcome> {
  await db.schema
    .createTable(MIGRATION_TABLE)
    .ifNotExists()
    .addColumn("name", "varchar(255)", (col) => col.notNull().primaryKey())
    .addColumn("timestamp", "varchar(255)", (col) => col.notNull())
    .execute();
  const rows = await db.selectFrom(MIGRATION_TABLE).select("name").execute();
  const done = new Set(rows.map((r) => r.name as string));
  const known = Object.keys(MIGRATIONS).sort();
  const unknown = [...done].filter((name) => !(name in MIGRATIONS));
  if (unknown.length > 0) {
    throw new Error(`the database has migrations this version of Herold does not know (${unknown.join(", ")}): run a newer version`);
  }
  const pending = known.filter((name) => !done.has(name));
  const last = known.filter((name) => done.has(name)).at(-1);
  if (last !== undefined && pending.some((name) => name < last)) {
    throw new Error(`migration ${pending.find((name) => name < last)} is older than the applied ${last}: the migration set is inconsistent`);
  }
  for (const name of pending) {
    try {
      await MIGRATIONS[name]!.up(db);
    } catch (error) {
      throw new Error(`migration ${name} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    await db.insertInto(MIGRATION_TABLE).values({ name, timestamp: new Date().toISOString() }).execute();
  }
  return { applied: pending };
}
