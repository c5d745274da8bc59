/**
 * Where the data generator writes rows: one strategy per engine (sink.sqlite.ts, sink.postgres.ts),
 * picked once by engine. Rows are arrays in the order of `columns`; values are strings, numbers or null.
 */
export type Value = string | number | null;

export interface Sink {
  /** Drops the secondary indexes of `tables` (kept: primary keys and unique constraints, which the data must satisfy). */
  dropIndexes(tables: readonly string[]): Promise<void>;
  /** Writes rows, batched in large transactions. */
  write(table: string, columns: readonly string[], rows: Iterable<readonly Value[]>): Promise<number>;
  /** Re-creates the indexes `dropIndexes` dropped, exactly as the migrations made them. */
  restoreIndexes(): Promise<void>;
  /** Checks every foreign key (they are not enforced row by row while loading). */
  checkForeignKeys(): Promise<void>;
  close(): Promise<void>;
}
