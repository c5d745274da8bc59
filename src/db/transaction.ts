import type { Kysely } from "kysely";
import type { DB } from "./schema.ts";

/**
 * Runs `work` in `db` when it already is a transaction, else in a new one. Repositories whose
 * writes need a transaction of their own use it, so that a service can also run them inside its
 * larger one (Kysely has no nested transactions).
 */
export async function inTransaction<T>(db: Kysely<DB>, work: (trx: Kysely<DB>) => Promise<T>): Promise<T> {
  return db.isTransaction ? await work(db) : await db.transaction().execute(work);
}
