import type { Kysely } from "kysely";
import { acceptedFollowerCount, acceptedFollowingCount } from "./follow.counters.ts";
import { AcceptedFollows } from "./accepted-follows.ts";
import type { DB } from "../db/schema.ts";
import { toBool, toCount } from "../db/rows.ts";
import { inTransaction } from "../db/transaction.ts";
import { newId } from "../lib/id.ts";
import { actorFromRow } from "../actor/actor.entity.ts";
import { followFromRow, type Follow, type FollowEndReason, type FollowState, type FollowWithActor } from "./follow.entity.ts";

/** A page of items, newest first, and the cursor (an exclusive upper bound id) of the next older page. */
export interface Page<T> {
  readonly items: readonly T[];
  readonly next: string | null;
}

export interface ListOptions {
  readonly state?: FollowState;
  readonly limit: number;
  /** Exclusive upper bound on the follow id (ids are time-ordered). */
  readonly before?: string | null;
  /** Only actors whose id starts with this prefix (FEP-8fcf `base-url` filter of the followers collection). */
  readonly actorUriPrefix?: string;
}

export interface FollowEvent {
  readonly followerId: string;
  readonly followeeId: string;
  readonly kind: "requested" | "accepted" | "ended";
  readonly reason: FollowEndReason | null;
  readonly wasAccepted: boolean;
  readonly createdAt: string;
}

/**
 * Follows in both directions, and their history. Every transition writes a follow_events row in the
 * same transaction, so the history never disagrees with the follows table.
 */
export class FollowRepository {
  readonly #db: Kysely<DB>;
  readonly #accepted: AcceptedFollows;

  /** `accepted`: what is kept in step with accepted follows (the social module's; counters only when absent). */
  constructor(db: Kysely<DB>, accepted: AcceptedFollows = new AcceptedFollows()) {
    this.#db = db;
    this.#accepted = accepted;
  }

  async findById(id: string): Promise<Follow | null> {
    const row = await this.#db.selectFrom("follows").selectAll().where("id", "=", id).executeTakeFirst();
    return row ? followFromRow(row) : null;
  }

  async findPair(followerId: string, followeeId: string): Promise<Follow | null> {
    const row = await this.#db
      .selectFrom("follows")
      .selectAll()
      .where("follower_id", "=", followerId)
      .where("followee_id", "=", followeeId)
      .executeTakeFirst();
    return row ? followFromRow(row) : null;
  }

  /** The follow whose Follow activity has this id (sent or received). */
  async findByUri(uri: string): Promise<Follow | null> {
    const row = await this.#db.selectFrom("follows").selectAll().where("uri", "=", uri).orderBy("id", "desc").executeTakeFirst();
    return row ? followFromRow(row) : null;
  }

  /**
   * Creates the follow unless the pair already follows (the unique pair index decides races);
   * `created` tells which happened.
   */
  async create(
    input: { followerId: string; followeeId: string; state: FollowState; uri: string | null },
    now: string,
    db: Kysely<DB> = this.#db,
  ): Promise<{ follow: Follow; created: boolean }> {
    return await inTransaction(db, async (trx) => {
      const row = await trx
        .insertInto("follows")
        .values({
          id: newId(),
          follower_id: input.followerId,
          followee_id: input.followeeId,
          state: input.state,
          uri: input.uri,
          created_at: now,
          accepted_at: input.state === "accepted" ? now : null,
          updated_at: now,
        })
        .onConflict((oc) => oc.columns(["follower_id", "followee_id"]).doNothing())
        .returningAll()
        .executeTakeFirst();
      if (row === undefined) {
        const existing = await trx
          .selectFrom("follows")
          .selectAll()
          .where("follower_id", "=", input.followerId)
          .where("followee_id", "=", input.followeeId)
          .executeTakeFirstOrThrow();
        return { follow: followFromRow(existing), created: false };
      }
      await this.#event(trx, input.followerId, input.followeeId, "requested", null, false, now);
      if (input.state === "accepted") {
        await this.#event(trx, input.followerId, input.followeeId, "accepted", null, false, now);
        await this.#accepted.changed(trx, [row], +1, now);
      }
      return { follow: followFromRow(row), created: true };
    });
  }

  /** Pending → accepted. Returns the accepted follow, or null when it was not pending (already accepted, or gone). */
  async accept(id: string, now: string, db: Kysely<DB> = this.#db): Promise<Follow | null> {
    return await inTransaction(db, async (trx) => {
      const row = await trx
        .updateTable("follows")
        .set({ state: "accepted", accepted_at: now, updated_at: now })
        .where("id", "=", id)
        .where("state", "=", "pending")
        .returningAll()
        .executeTakeFirst();
      if (row === undefined) return null;
      await this.#event(trx, row.follower_id, row.followee_id, "accepted", null, false, now);
      await this.#accepted.changed(trx, [row], +1, now);
      return followFromRow(row);
    });
  }

  /** Records the id of the newest Follow activity for this pair (what Accept and Undo refer to). */
  async setUri(id: string, uri: string, now: string, db: Kysely<DB> = this.#db): Promise<void> {
    await db.updateTable("follows").set({ uri, updated_at: now }).where("id", "=", id).execute();
  }

  /** Ends a follow (deletes it) and records why. Returns the ended follow, or null when it was already gone. */
  async end(id: string, reason: FollowEndReason, now: string, db: Kysely<DB> = this.#db): Promise<Follow | null> {
    return await inTransaction(db, async (trx) => {
      const row = await trx.deleteFrom("follows").where("id", "=", id).returningAll().executeTakeFirst();
      if (row === undefined) return null;
      const follow = followFromRow(row);
      await this.#event(trx, follow.followerId, follow.followeeId, "ended", reason, follow.state === "accepted", now);
      if (follow.state === "accepted") await this.#accepted.changed(trx, [row], -1, now);
      return follow;
    });
  }

  /** Followers of an actor with their actors, newest follow first. */
  listFollowers(followeeId: string, options: ListOptions): Promise<Page<FollowWithActor>> {
    return this.#list("followee_id", "follower_id", followeeId, options);
  }

  /** Actors an actor follows, newest follow first. */
  listFollowing(followerId: string, options: ListOptions): Promise<Page<FollowWithActor>> {
    return this.#list("follower_id", "followee_id", followerId, options);
  }

  /** Followers in `state`; accepted ones from the counters (follow.counters.ts). */
  async countFollowers(followeeId: string, state: FollowState): Promise<number> {
    if (state === "accepted") return await acceptedFollowerCount(this.#db, followeeId);
    const row = await this.#db
      .selectFrom("follows")
      .select((eb) => eb.fn.countAll().as("n"))
      .where("followee_id", "=", followeeId)
      .where("state", "=", state)
      .executeTakeFirst();
    return toCount(row?.n);
  }

  /** Followings in `state`; accepted ones from the counters (follow.counters.ts). */
  async countFollowing(followerId: string, state: FollowState): Promise<number> {
    if (state === "accepted") return await acceptedFollowingCount(this.#db, followerId);
    const row = await this.#db
      .selectFrom("follows")
      .select((eb) => eb.fn.countAll().as("n"))
      .where("follower_id", "=", followerId)
      .where("state", "=", state)
      .executeTakeFirst();
    return toCount(row?.n);
  }

  /** Follows of `actorId` by local accounts, in any state (a Move re-points them). */
  async localFollowsOf(actorId: string): Promise<Follow[]> {
    const rows = await this.#db
      .selectFrom("follows")
      .innerJoin("actors", "actors.id", "follows.follower_id")
      .selectAll("follows")
      .where("follows.followee_id", "=", actorId)
      .where("actors.is_local", "=", 1)
      .orderBy("follows.id")
      .execute();
    return rows.map(followFromRow);
  }

  /** The follow history of an actor as followee, oldest first (analytics and tests). */
  async eventsOfFollowee(followeeId: string): Promise<FollowEvent[]> {
    const rows = await this.#db.selectFrom("follow_events").selectAll().where("followee_id", "=", followeeId).orderBy("id").execute();
    return rows.map((row) => ({
      followerId: row.follower_id,
      followeeId: row.followee_id,
      kind: row.kind as FollowEvent["kind"],
      reason: row.reason as FollowEndReason | null,
      wasAccepted: toBool(row.was_accepted),
      createdAt: row.created_at,
    }));
  }

  async #list(
    ownColumn: "follower_id" | "followee_id",
    otherColumn: "follower_id" | "followee_id",
    actorId: string,
    options: ListOptions,
  ): Promise<Page<FollowWithActor>> {
    let query = this.#db
      .selectFrom("follows")
      .innerJoin("actors", "actors.id", `follows.${otherColumn}`)
      .selectAll("follows")
      .where(`follows.${ownColumn}`, "=", actorId);
    if (options.state !== undefined) query = query.where("follows.state", "=", options.state);
    if (options.before) query = query.where("follows.id", "<", options.before);
    if (options.actorUriPrefix !== undefined) {
      // Compared with substr, not LIKE: a prefix containing % or _ must not act as a pattern.
      const prefix = options.actorUriPrefix;
      query = query.where((eb) => eb(eb.fn("substr", ["actors.uri", eb.val(1), eb.val(prefix.length)]), "=", prefix));
    }
    const rows = await query.orderBy("follows.id", "desc").limit(options.limit + 1).execute();
    const follows = rows.slice(0, options.limit).map(followFromRow);
    const otherIds = follows.map((f) => (otherColumn === "follower_id" ? f.followerId : f.followeeId));
    const actorRows = otherIds.length === 0 ? [] : await this.#db.selectFrom("actors").selectAll().where("id", "in", otherIds).execute();
    const actors = new Map(actorRows.map((row) => [row.id, actorFromRow(row)]));
    const items: FollowWithActor[] = [];
    for (const follow of follows) {
      const actor = actors.get(otherColumn === "follower_id" ? follow.followerId : follow.followeeId);
      if (actor !== undefined) items.push({ follow, actor });
    }
    return { items, next: rows.length > options.limit ? (follows.at(-1)?.id ?? null) : null };
  }

  async #event(
    db: Kysely<DB>,
    followerId: string,
    followeeId: string,
    kind: FollowEvent["kind"],
    reason: FollowEndReason | null,
    wasAccepted: boolean,
    now: string,
  ): Promise<void> {
    await db
      .insertInto("follow_events")
      .values({ id: newId(), follower_id: followerId, followee_id: followeeId, kind, reason, was_accepted: wasAccepted ? 1 : 0, created_at: now })
      .execute();
  }
}
