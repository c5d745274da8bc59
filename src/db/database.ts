import { Kysely, SqliteDialect, sql } from "kysely";
import type postgres from "postgres";
import type { DatabaseConfig } from "../config/config.ts";
import type { DB } from "./schema.ts";
import { openSqlite } from "./sqlite-adapter.ts";

/** The database handle every repository receives; `kind` lets the few engine-specific queries branch. */
export interface Database {
  readonly db: Kysely<DB>;
  readonly kind: "sqlite" | "postgres";
  /** postgres.js client for LISTEN/NOTIFY (PostgreSQL only). */
  readonly pg: postgres.Sql | undefined;
  close(): Promise<void>;
}

/**
 * Opens the configured engine. The PostgreSQL driver is imported only when PostgreSQL is configured:
 * an embedded (SQLite) installation never pays its memory.
 */
export async function openDatabase(config: DatabaseConfig, options: { maxConnections?: number } = {}): Promise<Database> {
  if (config.kind === "sqlite") {
    const sqlite = openSqlite(config.path);
    const db = new Kysely<DB>({ dialect: new SqliteDialect({ database: sqlite }) });
    return {
      db,
      kind: "sqlite",
      pg: undefined,
      close: async () => {
        await db.destroy();
      },
    };
  }
  const [{ PostgresJSDialect }, { default: connect }] = await Promise.all([import("kysely-postgres-js"), import("postgres")]);
  const client = connect(config.url, {
    max: options.maxConnections ?? 10,
    onnotice: () => {},
    connection: config.schema !== undefined ? { search_path: config.schema } : {},
  });
  const db = new Kysely<DB>({ dialect: new PostgresJSDialect({ postgres: client }) });
  return {
    db,
    kind: "postgres",
    pg: client,
    close: async () => {
      await db.destroy();
    },
  };
}

