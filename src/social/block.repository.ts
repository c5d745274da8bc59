import type { ExpressionBuilder, Kysely, Selectable, SelectQueryBuilder } from "kysely";
import type { BlockRow, DB } from "../db/schema.ts";
import { newId } from "../lib/id.ts";

/** `actorId` blocks `targetId`. `uri` is the id of the Block activity (sent or received). */
export interface Block {
  readonly id: string;
  readonly actorId: string;
  readonly targetId: string;
  readonly uri: string | null;
  readonly createdAt: string;
}

function blockFromRow(row: Selectable<BlockRow>): Block {
  return { id: row.id, actorId: row.actor_id, targetId: row.target_id, uri: row.uri, createdAt: row.created_at };
}

/**
 * The actors `actorId` blocks, as a subquery for other modules' queries (the home timeline leaves
 * their posts and boosts out in one statement); `blocks` stays social's table. Uncorrelated, like
 * `acceptedFolloweesOf`, hence the same `any` for the query context.
 */
export function blockedTargetsOf(source: Kysely<DB> | ExpressionBuilder<any, any>, actorId: string): SelectQueryBuilder<DB, "blocks", { target_id: string }> {
  return (source as Kysely<DB>).selectFrom("blocks").select("blocks.target_id").where("blocks.actor_id", "=", actorId);
}

/** Blocks in both directions: local accounts blocking others, and remote actors blocking local accounts. */
export class BlockRepository {
  readonly #db: Kysely<DB>;

  constructor(db: Kysely<DB>) {
    this.#db = db;
  }

  async findById(id: string): Promise<Block | null> {
    const row = await this.#db.selectFrom("blocks").selectAll().where("id", "=", id).executeTakeFirst();
    return row ? blockFromRow(row) : null;
  }

  async findPair(actorId: string, targetId: string, db: Kysely<DB> = this.#db): Promise<Block | null> {
    const row = await db.selectFrom("blocks").selectAll().where("actor_id", "=", actorId).where("target_id", "=", targetId).executeTakeFirst();
    return row ? blockFromRow(row) : null;
  }

  async findByUri(uri: string): Promise<Block | null> {
    const row = await this.#db.selectFrom("blocks").selectAll().where("uri", "=", uri).executeTakeFirst();
    return row ? blockFromRow(row) : null;
  }

  /** Creates the block unless the pair exists already (the unique index decides races). */
  async create(input: { actorId: string; targetId: string; uri: string | null }, now: string, db: Kysely<DB> = this.#db): Promise<{ block: Block; created: boolean }> {
    const row = await db
      .insertInto("blocks")
      .values({ id: newId(), actor_id: input.actorId, target_id: input.targetId, uri: input.uri, created_at: now })
      .onConflict((oc) => oc.columns(["actor_id", "target_id"]).doNothing())
      .returningAll()
      .executeTakeFirst();
    if (row !== undefined) return { block: blockFromRow(row), created: true };
    const existing = await this.findPair(input.actorId, input.targetId, db);
    if (existing === null) throw new Error("block vanished while being created");
    return { block: existing, created: false };
  }

  async setUri(id: string, uri: string, db: Kysely<DB> = this.#db): Promise<void> {
    await db.updateTable("blocks").set({ uri }).where("id", "=", id).execute();
  }

  /** Removes the block; returns it, or null when it was already gone. */
  async remove(id: string, db: Kysely<DB> = this.#db): Promise<Block | null> {
    const row = await db.deleteFrom("blocks").where("id", "=", id).returningAll().executeTakeFirst();
    return row ? blockFromRow(row) : null;
  }

  /** Whether either actor blocks the other. */
  async isBlocked(actorIdA: string, actorIdB: string, db: Kysely<DB> = this.#db): Promise<boolean> {
    const row = await db
      .selectFrom("blocks")
      .select("id")
      .where((eb) =>
        eb.or([
          eb.and([eb("actor_id", "=", actorIdA), eb("target_id", "=", actorIdB)]),
          eb.and([eb("actor_id", "=", actorIdB), eb("target_id", "=", actorIdA)]),
        ]),
      )
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Blocks local accounts hold against `targetId` (a Move carries them over to the new account). */
  async localBlocksOf(targetId: string): Promise<Block[]> {
    const rows = await this.#db
      .selectFrom("blocks")
      .innerJoin("actors", "actors.id", "blocks.actor_id")
      .selectAll("blocks")
      .where("blocks.target_id", "=", targetId)
      .where("actors.is_local", "=", 1)
      .execute();
    return rows.map(blockFromRow);
  }

  /** Actors `actorId` blocks, newest first. */
  async listByActor(actorId: string): Promise<Block[]> {
    const rows = await this.#db.selectFrom("blocks").selectAll().where("actor_id", "=", actorId).orderBy("id", "desc").execute();
    return rows.map(blockFromRow);
  }
}
