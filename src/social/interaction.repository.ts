import type { Kysely, Selectable } from "kysely";
import type { DB, InteractionRow } from "../db/schema.ts";
import { toCount } from "../db/rows.ts";
import { inTransaction } from "../db/transaction.ts";
import { newId } from "../lib/id.ts";
import { LedgerChanges } from "./ledger-changes.ts";
import { countedInteractions } from "./interaction.queries.ts";

export const INTERACTION_KINDS = ["like", "boost", "reply", "quote", "react", "mention", "vote"] as const;
export type InteractionKind = (typeof INTERACTION_KINDS)[number];

/** What lists show of a post's reach: active likes, boosts and replies from the ledger. */
export interface PostCounts {
  readonly likes: number;
  readonly boosts: number;
  readonly replies: number;
}

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
  readonly #changes: LedgerChanges;

  constructor(db: Kysely<DB>, changes: LedgerChanges = new LedgerChanges()) {
    this.#db = db;
    this.#changes = changes;
  }

  /**
   * Inserts unless an entry with this activity id exists (the unique index decides races). A row
   * really inserted runs the ledger's listeners in the same transaction (one is opened when the
   * caller has none and a listener is registered), so a rollup never counts a repeat and never
   * misses an entry that committed.
   */
  async insert(input: NewInteraction, db: Kysely<DB> = this.#db): Promise<{ interaction: Interaction; created: boolean }> {
    if (!this.#changes.active || db.isTransaction) return await this.#insert(input, db);
    return await inTransaction(db, (trx) => this.#insert(input, trx));
  }

  async #insert(input: NewInteraction, db: Kysely<DB>): Promise<{ interaction: Interaction; created: boolean }> {
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
    if (row !== undefined) {
      const interaction = interactionFromRow(row);
      await this.#changes.changed(db, interaction, +1);
      return { interaction, created: true };
    }
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

  /** Sets undone_at on the actor's entry for this activity if it is still active; the entry when it did. */
  async markUndone(activityUri: string, actorId: string, at: string, db: Kysely<DB> = this.#db): Promise<Interaction | null> {
    if (!this.#changes.active || db.isTransaction) return await this.#markUndone(activityUri, actorId, at, db);
    return await inTransaction(db, (trx) => this.#markUndone(activityUri, actorId, at, trx));
  }

  async #markUndone(activityUri: string, actorId: string, at: string, db: Kysely<DB>): Promise<Interaction | null> {
    const row = await db
      .updateTable("interactions")
      .set({ undone_at: at })
      .where("activity_uri", "=", activityUri)
      .where("actor_id", "=", actorId)
      .where("undone_at", "is", null)
      .returningAll()
      .executeTakeFirst();
    if (row === undefined) return null;
    const interaction = interactionFromRow(row);
    await this.#changes.changed(db, interaction, -1);
    return interaction;
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

  /**
   * Likes, boosts and replies not undone, per post, for a page of posts in one grouped query along
   * `interactions_post` (post_id, kind): lists show counts without one query per row.
   */
  async activeCountsOf(postIds: readonly string[]): Promise<Map<string, PostCounts>> {
    const out = new Map<string, PostCounts>();
    if (postIds.length === 0) return out;
    const rows = await this.#db
      .selectFrom("interactions")
      .select((eb) => ["post_id", "kind", eb.fn.countAll().as("n")])
      .where("post_id", "in", [...new Set(postIds)])
      .where("kind", "in", ["like", "boost", "reply"])
      .where("undone_at", "is", null)
      .groupBy(["post_id", "kind"])
      .execute();
    for (const row of rows) {
      const counts = out.get(row.post_id) ?? { likes: 0, boosts: 0, replies: 0 };
      const n = toCount(row.n);
      out.set(row.post_id, {
        likes: counts.likes + (row.kind === "like" ? n : 0),
        boosts: counts.boosts + (row.kind === "boost" ? n : 0),
        replies: counts.replies + (row.kind === "reply" ? n : 0),
      });
    }
    return out;
  }

  /**
   * Distinct accounts and servers with an active counted interaction, per post (insights' per-post
   * figures, for the few posts of a report: the ledger's (post_id, kind) index, no scan).
   */
  async interactorCounts(postIds: readonly string[]): Promise<Map<string, { accounts: number; servers: number }>> {
    const out = new Map<string, { accounts: number; servers: number }>();
    if (postIds.length === 0) return out;
    const rows = await countedInteractions(this.#db)
      .innerJoin("actors", "actors.id", "interactions.actor_id")
      .where("interactions.post_id", "in", [...postIds])
      .clearSelect()
      .select((eb) => ["interactions.post_id", eb.fn.count("interactions.actor_id").distinct().as("accounts"), eb.fn.count("actors.domain").distinct().as("servers")])
      .groupBy("interactions.post_id")
      .execute();
    for (const r of rows) out.set(r.post_id, { accounts: toCount(r.accounts), servers: toCount(r.servers) });
    return out;
  }

  /** The active counted entries on one post, newest first (a post's page in Insights: its curve and who interacted). */
  async countedOn(postId: string, limit: number): Promise<Array<{ actorId: string; kind: InteractionKind; createdAt: string }>> {
    const rows = await countedInteractions(this.#db).where("interactions.post_id", "=", postId).orderBy("interactions.created_at", "desc").limit(limit).execute();
    return rows.map((r) => ({ actorId: r.actor_id, kind: r.kind as InteractionKind, createdAt: r.created_at }));
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
