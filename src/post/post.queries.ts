import type { ExpressionBuilder, Kysely } from "kysely";
import type { DB } from "../db/schema.ts";

/**
 * The posts module's SQL ports for insights: posts stays this module's table, and insights' writes
 * and reports stay single statements (see ARCHITECTURE.md, "a table is read and written only by the
 * module that owns it").
 */

/** Local posts (not boosts) with their author and publication time, as a derived table (`id`, `actor_id`, `published_at`). */
// `source` is any query context over Herold's schema; an expression builder with aliases is wider than `DB`.
export function localPostAuthors(source: Kysely<DB> | ExpressionBuilder<any, any>) {
  return (source as Kysely<DB>)
    .selectFrom("posts")
    .select((eb) => ["posts.id", "posts.actor_id", eb.fn.coalesce("posts.published_at", "posts.created_at").as("published_at")])
    .where("posts.is_local", "=", 1)
    .where("posts.boost_of_id", "is", null);
}

/** The hashtags of these posts, as a derived table (`post_id`, `tag`). */
export function tagsOfPosts(source: Kysely<DB> | ExpressionBuilder<any, any>, postIds: readonly string[]) {
  return (source as Kysely<DB>).selectFrom("post_tags").select(["post_tags.post_id", "post_tags.tag"]).where("post_tags.post_id", "in", [...postIds]);
}

export interface PostSummary {
  readonly id: string;
  readonly uri: string;
  readonly publishedAt: string;
  readonly text: string;
}

/**
 * What insights shows of an account's own posts (read-only; the report lists posts, not their
 * content, so a short plain text is enough). Deleted posts and boosts are not listed.
 */
export class PostSummaries {
  readonly #db: Kysely<DB>;

  constructor(db: Kysely<DB>) {
    this.#db = db;
  }

  /** The actor's published posts with `from <= published_at < to`, newest first. */
  async publishedBetween(actorId: string, from: string, to: string, limit: number): Promise<PostSummary[]> {
    const rows = await this.#summaries()
      .where("actor_id", "=", actorId)
      .where("published_at", ">=", from)
      .where("published_at", "<", to)
      .orderBy("published_at", "desc")
      .orderBy("id", "desc")
      .limit(limit)
      .execute();
    return rows.map(summaryOf);
  }

  /** These posts, if they are published posts of the actor (for top lists and a post's page). */
  async byIds(actorId: string, ids: readonly string[]): Promise<Map<string, PostSummary>> {
    if (ids.length === 0) return new Map();
    // By primary key alone, the other conditions checked on the rows: with them in the WHERE clause
    // SQLite drove the query from the `boost_of_id IS NULL` index (every post that is not a boost).
    const rows = await this.#db
      .selectFrom("posts")
      .select(["id", "uri", "published_at", "source_text", "content_html", "actor_id", "state", "boost_of_id"])
      .where("id", "in", [...ids])
      .execute();
    return new Map(rows.filter((r) => r.actor_id === actorId && r.state === "published" && r.boost_of_id === null && r.published_at !== null).map((r) => [r.id, summaryOf(r)]));
  }

  /** The post of this id or URI, whoever wrote it (`herold stats --post`). */
  async findByUriOrId(ref: string): Promise<{ id: string; actorId: string } | null> {
    const row = await this.#db
      .selectFrom("posts")
      .select(["id", "actor_id"])
      .where((eb) => eb.or([eb("uri", "=", ref), eb("url", "=", ref), eb("id", "=", ref)]))
      .where("boost_of_id", "is", null)
      .executeTakeFirst();
    return row === undefined ? null : { id: row.id, actorId: row.actor_id };
  }

  #summaries() {
    return this.#db
      .selectFrom("posts")
      .select(["id", "uri", "published_at", "source_text", "content_html"])
      .where("state", "=", "published")
      .where("boost_of_id", "is", null)
      .where("published_at", "is not", null);
  }
}

function summaryOf(row: { id: string; uri: string; published_at: string | null; source_text: string | null; content_html: string | null }): PostSummary {
  const text = row.source_text ?? (row.content_html ?? "").replace(/<[^>]*>/g, " ");
  return { id: row.id, uri: row.uri, publishedAt: row.published_at ?? "", text: text.replace(/\s+/g, " ").trim() };
}
