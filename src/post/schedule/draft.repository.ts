import type { Kysely, Updateable } from "kysely";
import type { DB, DraftRow } from "../../db/schema.ts";
import { newId } from "../../lib/id.ts";
import {
  draftChangeFromRow,
  draftFromRow,
  type Draft,
  type DraftChange,
  type DraftChangeKind,
  type DraftContentSnapshot,
  type DraftState,
} from "./draft.entity.ts";

export type DraftContent = DraftContentSnapshot;

/**
 * Which drafts a change may touch, checked in the conditional UPDATE or DELETE itself: a draft that
 * was scheduled (or changed) between reading it and writing is not touched.
 */
export interface DraftGuard {
  readonly states: readonly DraftState[];
  /** Only a draft this person wrote (an author's own drafts); absent: anyone's. */
  readonly writtenBy?: string;
  /** Only while the content is still this revision (what the person saw); absent: any. */
  readonly revision?: number;
}

/** The person making a change; null: the scheduler (worker) or the command line. */
export type ChangedBy = string | null;

/**
 * Drafts and scheduled posts. State changes that decide who publishes are single conditional
 * UPDATEs (`claim`), so two workers, a worker and a person pressing "publish", or a job that outlived
 * a reschedule can never both win. Every change a person makes is written together with its entry
 * in `draft_changes` (who, when, what), in one transaction.
 */
export class DraftRepository {
  readonly #db: Kysely<DB>;

  constructor(db: Kysely<DB>) {
    this.#db = db;
  }

  async insert(input: { id: string; accountId: string; userId: string | null; content: DraftContent }, now: string): Promise<Draft> {
    return await this.#db.transaction().execute(async (trx) => {
      const row = await trx
        .insertInto("drafts")
        .values({
          id: input.id,
          account_id: input.accountId,
          user_id: input.userId,
          updated_by: input.userId,
          revision: 1,
          state: "draft",
          ...contentColumns(input.content),
          created_at: now,
          updated_at: now,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await record(trx, { draftId: row.id, accountId: row.account_id, userId: input.userId, kind: "created", revision: row.revision, content: input.content }, now);
      return draftFromRow(row);
    });
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

  /** The history of a draft of `accountId`, oldest first. */
  async changes(accountId: string, draftId: string): Promise<DraftChange[]> {
    const rows = await this.#db.selectFrom("draft_changes").selectAll().where("draft_id", "=", draftId).where("account_id", "=", accountId).orderBy("id").execute();
    return rows.map(draftChangeFromRow);
  }

  /** Replaces the content while `guard` holds; false when it did not (published, scheduled or changed meanwhile). */
  async updateContent(accountId: string, id: string, content: DraftContent, guard: DraftGuard, by: ChangedBy, now: string): Promise<boolean> {
    return await this.#db.transaction().execute(async (trx) => {
      const row = await guarded(
        trx
          .updateTable("drafts")
          .set((eb) => ({ ...contentColumns(content), error: null, updated_at: now, updated_by: by, revision: eb("revision", "+", 1) }))
          .where("id", "=", id)
          .where("account_id", "=", accountId),
        guard,
      )
        .returning(["revision"])
        .executeTakeFirst();
      if (row === undefined) return false;
      await record(trx, { draftId: id, accountId, userId: by, kind: "edited", revision: row.revision, content }, now);
      return true;
    });
  }

  /** draft|scheduled|failed (narrowed by `guard`) → scheduled at `at`, atomically with enqueueing its job (`executor`). */
  async setSchedule(accountId: string, id: string, at: string, timeZone: string, guard: Pick<DraftGuard, "revision">, by: ChangedBy, now: string, executor: Kysely<DB> = this.#db): Promise<boolean> {
    const row = await guarded(
      executor
        .updateTable("drafts")
        .set({ state: "scheduled", scheduled_at: at, time_zone: timeZone, error: null, updated_at: now, updated_by: by })
        .where("id", "=", id)
        .where("account_id", "=", accountId),
      { states: ["draft", "scheduled", "failed"], ...guard },
    )
      .returning(["revision"])
      .executeTakeFirst();
    if (row === undefined) return false;
    await record(executor, { draftId: id, accountId, userId: by, kind: "scheduled", revision: row.revision, scheduledAt: at }, now);
    return true;
  }

  /** scheduled → draft (cancel). */
  async unschedule(accountId: string, id: string, by: ChangedBy, now: string): Promise<boolean> {
    return await this.#db.transaction().execute(async (trx) => {
      const row = await trx
        .updateTable("drafts")
        .set({ state: "draft", scheduled_at: null, updated_at: now, updated_by: by })
        .where("id", "=", id)
        .where("account_id", "=", accountId)
        .where("state", "=", "scheduled")
        .returning(["revision"])
        .executeTakeFirst();
      if (row === undefined) return false;
      await record(trx, { draftId: id, accountId, userId: by, kind: "cancelled", revision: row.revision }, now);
      return true;
    });
  }

  /**
   * Takes the right to publish: `from` states → publishing. With `scheduledAt`, only while the draft
   * is still scheduled for exactly that time (a job left over from a reschedule finds nothing); with
   * `revision`, only while the content is the one the person publishing saw.
   */
  async claim(id: string, from: readonly DraftState[], scheduledAt: string | null, now: string, revision?: number): Promise<boolean> {
    let query = this.#db
      .updateTable("drafts")
      .set({ state: "publishing", claimed_at: now, updated_at: now })
      .where("id", "=", id)
      .where("state", "in", [...from]);
    if (scheduledAt !== null) query = query.where("scheduled_at", "=", scheduledAt);
    if (revision !== undefined) query = query.where("revision", "=", revision);
    const result = await query.executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** publishing → published or failed, recorded as done by `by` (the person who pressed "publish", or null: the scheduler). */
  async finish(id: string, outcome: { postId: string } | { error: string }, by: ChangedBy, now: string): Promise<void> {
    const set: Updateable<DraftRow> =
      "postId" in outcome
        ? { state: "published", post_id: outcome.postId, error: null, media_json: "[]", updated_at: now }
        : { state: "failed", error: outcome.error.slice(0, 1000), updated_at: now };
    await this.#db.transaction().execute(async (trx) => {
      const row = await trx.updateTable("drafts").set(set).where("id", "=", id).where("state", "=", "publishing").returning(["account_id", "revision"]).executeTakeFirst();
      if (row !== undefined) await record(trx, { draftId: id, accountId: row.account_id, userId: by, kind: "postId" in outcome ? "published" : "failed", revision: row.revision }, now);
    });
  }

  /** Hands a claim back (an unexpected error while publishing): it may be tried again. */
  async release(id: string, to: DraftState, now: string): Promise<void> {
    await this.#db.updateTable("drafts").set({ state: to, updated_at: now }).where("id", "=", id).where("state", "=", "publishing").execute();
  }

  /** Deletes a draft while `guard` holds (never while it is being published); its history stays. */
  async delete(accountId: string, id: string, guard: DraftGuard, by: ChangedBy, now: string): Promise<Draft | null> {
    const states = guard.states.filter((s) => s !== "publishing");
    return await this.#db.transaction().execute(async (trx) => {
      const row = await guarded(trx.deleteFrom("drafts").where("id", "=", id).where("account_id", "=", accountId), { ...guard, states })
        .returningAll()
        .executeTakeFirst();
      if (row === undefined) return null;
      await record(trx, { draftId: id, accountId, userId: by, kind: "deleted", revision: row.revision }, now);
      return draftFromRow(row);
    });
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

/** The guard's conditions on an UPDATE or DELETE of drafts. */
function guarded<Q extends { where: (...args: any[]) => any }>(query: Q, guard: DraftGuard): Q {
  let q = query.where("state", "in", [...guard.states]) as Q;
  if (guard.writtenBy !== undefined) q = q.where("user_id", "=", guard.writtenBy) as Q;
  if (guard.revision !== undefined) q = q.where("revision", "=", guard.revision) as Q;
  return q;
}

async function record(
  db: Kysely<DB>,
  change: { draftId: string; accountId: string; userId: ChangedBy; kind: DraftChangeKind; revision: number; content?: DraftContent; scheduledAt?: string },
  now: string,
): Promise<void> {
  await db
    .insertInto("draft_changes")
    .values({
      id: newId(Date.parse(now)),
      draft_id: change.draftId,
      account_id: change.accountId,
      user_id: change.userId,
      kind: change.kind,
      revision: change.revision,
      content_json: change.content === undefined ? null : JSON.stringify(change.content),
      scheduled_at: change.scheduledAt ?? null,
      created_at: now,
    })
    .execute();
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
    sensitive: content.sensitive === true ? 1 : 0,
    poll_json: content.poll === undefined || content.poll === null ? null : JSON.stringify(content.poll),
  };
}
