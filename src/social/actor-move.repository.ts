import type { Kysely } from "kysely";
import type { DB } from "../db/schema.ts";

/**
 * The one write the social module makes to remote actors: remembering that an actor moved (a
 * verified Move), so profiles can point to the new account before the old document is re-fetched.
 */
export class ActorMoveRepository {
  readonly #db: Kysely<DB>;

  constructor(db: Kysely<DB>) {
    this.#db = db;
  }

  async recordMove(actorId: string, targetUri: string, now: string): Promise<void> {
    await this.#db
      .updateTable("actors")
      .set({ moved_to_uri: targetUri, updated_at: now })
      .where("id", "=", actorId)
      .where("is_local", "=", 0)
      .execute();
  }
}
