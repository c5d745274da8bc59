import { sql, type Kysely } from "kysely";

/**
 * A partial index of the Undo activities by what they undo. Every outbox page and count asks, per
 * listed activity, whether an Undo of it exists (`standingActivitiesOf`). PostgreSQL answered that
 * by walking all of `outbox_activities_object (object_uri, type)` for `type = 'Undo'` (type is its
 * second column): ~5 ms a page at 100,000 activities, growing with the outbox (issue #15,
 * `npm run bench -- reads --db postgres`). This index holds only the Undos, so the answer is a
 * lookup in a small index on both engines. The query names the type as a literal, not a parameter,
 * so both planners can prove the index's condition.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex("outbox_activities_undo").on("outbox_activities").column("object_uri").where(sql.ref("type"), "=", sql.lit("Undo")).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex("outbox_activities_undo").ifExists().execute();
}
