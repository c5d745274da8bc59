import { sql, type Kysely } from "kysely";

/**
 * Issue #12: the hashtag page (`/tags/<name>`) lists a tag's local public posts newest first, paged
 * by post id, and a public post page lists its replies oldest first.
 *
 * - `post_tags.is_local` copies the post's: with (tag, is_local, post_id) a page is one range read
 *   backwards, however many remote posts share the tag (joining `posts` to filter them read and
 *   dropped every remote row, and PostgreSQL then preferred a full scan and a sort). It replaces
 *   `post_tags_tag` (tag), a prefix of it.
 * - `posts_in_reply_to_id` (in_reply_to_uri, id) replaces `posts_in_reply_to` (in_reply_to_uri):
 *   replies come in id order without a sort.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("post_tags").addColumn("is_local", "integer", (c) => c.notNull().defaultTo(0)).execute();
  await sql`UPDATE post_tags SET is_local = 1 WHERE post_id IN (SELECT id FROM posts WHERE is_local = 1)`.execute(db);
  await db.schema.createIndex("post_tags_local").on("post_tags").columns(["tag", "is_local", "post_id"]).execute();
  await db.schema.dropIndex("post_tags_tag").ifExists().execute();
  await db.schema.createIndex("posts_in_reply_to_id").on("posts").columns(["in_reply_to_uri", "id"]).execute();
  await db.schema.dropIndex("posts_in_reply_to").ifExists().execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex("posts_in_reply_to").on("posts").column("in_reply_to_uri").execute();
  await db.schema.dropIndex("posts_in_reply_to_id").ifExists().execute();
  await db.schema.createIndex("post_tags_tag").on("post_tags").column("tag").execute();
  await db.schema.dropIndex("post_tags_local").ifExists().execute();
  await db.schema.alterTable("post_tags").dropColumn("is_local").execute();
}
