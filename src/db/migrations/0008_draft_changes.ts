import type { Kysely } from "kysely";

/**
 * Who changed a draft (issue #10, item 2). `drafts.updated_by` names the person behind the current
 * content; `drafts.revision` counts content changes, so a publisher's "publish" or "schedule" can
 * insist on the version they saw. `draft_changes` is the history, one row per change (created,
 * edited, scheduled, cancelled, published, failed, deleted), with a snapshot of the content for
 * creations and edits: the review step of the teams issue compares and approves revisions from here.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("drafts").addColumn("updated_by", "text").execute();
  await db.schema.alterTable("drafts").addColumn("revision", "integer", (c) => c.notNull().defaultTo(1)).execute();
  await db.schema
    .createTable("draft_changes")
    .addColumn("id", "text", (c) => c.primaryKey())
    // No foreign key to drafts: the history of a deleted draft (and who deleted it) is kept.
    .addColumn("draft_id", "text", (c) => c.notNull())
    .addColumn("account_id", "text", (c) => c.notNull().references("accounts.id").onDelete("cascade"))
    // No foreign key to users either: who made a change stays known after the person is removed.
    .addColumn("user_id", "text") // null: the scheduler (worker) or the command line
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("revision", "integer", (c) => c.notNull())
    .addColumn("content_json", "text") // the content as saved (created, edited)
    .addColumn("scheduled_at", "text") // the time chosen (scheduled)
    .addColumn("created_at", "text", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("draft_changes_draft").on("draft_changes").columns(["draft_id", "id"]).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("draft_changes").ifExists().execute();
  await db.schema.alterTable("drafts").dropColumn("revision").execute();
  await db.schema.alterTable("drafts").dropColumn("updated_by").execute();
}
