import type { Kysely } from "kysely";

/**
 * Issue #12, items 2 and 5: images uploaded with a submit that was refused (over the character
 * limit, too many images) or with a Preview, which saves no draft. The image is processed and
 * stored at once (a media row with no post), and this row says whose it is until a later submit of
 * the same person for the same account adopts it into a draft: the page carries only the media id,
 * and a forged or replayed id finds no row (nothing shared between drafts, nothing adopted twice).
 * Owned by the drafts module (src/post/schedule/compose-upload.repository.ts); rows older than a
 * day are discarded with their media.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("compose_uploads")
    .addColumn("media_id", "text", (c) => c.primaryKey())
    .addColumn("account_id", "text", (c) => c.notNull())
    .addColumn("user_id", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("compose_uploads_owner").on("compose_uploads").columns(["account_id", "user_id", "created_at"]).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("compose_uploads").ifExists().execute();
}
