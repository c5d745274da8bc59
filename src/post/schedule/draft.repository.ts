import type { Kysely, Updateable } from "kysely";
import type { DB, DraftRow } from "../../db/schema.ts";
import { draftFromRow, type Draft, type DraftMedia, type DraftState } from "./draft.entity.ts";

export interface DraftContent {
  readonly text: string;
  readonly contentWarning: string | null;
  readonly visibility: string;
  readonly language: string | null;
  readonly replyTo: string | null;
  readonly quote: string | null;
  readonly media: readonly DraftMedia[];
}

/**
 * Drafts and scheduled posts. State changes that decide who publishes are single conditional
 * UPDATEs (`claim`), so two workers, a worker and a person pressing "publish", or a job that outlived
 * a reschedule can never both win.
 */
export class DraftRepository {
  readonly #db: Kysely<DB>;

  constructor(db: Kysely<DB>) {
    this.#db = db;
  }

  async insert(input: { id: string; accountId: string; userId: string | null; content: DraftContent }, now: string): Promise<Draft> {
    const row = await this.#db
      .insertInto("drafts")
      .values({
        id: input.id,
        account_id: input.accountId,
        user_id: input.userId,
        state: "draft",
        ...contentColumns(input.content),
        created_at: now,
        updated_at: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return draftFromRow(row);
  }

  /** A draft of `accountId` (every lookup by id is scoped to the account: no IDOR). */
  async find(accountId: string, id: string): Promise<Draft | null> {
    const row = await this.#db.selectFrom("drafts").selectAll().where("id", "=", id).where("account_id", "=", accountId).executeTakeFirst();
    return row ? draftFromRow(row) : null;
  }

  /** For the worker, which acts for whichever account the job names. */
  async findAny(id: string): Promise<Draft | null> {
    const row = await this.#db.selectFrom("drafts").selectAll().where("id", "=", id).executeTakeFirst();
    return row ? draftFromRow(row) : null;
  }

  /** Replaces the content while the draft is in one of `states`; false when it was not (published meanwhile). */
  async updateContent(accountId: string, id: string, content: DraftContent, states: readonly DraftState[], now: string): Promise<boolean> {
    const result = await this.#db
      .updateTable("drafts")
      .set({ ...contentColumns(content), error: null, updated_at: now })
      .where("id", "=", id)
      .where("account_id", "=", accountId)
      .where("state", "in", [...states])
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** draft|scheduled|failed → scheduled at `at`, atomically with enqueueing its job (`executor`). */
  async setSchedule(accountId: string, id: string, at: string, timeZone: string, now: string, executor: Kysely<DB> = this.#db): Promise<boolean> {
    const result = await executor
      .updateTable("drafts")
      .set({ state: "scheduled", scheduled_at: at, time_zone: timeZone, error: null, updated_at: now })
      .where("id", "=", id)
      .where("account_id", "=", accountId)
      .where("state", "in", ["draft", "scheduled", "failed"])
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** scheduled → draft (cancel). */
  async unschedule(accountId: string, id: string, now: string): Promise<boolean> {
    const result = await this.#db
      .updateTable("drafts")
      .set({ state: "draft", scheduled_at: null, updated_at: now })
      .where("id", "=", id)
      .where("account_id", "=", accountId)
      .where("state", "=", "scheduled")
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /**
   * Takes the right to publish: `from` states → publishing. With `scheduledAt`, only while the draft
   * is still scheduled for exactly that time (a job left over from a reschedule finds nothing).
   */
  async claim(id: string, from: readonly DraftState[], scheduledAt: string | null, now: string): Promise<boolean> {
    let query = this.#db
      .updateTable("drafts")
      .set({ state: "publishing", claimed_at: now, updated_at: now })
      .where("id", "=", id)
      .where("state", "in", [...from]);
    if (scheduledAt !== null) query = query.where("scheduled_at", "=", scheduledAt);
    const result = await query.executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async finish(id: string, outcome: { postId: string } | { error: string }, now: string): Promise<void> {
    const set: Updateable<DraftRow> =
      "postId" in outcome
        ? { state: "published", post_id: outcome.postId, error: null, media_json: "[]", updated_at: now }
        : { state: "failed", error: outcome.error.slice(0, 1000), updated_at: now };
    await this.#db.updateTable("drafts").set(set).where("id", "=", id).where("state", "=", "publishing").execute();
  }

  /** Hands a claim back (an unexpected error while publishing): it may be tried again. */
  async release(id: string, to: DraftState, now: string): Promise<void> {
    await this.#db.updateTable("drafts").set({ state: to, updated_at: now }).where("id", "=", id).where("state", "=", "publishing").execute();
  }

  async delete(accountId: string, id: string): Promise<Draft | null> {
    const row = await this.#db
      .deleteFrom("drafts")
      .where("id", "=", id)
      .where("account_id", "=", accountId)
      .where("state", "in", ["draft", "scheduled", "failed", "published"])
      .returningAll()
      .executeTakeFirst();
    return row ? draftFromRow(row) : null;
  }

  async list(accountId: string, states: readonly DraftState[], limit = 200): Promise<Draft[]> {
    const rows = await this.#db
      .selectFrom("drafts")
      .selectAll()
      .where("account_id", "=", accountId)
      .where("state", "in", [...states])
      .orderBy("scheduled_at")
      .orderBy("id", "desc")
      .limit(limit)
      .execute();
    return rows.map(draftFromRow);
  }

  /** Scheduled drafts of an account between two instants (calendar). */
  async scheduledBetween(accountId: string, from: string, to: string): Promise<Draft[]> {
    const rows = await this.#db
      .selectFrom("drafts")
      .selectAll()
      .where("account_id", "=", accountId)
      .where("state", "in", ["scheduled", "publishing"])
      .where("scheduled_at", ">=", from)
      .where("scheduled_at", "<", to)
      .orderBy("scheduled_at")
      .execute();
    return rows.map(draftFromRow);
  }

  /**
   * After a crash between publishing and `finish`: the post this draft became, if it exists (same
   * author and text, created after the claim).
   */
  async findPublishedFrom(draft: Draft, actorId: string): Promise<string | null> {
    if (draft.claimedAt === null) return null;
    const row = await this.#db
      .selectFrom("posts")
      .select("id")
      .where("actor_id", "=", actorId)
      .where("is_local", "=", 1)
      .where("boost_of_id", "is", null)
      .where("source_text", "=", draft.text)
      .where("created_at", ">=", draft.claimedAt)
      .orderBy("id")
      .executeTakeFirst();
    return row?.id ?? null;
  }
}

function contentColumns(content: DraftContent) {
  return {
    text: content.text,
    content_warning: content.contentWarning,
    visibility: content.visibility,
    language: content.language,
    reply_to: content.replyTo,
    quote: content.quote,
    media_json: JSON.stringify(content.media),
  };
}
