import { sql, type Kysely } from "kysely";

/**
 * `posts_boost_of` holds only boosts. As a full index it also listed every post that is not a boost
 * (boost_of_id NULL, nearly every row), and SQLite's planner then drove queries that say `boost_of_id
 * IS NULL` by it, reading the whole table: a post page's public replies took 38 ms and the home's
 * "needs a reply" 93 ms at 100,000 posts (`npm run bench -- reads --posts 100000`). A partial index
 * cannot serve `IS NULL`, and still serves `boost_of_id = ?` (the boosts of a post), on both engines.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex("posts_boost_of").ifExists().execute();
  await db.schema.createIndex("posts_boost_of").on("posts").column("boost_of_id").where(sql.ref("boost_of_id"), "is not", null).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex("posts_boost_of").ifExists().execute();
  await db.schema.createIndex("posts_boost_of").on("posts").column("boost_of_id").execute();
}
