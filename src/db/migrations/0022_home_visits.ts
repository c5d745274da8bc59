import type { Kysely } from "kysely";

/**
 * Issue #12, item 11: "what came in since your last visit" on the app's home needs a marker per
 * person and account (a membership): notifications' `read_at` is per account, shared by everyone who
 * acts for it, so one person reading them would hide them from the next. Two instants:
 *
 * - `home_visited_at`: the latest request of the home by this person for this account;
 * - `home_seen_at`: where the current visit's "since" starts (the previous visit), so reloading the
 *   home during one visit keeps showing the same news instead of emptying it.
 *
 * Owned by the user module (src/user/home-visit.repository.ts).
 *
 * And the media library (item 13) lists one actor's uploads newest first: `media_actor` makes that
 * page a range of (actor_id, id) instead of a scan of every attachment, remote ones included.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("memberships").addColumn("home_seen_at", "text").execute();
  await db.schema.alterTable("memberships").addColumn("home_visited_at", "text").execute();
  await db.schema.createIndex("media_actor").on("media").columns(["actor_id", "id"]).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex("media_actor").execute();
  await db.schema.alterTable("memberships").dropColumn("home_visited_at").execute();
  await db.schema.alterTable("memberships").dropColumn("home_seen_at").execute();
}
