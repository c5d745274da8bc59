import type { Kysely } from "kysely";

/**
 * Delivery engine: the last failure reason per host, so `herold status` can say why a host is
 * failing without digging through dead letters.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("hosts").addColumn("last_error", "text").execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("hosts").dropColumn("last_error").execute();
}
