import type { Kysely } from "kysely";

/**
 * Issue #12, item 13: a draft (and a scheduled post) may carry a poll: its options, single or
 * multiple choice and duration, as JSON (`PollDraft`, src/post/poll.ts). The published post keeps
 * its poll in `posts.poll_json` like a remote poll; votes are entries of the interaction ledger
 * (kind `vote`), so no table of votes is needed. Item 13 also asks for a "sensitive media" toggle:
 * `drafts.sensitive` keeps it until the post is published (`posts.sensitive`).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("drafts").addColumn("poll_json", "text").execute();
  // "Mark media as sensitive" without a content warning (Mastodon's `sensitive: true`), 0/1.
  await db.schema.alterTable("drafts").addColumn("sensitive", "integer", (c) => c.notNull().defaultTo(0)).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("drafts").dropColumn("sensitive").execute();
  await db.schema.alterTable("drafts").dropColumn("poll_json").execute();
}
