import type { Kysely } from "kysely";
import type { DB } from "../db/schema.ts";
import type { Actor } from "../actor/actor.entity.ts";
import type { Post } from "../post/post.entity.ts";

/**
 * Who may interact with a post: anyone for public and unlisted posts, accepted followers and mentioned
 * actors for followers-only posts, mentioned actors for direct ones. A like of a post the actor cannot
 * see is a probe or a forgery, not an interaction worth counting (hostile-inputs case 19).
 */
export class PostAudience {
  readonly #db: Kysely<DB>;

  constructor(db: Kysely<DB>) {
    this.#db = db;
  }

  async canSee(post: Post, actor: Actor): Promise<boolean> {
    if (post.actorId === actor.id) return true;
    if (post.visibility === "public" || post.visibility === "unlisted") return true;
    if (await this.#mentioned(post.id, actor.uri)) return true;
    if (post.visibility !== "followers") return false;
    const follow = await this.#db
      .selectFrom("follows")
      .select("id")
      .where("follower_id", "=", actor.id)
      .where("followee_id", "=", post.actorId)
      .where("state", "=", "accepted")
      .executeTakeFirst();
    return follow !== undefined;
  }

  async #mentioned(postId: string, actorUri: string): Promise<boolean> {
    const row = await this.#db.selectFrom("post_mentions").select("post_id").where("post_id", "=", postId).where("actor_uri", "=", actorUri).executeTakeFirst();
    return row !== undefined;
  }
}
