import type { Kysely, Selectable } from "kysely";
import type { DB, InteractionRow } from "../db/schema.ts";
import { toCount } from "../db/rows.ts";
import { newId } from "../lib/id.ts";

export const INTERACTION_KINDS = ["like", "boost", "reply", "quote", "react", "mention", "vote"] as const;
export type InteractionKind = (typeof INTERACTION_KINDS)[number];

/** One entry of the interaction ledger: who did what to which Herold post, and when (and whether it was undone). */
export interface Interaction {
  readonly id: string;
  readonly kind: InteractionKind;
  readonly postId: string;
  readonly actorId: string;
  readonly activityUri: string;
  /** The reply, quote or vote object, when there is one. */
  readonly objectUri: string | null;
  /** The emoji of a reaction. */
  readonly content: string | null;
  readonly createdAt: string;
  readonly undoneAt: string | null;
}

export interface NewInteraction {
  readonly kind: InteractionKind;
  readonly postId: string;
  readonly actorId: string;
  readonly activityUri: string;
  readonly objectUri: string | null;
  readonly content: string | null;
  readonly at: string;
}

function interactionFromRow(row: Selectable<InteractionRow>): Interaction {
  return {
    id: row.id,
    kind: row.kind as InteractionKind,
    postId: row.post_id,
    actorId: row.actor_id,
    activityUri: row.activity_uri,
    objectUri: row.object_uri,
    content: row.content,
    createdAt: row.created_at,
    undoneAt: row.undone_at,
  };
}

/**
 * The interaction ledger. Rows are never deleted by Herold's own code: an undo only sets undone_at.
 * Writes (and the reads around them) take an optional `db`: a caller's transaction, e.g. the
 * outbox transaction of a local like, which commits the entry with its intent to federate.
 */
export class InteractionRepository {
  readonly #db: Kysely<DB>;

  constructor(db: Kysely<DB>) {
    this.#db = db;
  }

  /** Inserts unless an entry with this activity id exists (the unique index decides races). */
  async insert(input: NewInteraction, db: Kysely<DB> = this.#db): Promise<{ interaction: Interaction; created: boolean }> {
    const row = await db
      .insertInto("interactions")
      .values({
        id: newId(),
        kind: input.kind,
        post_id: input.postId,
        actor_id: input.actorId,
        activity_uri: input.activityUri,
        object_uri: input.objectUri,
        content: input.content,
        created_at: input.at,
        undone_at: null,
      })
      .onConflict((oc) => oc.column("activity_uri").doNothing())
      .returningAll()
      .executeTakeFirst();
    if (row !== undefined) return { interaction: interactionFromRow(row), created: true };
    const existing = await this.findByActivityUri(input.activityUri, db);
    if (existing === null) throw new Error("interaction vanished while being recorded");
    return { interaction: existing, created: false };
  }

  /** The options (kept in `content`) `actorId` has active votes for on a post. */
  async votesBy(postId: string, actorId: string, db: Kysely<DB> = this.#db): Promise<string[]> {
    const rows = await db
      .selectFrom("interactions")
      .select("content")
      .where("post_id", "=", postId)
      .where("kind", "=", "vote")
      .where("actor_id", "=", actorId)
      .where("undone_at", "is", null)
      .execute();
    return rows.map((r) => r.content ?? "");
  }

  /** Which of these kinds `actorId` has active (not undone) on each of these posts, in one query. */
  async activeOn(actorId: string, postIds: readonly string[], kinds: readonly InteractionKind[]): Promise<Array<{ postId: string; kind: InteractionKind }>> {
    if (postIds.length === 0 || kinds.length === 0) return [];
    const rows = await this.#db
      .selectFrom("interactions")
      .select(["post_id", "kind"])
      .where("actor_id", "=", actorId)
      .where("post_id", "in", postIds)
      .where("kind", "in", kinds)
      .where("undone_at", "is", null)
      .execute();
    return rows.map((r) => ({ postId: r.post_id, kind: r.kind as InteractionKind }));
  }

  async findById(id: string): Promise<Interaction | null> {
    const row = await this.#db.selectFrom("interactions").selectAll().where("id", "=", id).executeTakeFirst();
    return row ? interactionFromRow(row) : null;
  }

  async findByActivityUri(activityUri: string, db: Kysely<DB> = this.#db): Promise<Interaction | null> {
    const row = await db.selectFrom("interactions").selectAll().where("activity_uri", "=", activityUri).executeTakeFirst();
    return row ? interactionFromRow(row) : null;
  }

  /** Sets undone_at on the actor's entry for this activity if it is still active; true when it did. */
  async markUndone(activityUri: string, actorId: string, at: string, db: Kysely<DB> = this.#db): Promise<Interaction | null> {
    const row = await db
      .updateTable("interactions")
      .set({ undone_at: at })
      .where("activity_uri", "=", activityUri)
      .where("actor_id", "=", actorId)
      .where("undone_at", "is", null)
      .returningAll()
      .executeTakeFirst();
    return row ? interactionFromRow(row) : null;
  }

  /** The actor's newest still-active entry of one of `kinds` on a post. */
  async latestActive(actorId: string, postId: string, kinds: readonly InteractionKind[], db: Kysely<DB> = this.#db): Promise<Interaction | null> {
    const row = await db
      .selectFrom("interactions")
      .selectAll()
      .where("actor_id", "=", actorId)
      .where("post_id", "=", postId)
      .where("kind", "in", [...kinds])
      .where("undone_at", "is", null)
      .orderBy("id", "desc")
      .executeTakeFirst();
    return row ? interactionFromRow(row) : null;
  }

  /** Whether the actor has another active entry of this kind on the post (a repeated like does not notify twice). */
  async hasOtherActive(actorId: string, postId: string, kind: InteractionKind, exceptId: string, db: Kysely<DB> = this.#db): Promise<boolean> {
    const row = await db
      .selectFrom("interactions")
      .select("id")
      .where("actor_id", "=", actorId)
      .where("post_id", "=", postId)
      .where("kind", "=", kind)
      .where("undone_at", "is", null)
      .where("id", "!=", exceptId)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Per kind: all entries and those not undone (gross and net), for one post. */
  async countsByPost(postId: string): Promise<Partial<Record<InteractionKind, { total: number; active: number }>>> {
    const rows = await this.#db
      .selectFrom("interactions")
      .select((eb) => ["kind", eb.fn.countAll().as("total"), eb.fn.count("id").filterWhere("undone_at", "is", null).as("active")])
      .where("post_id", "=", postId)
      .groupBy("kind")
      .execute();
    const out: Partial<Record<InteractionKind, { total: number; active: number }>> = {};
    for (const row of rows) out[row.kind as InteractionKind] = { total: toCount(row.total), active: toCount(row.active) };
    return out;
  }
}
