import type { Kysely } from "kysely";

/**
 * The initial schema, portable across SQLite and PostgreSQL: text ids (time-ordered, see lib/id.ts),
 * ISO-8601 text timestamps, integers for booleans (0/1), JSON stored as text. Repositories map rows.
 */
export async function up(db: Kysely<any>): Promise<void> {
  // Every actor Herold knows, local or remote: follows, interactions and posts refer to one table.
  await db.schema
    .createTable("actors")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("uri", "text", (c) => c.notNull().unique())
    .addColumn("is_local", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("type", "text", (c) => c.notNull())
    .addColumn("username", "text", (c) => c.notNull())
    .addColumn("domain", "text", (c) => c.notNull())
    .addColumn("name", "text")
    .addColumn("summary_html", "text")
    .addColumn("url", "text")
    .addColumn("inbox_url", "text")
    .addColumn("shared_inbox_url", "text")
    .addColumn("outbox_url", "text")
    .addColumn("followers_url", "text")
    .addColumn("following_url", "text")
    .addColumn("featured_url", "text")
    .addColumn("public_key_id", "text")
    .addColumn("public_key_pem", "text")
    .addColumn("icon_url", "text")
    .addColumn("image_url", "text")
    .addColumn("fields_json", "text", (c) => c.notNull().defaultTo("[]"))
    .addColumn("also_known_as_json", "text", (c) => c.notNull().defaultTo("[]"))
    .addColumn("moved_to_uri", "text")
    .addColumn("manually_approves_followers", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("discoverable", "integer", (c) => c.notNull().defaultTo(1))
    .addColumn("emojis_json", "text", (c) => c.notNull().defaultTo("[]"))
    .addColumn("published_at", "text")
    .addColumn("raw_json", "text")
    .addColumn("fetched_at", "text")
    .addColumn("gone_at", "text")
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("updated_at", "text", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("actors_username_domain").on("actors").columns(["username", "domain"]).execute();
  await db.schema.createIndex("actors_domain").on("actors").column("domain").execute();

  // Local accounts: the secrets and settings behind a local actor. Private keys live only here.
  await db.schema
    .createTable("accounts")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("actor_id", "text", (c) => c.notNull().unique().references("actors.id"))
    .addColumn("username", "text", (c) => c.notNull().unique())
    .addColumn("rsa_public_pem", "text", (c) => c.notNull())
    .addColumn("rsa_private_pem", "text", (c) => c.notNull())
    .addColumn("ed25519_public_pem", "text", (c) => c.notNull())
    .addColumn("ed25519_private_pem", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("updated_at", "text", (c) => c.notNull())
    .execute();

  // Posts, local and remote. Boosts seen in timelines are rows of type Announce with boost_of_id.
  await db.schema
    .createTable("posts")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("uri", "text", (c) => c.notNull().unique())
    .addColumn("actor_id", "text", (c) => c.notNull().references("actors.id"))
    .addColumn("is_local", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("type", "text", (c) => c.notNull())
    .addColumn("state", "text", (c) => c.notNull()) // draft | scheduled | published | deleted
    .addColumn("visibility", "text", (c) => c.notNull()) // public | unlisted | followers | direct
    .addColumn("source_text", "text")
    .addColumn("content_html", "text")
    .addColumn("summary", "text") // content warning
    .addColumn("name", "text") // title of Article/Page/Event, poll vote option
    .addColumn("sensitive", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("language", "text")
    .addColumn("url", "text")
    .addColumn("in_reply_to_uri", "text")
    .addColumn("in_reply_to_id", "text")
    .addColumn("quote_uri", "text")
    .addColumn("quote_id", "text")
    .addColumn("boost_of_id", "text")
    .addColumn("conversation_uri", "text")
    .addColumn("to_json", "text", (c) => c.notNull().defaultTo("[]"))
    .addColumn("cc_json", "text", (c) => c.notNull().defaultTo("[]"))
    .addColumn("emojis_json", "text", (c) => c.notNull().defaultTo("[]"))
    .addColumn("poll_json", "text")
    .addColumn("card_json", "text")
    .addColumn("raw_json", "text")
    .addColumn("published_at", "text")
    .addColumn("edited_at", "text")
    .addColumn("scheduled_at", "text")
    .addColumn("deleted_at", "text")
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("updated_at", "text", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("posts_actor_published").on("posts").columns(["actor_id", "published_at"]).execute();
  await db.schema.createIndex("posts_in_reply_to").on("posts").column("in_reply_to_uri").execute();
  await db.schema.createIndex("posts_quote").on("posts").column("quote_uri").execute();
  await db.schema.createIndex("posts_state_scheduled").on("posts").columns(["state", "scheduled_at"]).execute();

  // Previous versions of edited posts, newest edit last.
  await db.schema
    .createTable("post_edits")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("post_id", "text", (c) => c.notNull().references("posts.id").onDelete("cascade"))
    .addColumn("content_html", "text")
    .addColumn("source_text", "text")
    .addColumn("summary", "text")
    .addColumn("name", "text")
    .addColumn("edited_at", "text", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("post_edits_post").on("post_edits").column("post_id").execute();

  await db.schema
    .createTable("post_mentions")
    .addColumn("post_id", "text", (c) => c.notNull().references("posts.id").onDelete("cascade"))
    .addColumn("actor_uri", "text", (c) => c.notNull())
    .addColumn("handle", "text")
    .addPrimaryKeyConstraint("post_mentions_pk", ["post_id", "actor_uri"])
    .execute();
  await db.schema.createIndex("post_mentions_actor").on("post_mentions").column("actor_uri").execute();

  await db.schema
    .createTable("post_tags")
    .addColumn("post_id", "text", (c) => c.notNull().references("posts.id").onDelete("cascade"))
    .addColumn("tag", "text", (c) => c.notNull()) // lower case, without '#'
    .addPrimaryKeyConstraint("post_tags_pk", ["post_id", "tag"])
    .execute();
  await db.schema.createIndex("post_tags_tag").on("post_tags").column("tag").execute();

  await db.schema
    .createTable("media")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("actor_id", "text", (c) => c.notNull().references("actors.id"))
    .addColumn("post_id", "text", (c) => c.references("posts.id").onDelete("set null"))
    .addColumn("position", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("kind", "text", (c) => c.notNull()) // image | video | audio | document
    .addColumn("mime_type", "text")
    .addColumn("remote_url", "text")
    .addColumn("file_path", "text") // relative to the data directory; never derived from remote names
    .addColumn("width", "integer")
    .addColumn("height", "integer")
    .addColumn("size_bytes", "integer")
    .addColumn("blurhash", "text")
    .addColumn("description", "text") // alt text
    .addColumn("created_at", "text", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("media_post").on("media").column("post_id").execute();

  // Follows in both directions: a local actor following a remote one and the other way round.
  await db.schema
    .createTable("follows")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("follower_id", "text", (c) => c.notNull().references("actors.id").onDelete("cascade"))
    .addColumn("followee_id", "text", (c) => c.notNull().references("actors.id").onDelete("cascade"))
    .addColumn("state", "text", (c) => c.notNull()) // pending | accepted
    .addColumn("uri", "text") // id of the Follow activity
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("accepted_at", "text")
    .addColumn("updated_at", "text", (c) => c.notNull())
    .addUniqueConstraint("follows_pair", ["follower_id", "followee_id"])
    .execute();
  await db.schema.createIndex("follows_followee_state").on("follows").columns(["followee_id", "state"]).execute();
  await db.schema.createIndex("follows_uri").on("follows").column("uri").execute();

  // The interaction ledger: who liked, boosted, replied to, quoted, reacted to which post, and when.
  // An undo sets undone_at; nothing is erased, so analytics can count gross and net figures per day.
  await db.schema
    .createTable("interactions")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("kind", "text", (c) => c.notNull()) // like | boost | reply | quote | react | mention | vote
    .addColumn("post_id", "text", (c) => c.notNull().references("posts.id").onDelete("cascade"))
    .addColumn("actor_id", "text", (c) => c.notNull().references("actors.id").onDelete("cascade"))
    .addColumn("activity_uri", "text", (c) => c.notNull().unique())
    .addColumn("object_uri", "text") // the reply or quote post, when there is one
    .addColumn("content", "text") // emoji of a reaction
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("undone_at", "text")
    .execute();
  await db.schema.createIndex("interactions_post").on("interactions").columns(["post_id", "kind"]).execute();
  await db.schema.createIndex("interactions_actor").on("interactions").columns(["actor_id", "kind"]).execute();

  await db.schema
    .createTable("notifications")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("actor_id", "text", (c) => c.notNull().references("actors.id").onDelete("cascade")) // recipient (local)
    .addColumn("kind", "text", (c) => c.notNull()) // follow | follow_request | like | boost | reply | quote | mention | react | move
    .addColumn("from_actor_id", "text", (c) => c.notNull().references("actors.id").onDelete("cascade"))
    .addColumn("post_id", "text", (c) => c.references("posts.id").onDelete("cascade"))
    .addColumn("interaction_id", "text")
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("read_at", "text")
    .execute();
  await db.schema.createIndex("notifications_actor").on("notifications").columns(["actor_id", "id"]).execute();

  await db.schema
    .createTable("blocks")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("actor_id", "text", (c) => c.notNull().references("actors.id").onDelete("cascade"))
    .addColumn("target_id", "text", (c) => c.notNull().references("actors.id").onDelete("cascade"))
    .addColumn("uri", "text")
    .addColumn("created_at", "text", (c) => c.notNull())
    .addUniqueConstraint("blocks_pair", ["actor_id", "target_id"])
    .execute();

  await db.schema
    .createTable("domain_blocks")
    .addColumn("domain", "text", (c) => c.primaryKey())
    .addColumn("reason", "text")
    .addColumn("created_at", "text", (c) => c.notNull())
    .execute();

  // Flag activities, kept as reports for moderators.
  await db.schema
    .createTable("reports")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("uri", "text", (c) => c.notNull().unique())
    .addColumn("reporter_id", "text", (c) => c.notNull().references("actors.id").onDelete("cascade"))
    .addColumn("target_actor_id", "text")
    .addColumn("object_uris_json", "text", (c) => c.notNull().defaultTo("[]"))
    .addColumn("content", "text")
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("resolved_at", "text")
    .execute();

  // Featured (pinned) posts of any actor.
  await db.schema
    .createTable("featured")
    .addColumn("actor_id", "text", (c) => c.notNull().references("actors.id").onDelete("cascade"))
    .addColumn("post_uri", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("featured_pk", ["actor_id", "post_uri"])
    .execute();

  // Activities Herold sent, serialised once: deliveries refer to them, and their ids dereference.
  await db.schema
    .createTable("outbox_activities")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("uri", "text", (c) => c.notNull().unique())
    .addColumn("actor_id", "text", (c) => c.notNull().references("actors.id").onDelete("cascade"))
    .addColumn("type", "text", (c) => c.notNull())
    .addColumn("object_uri", "text")
    .addColumn("visibility", "text", (c) => c.notNull())
    .addColumn("json", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("outbox_activities_actor").on("outbox_activities").columns(["actor_id", "id"]).execute();

  // Idempotency: ids of inbound activities already accepted (dedupes repeats and multi-inbox delivery).
  await db.schema
    .createTable("inbox_seen")
    .addColumn("uri", "text", (c) => c.primaryKey())
    .addColumn("received_at", "text", (c) => c.notNull())
    .execute();

  // The durable job queue: deliveries, inbound processing, scheduled posts, refreshes.
  await db.schema
    .createTable("jobs")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("queue", "text", (c) => c.notNull())
    .addColumn("payload", "text", (c) => c.notNull())
    .addColumn("run_at", "text", (c) => c.notNull())
    .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("locked_until", "text")
    .addColumn("locked_by", "text")
    .addColumn("last_error", "text")
    .addColumn("dedupe_key", "text", (c) => c.unique())
    .addColumn("created_at", "text", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("jobs_queue_run_at").on("jobs").columns(["queue", "run_at"]).execute();

  // What Herold knows about each remote server: delivery health and which signature spec works.
  await db.schema
    .createTable("hosts")
    .addColumn("domain", "text", (c) => c.primaryKey())
    .addColumn("software", "text")
    .addColumn("signature_spec", "text") // draft-cavage-http-signatures-12 | rfc9421
    .addColumn("failure_days_json", "text", (c) => c.notNull().defaultTo("[]"))
    .addColumn("unavailable_since", "text")
    .addColumn("last_success_at", "text")
    .addColumn("last_failure_at", "text")
    .addColumn("updated_at", "text", (c) => c.notNull())
    .execute();

  // Key-value store with expiry (Fedify's KvStore and small caches shared between processes).
  await db.schema
    .createTable("kv")
    .addColumn("key", "text", (c) => c.primaryKey())
    .addColumn("value", "text", (c) => c.notNull())
    .addColumn("expires_at", "text")
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of [
    "kv", "hosts", "jobs", "inbox_seen", "outbox_activities", "featured", "reports", "domain_blocks", "blocks",
    "notifications", "interactions", "follows", "media", "post_tags", "post_mentions", "post_edits", "posts", "accounts", "actors",
  ]) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
