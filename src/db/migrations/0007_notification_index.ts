import type { Kysely } from "kysely";

/**
 * `notifications.interaction_id` index: every inbound mention, reply, like or boost asks whether its
 * ledger entry was already notified (`existsForInteraction`). Without the index that was a scan of all
 * notifications per activity, about 1 ms at 7,000 notifications and growing with every one
 * (bench/inbound.ts).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex("notifications_interaction").on("notifications").column("interaction_id").execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex("notifications_interaction").ifExists().execute();
}
