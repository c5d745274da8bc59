import { sql, type Kysely } from "kysely";
import type { DB } from "../db/schema.ts";
import { blockedTargetsOf } from "../social/block.repository.ts";
import { postFromRow, type Post } from "./post.entity.ts";
import { visibleTo } from "./post.repository.ts";

/**
 * "Needs a reply" on the app's home (issue #12, item 11), defined precisely: a published remote post
 * (not a boost) that replies to one of the account's posts or mentions the account, that the account
 * may see (the one visibility rule, `visibleTo`), whose author it does not block, published since
 * `since`, and that the account has not answered: no published post of the account replies to it.
 * A scheduled or drafted answer does not count (it has not been sent); an answer deleted later does
 * not count either (the person no longer sees one under the post).
 */
export class UnansweredRepository {
  readonly #db: Kysely<DB>;

  constructor(db: Kysely<DB>) {
    this.#db = db;
  }

  /** Newest first, at most `limit`, in one statement. */
  async list(viewer: { readonly id: string; readonly uri: string }, options: { readonly since: string; readonly limit: number }): Promise<Post[]> {
    const rows = await this.#db
      .selectFrom("posts as p")
      .selectAll("p")
      .where("p.is_local", "=", 0)
      .where("p.state", "=", "published")
      .where("p.boost_of_id", "is", null)
      .where("p.published_at", ">=", options.since)
      // Driven by the two small sets (replies to the account's posts by the in_reply_to_uri index,
      // mentions of it by the post_mentions actor index), not by every remote post of the period.
      .where((eb) =>
        eb(
          "p.id",
          "in",
          eb
            .selectFrom("posts as r")
            .select("r.id")
            .where("r.in_reply_to_uri", "in", eb.selectFrom("posts as mine").select("mine.uri").where("mine.actor_id", "=", viewer.id))
            .union(eb.selectFrom("post_mentions as um").select("um.post_id as id").where("um.actor_uri", "=", viewer.uri)),
        ),
      )
      .where((eb) => visibleTo(eb, viewer))
      .where((eb) => eb("p.actor_id", "not in", blockedTargetsOf(eb, viewer.id)))
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom("posts as answer")
              .select("answer.id")
              .whereRef("answer.in_reply_to_uri", "=", "p.uri")
              // By the replies to this post (posts_in_reply_to_id), not by all of the account's posts.
              .where(sql<string>`coalesce(answer.actor_id, '')`, "=", viewer.id)
              .where("answer.state", "=", "published"),
          ),
        ),
      )
      .orderBy("p.published_at", "desc")
      .orderBy("p.id", "desc")
      .limit(options.limit)
      .execute();
    return rows.map(postFromRow);
  }
}
