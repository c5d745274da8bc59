import { PostgresAdapter, sql, type Kysely } from "kysely";
import { Migrator, type Migration, type MigrationProvider } from "kysely/migration";
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
};

const provider: MigrationProvider = { getMigrations: async () => MIGRATIONS };

export interface MigrationOutcome {
  readonly applied: readonly string[];
}

/**
 * Brings the schema up to date. Safe to run from several processes at once: Kysely takes a lock
 * (an advisory lock on PostgreSQL, a lock table on SQLite) around the run.
 */
export async function migrateToLatest(db: Kysely<any>): Promise<MigrationOutcome> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await migrateOnce(db);
    } catch (error) {
      // Kysely's introspection reads the tables of every schema (pg_get_serial_sequence by name);
      // a schema dropped meanwhile by another process (parallel test suites) fails that read with
      // invalid_schema_name before anything was applied. Reading again is safe.
      if (attempt < 5 && (error as { cause?: { code?: unknown } }).cause?.code === "3F000") continue;
      throw error;
    }
  }
}

async function migrateOnce(db: Kysely<any>): Promise<MigrationOutcome> {
  // Kysely looks for its bookkeeping tables in every schema unless told which one: with other
  // schemas in the database (tests, several instances) it would find theirs and skip creating ours.
  const schema = db.getExecutor().adapter instanceof PostgresAdapter
    ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(db)).rows[0]?.schema
    : undefined;
  const migrator = new Migrator({ db, provider, ...(schema ? { migrationTableSchema: schema } : {}) });
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === "Error");
    throw new Error(`migration ${failed?.migrationName ?? "?"} failed: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
  return { applied: (results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName) };
}
