import type { ExpressionBuilder, Kysely } from "kysely";
import type { DB } from "../db/schema.ts";

/**
 * The actor's likes that are not undone, as a derived table (`id`: the ledger entry, the page
 * cursor; `post_id`): the SQL form of the ledger for other modules' queries (the liked collection
 * joins it with posts). A subquery owned here keeps `interactions` the social module's table while
 * the collection stays one statement; both engines flatten it into the outer query.
 */
// `source` is any query context over Herold's schema; an expression builder with aliases is wider than `DB`.
export function activeLikesOf(source: Kysely<DB> | ExpressionBuilder<any, any>, actorId: string) {
  return (source as Kysely<DB>)
    .selectFrom("interactions")
    .select(["interactions.id", "interactions.post_id"])
    .where("interactions.actor_id", "=", actorId)
    .where("interactions.kind", "=", "like")
    .where("interactions.undone_at", "is", null);
}
