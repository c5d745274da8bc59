import type { Kysely } from "kysely";

/**
 * The team web app (issue #6): people who sign in, their sessions, which local accounts they may act
 * for (memberships with a role), who wrote which post, and the results of profile link (rel=me) checks.
 *
 * People are not actors: an organisation account is run by several people, and one person may run
 * several accounts. Roles are plain text so the later "teams with roles and approval" issue can add
 * states (an author's post awaiting a publisher) without rewriting this table.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("users")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("email", "text", (c) => c.notNull().unique()) // lower case
    .addColumn("username", "text", (c) => c.unique()) // optional sign-in name, lower case
    .addColumn("display_name", "text", (c) => c.notNull())
    // PHC string: `$argon2id$v=19$m=…,t=…,p=…$salt$hash` (or `$scrypt$…`): algorithm and parameters travel with the hash.
    .addColumn("password_hash", "text", (c) => c.notNull())
    .addColumn("time_zone", "text") // IANA name; null: the browser's zone, else UTC
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("updated_at", "text", (c) => c.notNull())
    .execute();

  // The cookie carries a random token; only its SHA-256 is stored, so a database leak signs nobody in.
  await db.schema
    .createTable("sessions")
    .addColumn("id", "text", (c) => c.primaryKey()) // hex SHA-256 of the token
    .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("account_id", "text", (c) => c.references("accounts.id").onDelete("set null")) // account being acted for
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("last_seen_at", "text", (c) => c.notNull())
    .addColumn("expires_at", "text", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("sessions_user").on("sessions").column("user_id").execute();
  await db.schema.createIndex("sessions_expires").on("sessions").column("expires_at").execute();

  await db.schema
    .createTable("memberships")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("account_id", "text", (c) => c.notNull().references("accounts.id").onDelete("cascade"))
    .addColumn("role", "text", (c) => c.notNull()) // owner | admin | publisher | author
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("updated_at", "text", (c) => c.notNull())
    .addUniqueConstraint("memberships_pair", ["user_id", "account_id"])
    .execute();
  await db.schema.createIndex("memberships_account").on("memberships").column("account_id").execute();

  // Drafts and scheduled posts (src/post/schedule): what the composer saved, not yet a post. Publishing
  // goes through PostService.publish, so a scheduled post is rendered, addressed and federated exactly
  // like one published now. state: draft | scheduled | publishing | published | failed.
  await db.schema
    .createTable("drafts")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("account_id", "text", (c) => c.notNull().references("accounts.id").onDelete("cascade"))
    .addColumn("user_id", "text", (c) => c.references("users.id").onDelete("set null"))
    .addColumn("state", "text", (c) => c.notNull())
    .addColumn("text", "text", (c) => c.notNull())
    .addColumn("content_warning", "text")
    .addColumn("visibility", "text", (c) => c.notNull())
    .addColumn("language", "text")
    .addColumn("reply_to", "text") // id or URL of the post replied to
    .addColumn("quote", "text") // id or URL of the post quoted
    .addColumn("media_json", "text", (c) => c.notNull().defaultTo("[]")) // [{ id, description }] of unattached media rows
    .addColumn("scheduled_at", "text") // UTC, whole minutes
    .addColumn("time_zone", "text") // the zone it was scheduled in (for showing it back)
    .addColumn("claimed_at", "text") // when publishing started (crash recovery)
    .addColumn("post_id", "text", (c) => c.references("posts.id").onDelete("set null"))
    .addColumn("error", "text")
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("updated_at", "text", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("drafts_account_state").on("drafts").columns(["account_id", "state", "scheduled_at"]).execute();

  // Which person wrote a local post (drafts, scheduled and published): the later approval step hangs here.
  await db.schema
    .createTable("post_authors")
    .addColumn("post_id", "text", (c) => c.primaryKey().references("posts.id").onDelete("cascade"))
    .addColumn("user_id", "text", (c) => c.references("users.id").onDelete("set null"))
    .addColumn("created_at", "text", (c) => c.notNull())
    .execute();

  // rel=me verification of profile field links: shown in the settings and next to verified fields.
  await db.schema
    .createTable("profile_link_checks")
    .addColumn("account_id", "text", (c) => c.notNull().references("accounts.id").onDelete("cascade"))
    .addColumn("url", "text", (c) => c.notNull())
    .addColumn("verified", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("detail", "text")
    .addColumn("checked_at", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("profile_link_checks_pk", ["account_id", "url"])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ["profile_link_checks", "post_authors", "drafts", "memberships", "sessions", "users"]) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
