import type { Kysely } from "kysely";
import type { DB } from "../db/schema.ts";
import { newId } from "../lib/id.ts";

export const NOTIFICATION_KINDS = ["follow", "follow_request", "like", "boost", "reply", "quote", "mention", "react", "move"] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

export interface Notification {
  readonly id: string;
  readonly recipientActorId: string;
  readonly kind: NotificationKind;
  readonly fromActorId: string;
  readonly postId: string | null;
  readonly interactionId: string | null;
  readonly createdAt: string;
}

/** A notification with what a person needs to read it: who, which post, what (reaction emoji, reply). */
export interface NotificationEntry extends Notification {
  readonly from: { readonly uri: string; readonly handle: string; readonly name: string | null; readonly url: string | null };
  readonly post: { readonly uri: string; readonly url: string | null } | null;
  /** The reaction emoji, when the interaction was a reaction. */
  readonly content: string | null;
  /** The reply or quote post, when there is one. */
  readonly objectUri: string | null;
  /** When the recipient marked it read; null while it is new. */
  readonly readAt: string | null;
}

export class NotificationRepository {
  readonly #db: Kysely<DB>;

  constructor(db: Kysely<DB>) {
    this.#db = db;
  }

  async insert(input: Omit<Notification, "id">, db: Kysely<DB> = this.#db): Promise<Notification> {
    const id = newId();
    await db
      .insertInto("notifications")
      .values({
        id,
        actor_id: input.recipientActorId,
        kind: input.kind,
        from_actor_id: input.fromActorId,
        post_id: input.postId,
        interaction_id: input.interactionId,
        created_at: input.createdAt,
        read_at: null,
      })
      .execute();
    return { id, ...input };
  }

  /** Newest first; `before` is an exclusive upper bound on the notification id. */
  async list(recipientActorId: string, options: { limit: number; before?: string | null }): Promise<NotificationEntry[]> {
    let query = this.#db
      .selectFrom("notifications as n")
      .innerJoin("actors as a", "a.id", "n.from_actor_id")
      .leftJoin("posts as p", "p.id", "n.post_id")
      .leftJoin("interactions as i", "i.id", "n.interaction_id")
      .select([
        "n.id", "n.actor_id", "n.kind", "n.from_actor_id", "n.post_id", "n.interaction_id", "n.created_at", "n.read_at",
        "a.uri as from_uri", "a.username as from_username", "a.domain as from_domain", "a.name as from_name", "a.url as from_url",
        "p.uri as post_uri", "p.url as post_url", "i.content as content", "i.object_uri as object_uri",
      ])
      .where("n.actor_id", "=", recipientActorId);
    if (options.before) query = query.where("n.id", "<", options.before);
    const rows = await query.orderBy("n.id", "desc").limit(options.limit).execute();
    return rows.map((row) => ({
      id: row.id,
      recipientActorId: row.actor_id,
      kind: row.kind as NotificationKind,
      fromActorId: row.from_actor_id,
      postId: row.post_id,
      interactionId: row.interaction_id,
      createdAt: row.created_at,
      from: { uri: row.from_uri, handle: `${row.from_username}@${row.from_domain}`, name: row.from_name, url: row.from_url },
      post: row.post_uri ? { uri: row.post_uri, url: row.post_url } : null,
      content: row.content ?? null,
      objectUri: row.object_uri ?? null,
      readAt: row.read_at ?? null,
    }));
  }

  /**
   * How many of the recipient's newest `window` notifications are unread (the navigation's badge):
   * one backwards range of `notifications_actor`, bounded however long the history is; unread ones
   * are the newest, since "mark as read" marks everything up to what was seen.
   */
  async countUnread(recipientActorId: string, window: number): Promise<number> {
    const row = await this.#db
      .selectFrom((eb) =>
        eb.selectFrom("notifications").select("read_at").where("actor_id", "=", recipientActorId).orderBy("id", "desc").limit(window).as("recent"),
      )
      .select((eb) => eb.fn.countAll().as("n"))
      .where("recent.read_at", "is", null)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /**
   * Marks the recipient's notifications up to `upToId` (inclusive: what the person saw on the page)
   * as read; newer ones that arrived meanwhile stay new. A range of `notifications_actor`.
   */
  async markRead(recipientActorId: string, upToId: string, now: string): Promise<number> {
    const result = await this.#db
      .updateTable("notifications")
      .set({ read_at: now })
      .where("actor_id", "=", recipientActorId)
      .where("id", "<=", upToId)
      .where("read_at", "is", null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /** Whether the recipient already has a notification of this kind from this actor (about this post). */
  async exists(recipientActorId: string, kind: NotificationKind, fromActorId: string, postId: string | null): Promise<boolean> {
    let query = this.#db
      .selectFrom("notifications")
      .select("id")
      .where("actor_id", "=", recipientActorId)
      .where("kind", "=", kind)
      .where("from_actor_id", "=", fromActorId);
    query = postId === null ? query.where("post_id", "is", null) : query.where("post_id", "=", postId);
    return (await query.executeTakeFirst()) !== undefined;
  }

  /** Whether a notification about this ledger entry was already written. */
  async existsForInteraction(interactionId: string, db: Kysely<DB> = this.#db): Promise<boolean> {
    const row = await db.selectFrom("notifications").select("id").where("interaction_id", "=", interactionId).executeTakeFirst();
    return row !== undefined;
  }

  /** A withdrawn or decided follow request is no longer something to act on. */
  async deleteFollowRequest(recipientActorId: string, fromActorId: string, db: Kysely<DB> = this.#db): Promise<void> {
    await db
      .deleteFrom("notifications")
      .where("actor_id", "=", recipientActorId)
      .where("from_actor_id", "=", fromActorId)
      .where("kind", "=", "follow_request")
      .execute();
  }
}
