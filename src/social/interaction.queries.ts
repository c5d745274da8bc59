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

/** The kinds an account's insights count (mentions and votes are not interactions with the post). */
export const COUNTED_KINDS = ["like", "boost", "reply", "quote", "react"] as const;

/**
 * Every ledger entry of a counted kind that is not undone, as a derived table (`post_id`,
 * `actor_id`, `kind`, `created_at`): what insights' recount (`herold repair`, a time-zone change, the
 * invariant tests) sums, in one set-based statement, so the rollups can be checked against the ledger.
 */
export function countedInteractions(source: Kysely<DB> | ExpressionBuilder<any, any>) {
  return (source as Kysely<DB>)
    .selectFrom("interactions")
    .select(["interactions.post_id", "interactions.actor_id", "interactions.kind", "interactions.created_at"])
    .where("interactions.undone_at", "is", null)
    .where("interactions.kind", "in", [...COUNTED_KINDS]);
}
