import type { Kysely } from "kysely";
import type { Selectable } from "kysely";
import type { DB, MediaRow } from "../db/schema.ts";
import { postFromRow, type Post, type Visibility } from "./post.entity.ts";

/** A page of items and the cursor (exclusive upper bound, an id) of the next older page. */
export interface Page<T> {
  readonly items: readonly T[];
  readonly next: string | null;
}

export class PostRepository {
  readonly #db: Kysely<DB>;

  constructor(db: Kysely<DB>) {
    this.#db = db;
  }

  async findById(id: string): Promise<Post | null> {
    const row = await this.#db.selectFrom("posts").selectAll().where("id", "=", id).executeTakeFirst();
    return row ? postFromRow(row) : null;
  }

  async findByUri(uri: string): Promise<Post | null> {
    const row = await this.#db.selectFrom("posts").selectAll().where("uri", "=", uri).executeTakeFirst();
    return row ? postFromRow(row) : null;
  }

  /**
   * Published posts of an actor with one of the given visibilities, newest first, paged by id
   * (ids are time-ordered, so the cursor is stable while new posts arrive).
   */
  async listByActor(actorId: string, options: { visibilities: readonly Visibility[]; before?: string | null; limit: number; includeReplies?: boolean }): Promise<Page<Post>> {
    let query = this.#db
      .selectFrom("posts")
      .selectAll()
      .where("actor_id", "=", actorId)
      .where("state", "=", "published")
      .where("visibility", "in", [...options.visibilities])
      .where("boost_of_id", "is", null);
    if (options.includeReplies === false) query = query.where("in_reply_to_uri", "is", null);
    if (options.before) query = query.where("id", "<", options.before);
    const rows = await query.orderBy("id", "desc").limit(options.limit + 1).execute();
    const items = rows.slice(0, options.limit).map(postFromRow);
    return { items, next: rows.length > options.limit ? (items.at(-1)?.id ?? null) : null };
  }

  async countLocalPublished(): Promise<number> {
    const row = await this.#db
      .selectFrom("posts")
      .select((eb) => eb.fn.countAll().as("n"))
      .where("is_local", "=", 1)
      .where("state", "=", "published")
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  async countByActor(actorId: string, visibilities: readonly Visibility[]): Promise<number> {
    const row = await this.#db
      .selectFrom("posts")
      .select((eb) => eb.fn.countAll().as("n"))
      .where("actor_id", "=", actorId)
      .where("state", "=", "published")
      .where("visibility", "in", [...visibilities])
      .where("boost_of_id", "is", null)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  async mediaOf(postIds: readonly string[]): Promise<Map<string, Selectable<MediaRow>[]>> {
    const out = new Map<string, Selectable<MediaRow>[]>();
    if (postIds.length === 0) return out;
    const rows = await this.#db.selectFrom("media").selectAll().where("post_id", "in", [...postIds]).orderBy("position").execute();
    for (const row of rows) {
      const list = out.get(row.post_id!) ?? [];
      list.push(row);
      out.set(row.post_id!, list);
    }
    return out;
  }
}
