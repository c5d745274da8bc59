import { sql, type ExpressionBuilder, type Kysely } from "kysely";
import type { DB } from "../../db/schema.ts";

/** An activity as stored once by the outbound bridge: what its id dereferences to and deliveries read. */
export interface StoredActivity {
  readonly id: string;
  readonly uri: string;
  /** The local actor that sent it. */
  readonly actorId: string;
  readonly type: string;
  /** The URI of its object (the post of a Create, the activity an Undo undoes), if it has one. */
  readonly objectUri: string | null;
  readonly visibility: string;
  /** The activity, serialised once (compacted JSON-LD). */
  readonly json: string;
  readonly createdAt: string;
}

/**
 * `outbox_activities`, owned by the federation module: the bridge writes it, the posts module reads
 * it through here (dereferencing activity ids, tombstones, undoing what was sent), and the delivery
 * engine reads what it sends (handed to it at the composition root).
 */
export class OutboxRepository {
  readonly #db: Kysely<DB>;

  constructor(db: Kysely<DB>) {
    this.#db = db;
  }

  /**
   * Stores an activity unless one with its id is stored already (a repeated run of an intent).
   * Returns whether it was stored now. Runs in the caller's transaction: the bridge queues the
   * deliveries in the same one.
   */
  async insert(activity: StoredActivity, db: Kysely<DB> = this.#db): Promise<boolean> {
    const stored = await db
      .insertInto("outbox_activities")
      .values({
        id: activity.id,
        uri: activity.uri,
        actor_id: activity.actorId,
        type: activity.type,
        object_uri: activity.objectUri,
        visibility: activity.visibility,
        json: activity.json,
        created_at: activity.createdAt,
      })
      .onConflict((oc) => oc.column("id").doNothing())
      .executeTakeFirst();
    return Number(stored.numInsertedOrUpdatedRows ?? 0n) > 0;
  }

  /** The activity with this id (what a deliver job sends). */
  async findById(id: string): Promise<StoredActivity | null> {
    const row = await this.#db.selectFrom("outbox_activities").selectAll().where("id", "=", id).executeTakeFirst();
    return row === undefined ? null : fromRow(row);
  }

  /**
   * The activity with this URI if `actorId` sent it, else null. URIs embed the username, but the
   * ownership check is on the stored actor: an activity never answers under another account's path.
   */
  async findOwned(uri: string, actorId: string): Promise<StoredActivity | null> {
    const row = await this.#db.selectFrom("outbox_activities").selectAll().where("uri", "=", uri).where("actor_id", "=", actorId).executeTakeFirst();
    return row === undefined ? null : fromRow(row);
  }

  /** The newest activity of `type` that `actorId` sent about `objectUri` (what an Undo undoes). */
  async latestAbout(actorId: string, objectUri: string, type: string): Promise<StoredActivity | null> {
    const row = await this.#db
      .selectFrom("outbox_activities")
      .selectAll()
      .where("actor_id", "=", actorId)
      .where("object_uri", "=", objectUri)
      .where("type", "=", type)
      .orderBy("id", "desc")
      .executeTakeFirst();
    return row === undefined ? null : fromRow(row);
  }
}

/**
 * The public and unlisted Create and Announce activities of `actorId` that were not undone, as a
 * derived table for the outbox collection (the posts module adds whether each post still stands).
 * A subquery rather than a method, so the collection stays one statement paged in SQL; both engines
 * flatten it into the outer query.
 */
// `source` is any query context over Herold's schema; an expression builder with aliases is wider than `DB`.
export function standingActivitiesOf(source: Kysely<DB> | ExpressionBuilder<any, any>, actorId: string) {
  return (source as Kysely<DB>)
    .selectFrom("outbox_activities as sa")
    .select(["sa.id", "sa.uri", "sa.type", "sa.object_uri", "sa.json"])
    .where("sa.actor_id", "=", actorId)
    .where("sa.type", "in", ["Create", "Announce"])
    .where("sa.visibility", "in", ["public", "unlisted"])
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom("outbox_activities as su")
            .select("su.id")
            .whereRef("su.object_uri", "=", "sa.uri")
            // A literal, so the planners can use the partial index of Undos (migration 0015).
            .where("su.type", "=", sql.lit("Undo")),
        ),
      ),
    );
}

function fromRow(row: { id: string; uri: string; actor_id: string; type: string; object_uri: string | null; visibility: string; json: string; created_at: string }): StoredActivity {
  return {
    id: row.id,
    uri: row.uri,
    actorId: row.actor_id,
    type: row.type,
    objectUri: row.object_uri,
    visibility: row.visibility,
    json: row.json,
    createdAt: row.created_at,
  };
}
