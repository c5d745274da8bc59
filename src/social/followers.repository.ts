import type { ExpressionBuilder, Kysely, SelectQueryBuilder } from "kysely";
import type { DB } from "../db/schema.ts";
import { acceptedFollowerCount, acceptedFollowingCount } from "./follow.counters.ts";

/**
 * The accepted follows of `followerId`, as a subquery of followee ids: the SQL form of "follows, and
 * was accepted", for other modules' queries over many rows (visibility of posts, the home timeline).
 * Owned here so that `follows` is queried only by the social module, yet a timeline or a visibility
 * filter stays one statement: a port answering with ids would cost a second round trip and an
 * unbounded `IN` list for accounts that follow many. Uncorrelated, so both engines evaluate it once
 * per statement (SQLite materialises it, PostgreSQL plans a semi-join on the unique follow pair);
 * the (follower_id, followee_id) pair is unique, so it selects the same rows the former join did.
 */
// `source` is any query context over Herold's schema (the subquery is uncorrelated, so which one
// does not matter); an expression builder of a query with aliases is wider than `DB`, hence `any`.
export function acceptedFolloweesOf(source: Kysely<DB> | ExpressionBuilder<any, any>, followerId: string): SelectQueryBuilder<DB, "follows", { followee_id: string }> {
  return (source as Kysely<DB>).selectFrom("follows").select("follows.followee_id").where("follows.follower_id", "=", followerId).where("follows.state", "=", "accepted");
}

/**
 * The local actors with an accepted follow of `followeeId`, as a subquery of follower ids: what the
 * posts module fans a new post out to (its home feeds), inside the post's own INSERT … SELECT, so
 * one statement writes the rows of every local follower, however many.
 */
export function localAcceptedFollowersOf(source: Kysely<DB> | ExpressionBuilder<any, any>, followeeId: string) {
  return (source as Kysely<DB>)
    .selectFrom("follows")
    .innerJoin("actors", "actors.id", "follows.follower_id")
    .select("follows.follower_id")
    .where("follows.followee_id", "=", followeeId)
    .where("follows.state", "=", "accepted")
    .where("actors.is_local", "=", 1);
}

/**
 * Accepted followers of `followeeId` per server, as a derived table (`host`, `followers`): what
 * insights' recount sets its followers-per-server rollup to.
 */
export function acceptedFollowersByHost(source: Kysely<DB> | ExpressionBuilder<any, any>, followeeId: string) {
  return (source as Kysely<DB>)
    .selectFrom("follows")
    .innerJoin("actors", "actors.id", "follows.follower_id")
    .select(["actors.domain as host", (eb) => eb.fn.countAll<number>().as("followers")])
    .where("follows.followee_id", "=", followeeId)
    .where("follows.state", "=", "accepted")
    .groupBy("actors.domain");
}

/** The accepted follows of `followeeId`, joined to their followers' actors (select what is needed). */
function acceptedFollowersOf(db: Kysely<DB>, followeeId: string) {
  return db.selectFrom("follows").innerJoin("actors", "actors.id", "follows.follower_id").where("follows.followee_id", "=", followeeId).where("follows.state", "=", "accepted");
}

/**
 * Read-only questions other modules ask about follows (the narrow ports the composition root hands
 * them): follower checks for who may see a post, follower inboxes for delivery, counts for pages.
 */
export class FollowersRepository {
  readonly #db: Kysely<DB>;

  constructor(db: Kysely<DB>) {
    this.#db = db;
  }

  /** Whether `followerId` follows `followeeId` and the follow was accepted. */
  async isAcceptedFollower(followeeId: string, followerId: string): Promise<boolean> {
    const row = await acceptedFolloweesOf(this.#db, followerId).where("follows.followee_id", "=", followeeId).executeTakeFirst();
    return row !== undefined;
  }

  /** The same, for a follower known by its actor URI (a verified request signer). */
  async isAcceptedFollowerUri(followeeId: string, followerUri: string): Promise<boolean> {
    const row = await acceptedFollowersOf(this.#db, followeeId).select("follows.id").where("actors.uri", "=", followerUri).executeTakeFirst();
    return row !== undefined;
  }

  /** Ids of the local actors with an accepted follow of `followeeId`. */
  async localFollowerIds(followeeId: string): Promise<string[]> {
    const rows = await acceptedFollowersOf(this.#db, followeeId).select("follows.follower_id").where("actors.is_local", "=", 1).execute();
    return rows.map((r) => r.follower_id);
  }

  /**
   * The inboxes (shared inbox preferred) of the remote actors, not gone, with an accepted follow of
   * `followeeId`; distinct. `db` is the caller's transaction (the bridge queues deliveries in it).
   */
  async remoteInboxes(followeeId: string, db: Kysely<DB> = this.#db): Promise<string[]> {
    const rows = await acceptedFollowersOf(db, followeeId)
      .select(["actors.shared_inbox_url", "actors.inbox_url"])
      .where("actors.is_local", "=", 0)
      .where("actors.gone_at", "is", null)
      .execute();
    const inboxes = new Set<string>();
    for (const row of rows) {
      const inbox = row.shared_inbox_url ?? row.inbox_url;
      if (inbox) inboxes.add(inbox);
    }
    return [...inboxes];
  }

  /** Accepted followers and accepted followings of an actor (profile pages), from the counters. */
  async counts(actorId: string): Promise<{ followers: number; following: number }> {
    const [followers, following] = await Promise.all([acceptedFollowerCount(this.#db, actorId), acceptedFollowingCount(this.#db, actorId)]);
    return { followers, following };
  }
}
