import type { Kysely } from "kysely";

/**
 * `jobs.group_key`: who a job is on behalf of, for queues that share their capacity fairly (the
 * inbox: the sending server's host, issue #10 item 8). Counted per queue and group by
 * `JobQueue.countByGroup`, hence the index.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("jobs").addColumn("group_key", "text").execute();
  await db.schema.createIndex("jobs_queue_group").on("jobs").columns(["queue", "group_key"]).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex("jobs_queue_group").ifExists().execute();
  await db.schema.alterTable("jobs").dropColumn("group_key").execute();
}
