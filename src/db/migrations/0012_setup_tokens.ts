import type { Kysely } from "kysely";

/**
 * One-time tokens for first-run setup (issue #10 item 6): while no person exists, `/app/setup` makes
 * its visitor the owner only with a token that `npm start` printed to the console. Kept in the
 * database (not in memory) so that a token printed by one web process works on any other; only the
 * SHA-256 of the token is stored. Each start issues one; the first setup deletes them all.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("setup_tokens")
    .addColumn("id", "text", (c) => c.primaryKey()) // hex SHA-256 of the token
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("expires_at", "text", (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("setup_tokens").ifExists().execute();
}
