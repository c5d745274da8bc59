/**
 * Preloaded into the benchmark's Herold processes only (`--import`): counts the SQL statements that
 * go through Kysely's drivers, the transactions they open and the commits they cause. Herold itself
 * carries no counter, so production pays nothing.
 *
 * Counted at the driver connection, under Kysely, so that `begin`/`commit` (which Kysely issues
 * through the connection) are seen too. A write outside a transaction commits on its own and counts
 * as a commit. Queries made with postgres.js directly (the queue's LISTEN/NOTIFY) are not counted.
 *
 * On SIGUSR2 the totals so far are written, synchronously, to the file named by `BENCH_SQL_COUNTS`.
 */
import { renameSync, writeFileSync } from "node:fs";
import { SqliteDriver, type DatabaseConnection, type Driver } from "kysely";

export interface SqlCounts {
  readonly statements: number;
  readonly transactions: number;
  /** Explicit commits plus writes outside a transaction (each its own commit). */
  readonly commits: number;
}

const counts = { statements: 0, transactions: 0, commits: 0 };
/** With `BENCH_SQL_TEXTS=1`, statements by their SQL text too (which ones, how often), for reading by hand. */
const texts = process.env["BENCH_SQL_TEXTS"] === "1" ? new Map<string, number>() : undefined;
const wrapped = new WeakSet<DatabaseConnection>();
const inTransaction = new WeakMap<DatabaseConnection, boolean>();

function count(connection: DatabaseConnection, sql: string): void {
  counts.statements++;
  if (texts !== undefined) texts.set(sql.slice(0, 160), (texts.get(sql.slice(0, 160)) ?? 0) + 1);
  const head = sql.trimStart().slice(0, 24).toLowerCase();
  if (head.startsWith("begin") || head.startsWith("start transaction")) {
    counts.transactions++;
    inTransaction.set(connection, true);
  } else if (head.startsWith("commit") || head.startsWith("end")) {
    counts.commits++;
    inTransaction.set(connection, false);
  } else if (head.startsWith("rollback")) {
    inTransaction.set(connection, false);
  } else if (inTransaction.get(connection) !== true && /^(insert|update|delete|replace|with)\b/.test(head)) {
    counts.commits++;
  }
}

function wrap(connection: DatabaseConnection): DatabaseConnection {
  if (wrapped.has(connection)) return connection;
  wrapped.add(connection);
  const execute = connection.executeQuery.bind(connection);
  connection.executeQuery = (query) => {
    count(connection, query.sql);
    return execute(query);
  };
  const stream = connection.streamQuery.bind(connection);
  connection.streamQuery = (query, chunkSize) => {
    count(connection, query.sql);
    return stream(query, chunkSize);
  };
  return connection;
}

function patch(driver: { prototype: Driver }): void {
  const acquire = driver.prototype.acquireConnection;
  driver.prototype.acquireConnection = async function (this: Driver, ...args: Parameters<Driver["acquireConnection"]>) {
    return wrap(await acquire.apply(this, args));
  };
}

const file = process.env["BENCH_SQL_COUNTS"];
if (file !== undefined && file !== "") {
  if (process.env["HEROLD_DATABASE_URL"]?.startsWith("postgres") === true) {
    const { PostgresJSDriver } = await import("kysely-postgres-js");
    patch(PostgresJSDriver);
  } else {
    patch(SqliteDriver);
  }
  // Written aside and renamed, so that the benchmark never reads a half-written file.
  process.on("SIGUSR2", () => {
    const byText = texts === undefined ? {} : { texts: Object.fromEntries([...texts].sort((a, b) => b[1] - a[1])) };
    writeFileSync(`${file}.part`, JSON.stringify({ ...counts, ...byText }, null, 1));
    renameSync(`${file}.part`, file);
  });
}
