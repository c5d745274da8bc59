import { spawn } from "node:child_process";
import { accessSync, constants, writeFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { sql } from "kysely";
import type { DatabaseConfig } from "../config/config.ts";
import type { Database } from "../db/database.ts";
import type { BackupEngine, DatabaseSnapshot } from "./backup.strategy.ts";
import { BackupError } from "./backup.errors.ts";
import { PG_DUMP_FILE } from "./backup.manifest.ts";

/** Where pg_dump and pg_restore are (absent when not installed), and the `PATH` they run with. */
export interface PgTools {
  readonly pgDump: string | undefined;
  readonly pgRestore: string | undefined;
  readonly searchPath: string;
}

/** Looks the PostgreSQL client tools up on a search path (`Config.toolSearchPath`). */
export function findPgTools(searchPath: string): PgTools {
  const dirs = searchPath.split(delimiter).filter((d) => d !== "");
  const find = (name: string) =>
    dirs.map((d) => join(d, name)).find((candidate) => {
      try {
        accessSync(candidate, constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
  return { pgDump: find("pg_dump"), pgRestore: find("pg_restore"), searchPath };
}

/**
 * PostgreSQL: `pg_dump --format=custom` of Herold's schema (one snapshot, consistent by itself, taken
 * while Herold runs) and `pg_restore --single-transaction` back into the same schema. A password in
 * HEROLD_DATABASE_URL goes to the tools as PGPASSWORD, never as an argument other users could read
 * in the process list.
 */
export class PostgresBackup implements BackupEngine {
  readonly #schema: string;
  readonly #database: Database;
  readonly #tools: PgTools;
  readonly #connection: { readonly url: string; readonly env: Readonly<Record<string, string>> };

  constructor(config: Extract<DatabaseConfig, { kind: "postgres" }>, database: Database, tools: PgTools) {
    this.#schema = config.schema ?? "public";
    this.#database = database;
    this.#tools = tools;
    const url = new URL(config.url);
    const password = decodeURIComponent(url.password);
    url.password = "";
    this.#connection = { url: url.toString(), env: password !== "" ? { PGPASSWORD: password } : {} };
  }

  async snapshot(file: string): Promise<DatabaseSnapshot> {
    const args = ["--format=custom", "--no-owner", "--no-privileges", `--schema=${this.#schema}`, `--file=${file}`, `--dbname=${this.#connection.url}`];
    if (this.#tools.pgDump === undefined) {
      throw new BackupError(
        "tool",
        `pg_dump is not installed: install PostgreSQL's client tools (Debian: apt-get install postgresql-client) and run herold backup again, or dump the database yourself with: pg_dump ${args.map(shellWord).join(" ")}`,
      );
    }
    await this.#run(this.#tools.pgDump, args);
    return { archivePath: PG_DUMP_FILE, migrations: await this.#migrationsIn(file), schema: this.#schema };
  }

  async isEmpty(): Promise<boolean> {
    const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = ${this.#schema}`.execute(this.#database.db);
    return Number(rows[0]?.n ?? 0) === 0;
  }

  async restore(file: string, schema: string | undefined): Promise<void> {
    const pgRestore = this.#requireRestore();
    if (schema !== this.#schema) {
      throw new BackupError(
        "incompatible",
        `the backup holds the PostgreSQL schema ${JSON.stringify(schema)}, HEROLD_DATABASE_URL names ${JSON.stringify(this.#schema)}: restore into the same schema (…?schema=${schema ?? "public"})`,
      );
    }
    // The schema is made here, empty, and its own entries are taken out of the dump's table of
    // contents: a dump of `public` carries CREATE SCHEMA public, which an existing public refuses.
    const toc = (await this.#run(pgRestore, ["--list", file])).split("\n");
    const own = new RegExp(`^\\d+; \\d+ \\d+ (SCHEMA - ${this.#schema} |COMMENT - SCHEMA ${this.#schema} )`);
    const list = `${file}.list`;
    writeFileSync(list, toc.filter((line) => !own.test(line)).join("\n"));
    await sql`DROP SCHEMA IF EXISTS ${sql.id(this.#schema)} CASCADE`.execute(this.#database.db);
    await sql`CREATE SCHEMA ${sql.id(this.#schema)}`.execute(this.#database.db);
    await this.#run(pgRestore, ["--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error", `--use-list=${list}`, `--dbname=${this.#connection.url}`, file]);
  }

  /** The applied migrations as the dump recorded them (its own snapshot, not the live table's). */
  async #migrationsIn(file: string): Promise<string[]> {
    const text = await this.#run(this.#requireRestore(), ["--data-only", `--schema=${this.#schema}`, "--table=kysely_migration", "--file=-", file]);
    const lines = text.split("\n");
    const start = lines.findIndex((line) => line.startsWith("COPY ") && line.includes("kysely_migration"));
    if (start < 0) return [];
    const names: string[] = [];
    for (const line of lines.slice(start + 1)) {
      if (line === "\\.") break;
      names.push(line.split("\t")[0]!);
    }
    return names.sort();
  }

  #requireRestore(): string {
    if (this.#tools.pgRestore === undefined) {
      throw new BackupError("tool", "pg_restore is not installed: install PostgreSQL's client tools (Debian: apt-get install postgresql-client)");
    }
    return this.#tools.pgRestore;
  }

  #run(command: string, args: readonly string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      // Only what the tool needs: Herold's own environment (HEROLD_* secrets among it) stays here.
      const child = spawn(command, args, { env: { PATH: this.#tools.searchPath, ...this.#connection.env }, stdio: ["ignore", "pipe", "pipe"] });
      const out: Buffer[] = [];
      const errors: Buffer[] = [];
      child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
      child.stderr.on("data", (chunk: Buffer) => errors.push(chunk));
      child.on("error", (error) => reject(new BackupError("tool", `${command}: ${error.message}`)));
      child.on("close", (code) => {
        if (code === 0) resolve(Buffer.concat(out).toString("utf8"));
        else reject(new BackupError("tool", `${command.split("/").at(-1)} failed (exit ${code}): ${Buffer.concat(errors).toString("utf8").trim().split("\n").slice(0, 3).join(" ")}`));
      });
    });
  }
}

function shellWord(word: string): string {
  return /^[\w./:=@%+-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}
