import type { Kysely } from "kysely";

/**
 * Issue #14 (Insights), the data three modules own for it:
 *
 * - `delivery_outcomes` (delivery): the outcome of a post's Create at each inbox it was queued for,
 *   written pending in the transaction that queues the deliver jobs and settled by the deliver job
 *   (delivered on a 2xx, failed when the engine gives up). The queue's jobs are not a record: they
 *   are deleted when done. One row per (activity, inbox) rather than per host, so that settling is
 *   idempotent (a job run twice sets the same row) and a host with several personal inboxes is
 *   accepted when any of them is; with shared inboxes (the common case) that is one row per host.
 *   `post_id` is the local post whose Create it is (the bridge derives it from the activity's object),
 *   so reach per post is a range of `delivery_outcomes_post`. No foreign keys: outcomes are history.
 * - `page_views` (pages): plain counters per account, page kind, 15-minute UTC bucket and
 *   crawler 0/1. Nothing about a visitor, not even a hash. Quarter hours, because some zones are
 *   offset by :30 or :45 and a local day must be an exact sum of buckets. No foreign key: increments
 *   are flushed from memory in batches, and one for an account deleted meanwhile must not fail the batch.
 * - `server_software` (federation): the software a remote server says it runs (NodeInfo), fetched at
 *   most once a UTC day per host; failures are cached too (`error`, with `fetched_at`).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("delivery_outcomes")
    .addColumn("activity_id", "text", (c) => c.notNull())
    .addColumn("inbox", "text", (c) => c.notNull())
    .addColumn("host", "text", (c) => c.notNull())
    .addColumn("post_id", "text", (c) => c.notNull())
    .addColumn("state", "text", (c) => c.notNull())
    .addColumn("updated_at", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("delivery_outcomes_pk", ["activity_id", "inbox"])
    .execute();
  await db.schema.createIndex("delivery_outcomes_post").on("delivery_outcomes").columns(["post_id", "host", "state"]).execute();

  await db.schema
    .createTable("page_views")
    .addColumn("account_id", "text", (c) => c.notNull())
    .addColumn("bucket", "text", (c) => c.notNull())
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("crawler", "integer", (c) => c.notNull())
    .addColumn("views", "integer", (c) => c.notNull())
    .addPrimaryKeyConstraint("page_views_pk", ["account_id", "bucket", "kind", "crawler"])
    .execute();

  await db.schema
    .createTable("server_software")
    .addColumn("host", "text", (c) => c.primaryKey())
    .addColumn("software", "text")
    .addColumn("version", "text")
    .addColumn("fetched_at", "text", (c) => c.notNull())
    .addColumn("error", "text")
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("server_software").ifExists().execute();
  await db.schema.dropTable("page_views").ifExists().execute();
  await db.schema.dropTable("delivery_outcomes").ifExists().execute();
}
