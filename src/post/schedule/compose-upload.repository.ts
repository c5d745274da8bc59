import type { Kysely } from "kysely";
import type { DB } from "../../db/schema.ts";

/** Whose an upload is: one person acting for one account. */
export interface UploadOwner {
  readonly accountId: string;
  readonly userId: string;
}

/**
 * Images uploaded with a refused submit or a preview (migration 0019), held for the person until a
 * later submit adopts them into a draft. `take` is one conditional DELETE, so an id is adopted by
 * exactly one submit, and only by its owner.
 */
export class ComposeUploadRepository {
  readonly #db: Kysely<DB>;

  constructor(db: Kysely<DB>) {
    this.#db = db;
  }

  async add(owner: UploadOwner, mediaIds: readonly string[], now: string): Promise<void> {
    if (mediaIds.length === 0) return;
    await this.#db
      .insertInto("compose_uploads")
      .values(mediaIds.map((id) => ({ media_id: id, account_id: owner.accountId, user_id: owner.userId, created_at: now })))
      .execute();
  }

  /** Which of `mediaIds` are held for `owner` (others' and unknown ids are left out), in the order given. */
  async held(owner: UploadOwner, mediaIds: readonly string[]): Promise<string[]> {
    if (mediaIds.length === 0) return [];
    const rows = await this.#db
      .selectFrom("compose_uploads")
      .select("media_id")
      .where("media_id", "in", [...mediaIds])
      .where("account_id", "=", owner.accountId)
      .where("user_id", "=", owner.userId)
      .execute();
    const found = new Set(rows.map((r) => r.media_id));
    return mediaIds.filter((id) => found.has(id));
  }

  /** Removes and returns those of `mediaIds` held for `owner`: they now belong to whoever took them. */
  async take(owner: UploadOwner, mediaIds: readonly string[]): Promise<string[]> {
    if (mediaIds.length === 0) return [];
    const rows = await this.#db
      .deleteFrom("compose_uploads")
      .where("media_id", "in", [...mediaIds])
      .where("account_id", "=", owner.accountId)
      .where("user_id", "=", owner.userId)
      .returning("media_id")
      .execute();
    const taken = new Set(rows.map((r) => r.media_id));
    return mediaIds.filter((id) => taken.has(id));
  }

  /** Removes and returns every upload held since before `before` (abandoned compose pages). */
  async takeOlderThan(before: string): Promise<string[]> {
    const rows = await this.#db.deleteFrom("compose_uploads").where("created_at", "<", before).returning("media_id").execute();
    return rows.map((r) => r.media_id);
  }
}
