import type { Kysely } from "kysely";
import type { DB } from "../db/schema.ts";
import type { PostRepository } from "../post/post.repository.ts";
import { INTERACTION_KINDS, type Interaction, type InteractionKind, type InteractionRepository, type PostCounts } from "./interaction.repository.ts";
import type { NotificationKind } from "./notification.repository.ts";
import type { NotificationService } from "./notification.service.ts";

export interface RecordInteraction {
  readonly kind: InteractionKind;
  /** The Herold post interacted with. */
  readonly postId: string;
  /** Who interacted (remote or local). */
  readonly actorId: string;
  /** Id of the Like/Announce/Create/EmojiReact activity: the ledger is idempotent on it. */
  readonly activityUri: string;
  /** The reply, quote or vote object, when there is one. */
  readonly objectUri?: string | null;
  /** The emoji of a reaction (already sanitised). */
  readonly content?: string | null;
  /** When it happened (ISO-8601). */
  readonly at: string;
}

/**
 * Which notification an interaction gives its post's author. Votes give none (Mastodon notifies poll
 * ends, not votes); a mention is recorded on the mentioning post, whose author is not the one to tell —
 * the caller notifies the mentioned account itself.
 */
const NOTIFICATION_OF: Record<InteractionKind, NotificationKind | null> = {
  like: "like",
  boost: "boost",
  reply: "reply",
  quote: "quote",
  react: "react",
  mention: null,
  vote: null,
};

/** Kinds one actor does at most once per post; a repeat does not notify again. */
const ONCE_PER_POST: ReadonlySet<InteractionKind> = new Set(["like", "boost", "react"]);

/**
 * The interaction ledger: every like, boost, reply, quote, reaction, mention and vote on a Herold post,
 * with undos recorded as `undone_at` (never erased), so analytics can count gross and net figures.
 */
export class InteractionService {
  readonly #interactions: InteractionRepository;
  readonly #posts: PostRepository;
  readonly #notifications: NotificationService;

  constructor(deps: { interactions: InteractionRepository; posts: PostRepository; notifications: NotificationService }) {
    this.#interactions = deps.interactions;
    this.#posts = deps.posts;
    this.#notifications = deps.notifications;
  }

  /**
   * Records an interaction once per activity id and notifies the post's local author the first time.
   * Callers pass a post and actor they have already looked up; anything else is a programming error.
   * With `db` (the caller's transaction, e.g. a local like's outbox transaction) the entry and its
   * notification commit with the caller's write; every read goes through `db` too, since on SQLite
   * a query outside the transaction would wait forever for its one connection.
   */
  async record(input: RecordInteraction, db?: Kysely<DB>): Promise<{ interactionId: string; created: boolean }> {
    if (!INTERACTION_KINDS.includes(input.kind)) throw new Error(`unknown interaction kind ${JSON.stringify(input.kind)}`);
    // Only a kind that notifies needs the post (its author); for the others (mentions, votes) the
    // foreign key refuses an unknown post, as it refuses an unknown actor.
    const kind = NOTIFICATION_OF[input.kind];
    const post = kind !== null ? await this.#posts.findById(input.postId, db) : undefined;
    if (post === null) throw new Error(`interaction on unknown post ${input.postId}`);
    const { interaction, created } = await this.#interactions.insert({
      kind: input.kind,
      postId: input.postId,
      actorId: input.actorId,
      activityUri: input.activityUri,
      objectUri: input.objectUri ?? null,
      content: input.content ?? null,
      at: input.at,
    }, db);
    // The ledger row and its notification are two writes, not always in one transaction. A job
    // retried after a crash between them finds the row (created = false) and must still write the
    // notification, so a repeat checks the notification itself; a row just created has none yet.
    if (kind !== null && post !== undefined && interaction.undoneAt === null && (created || !(await this.#notifications.existsForInteraction(interaction.id, db)))) {
      const repeated = ONCE_PER_POST.has(input.kind) && (await this.#interactions.hasOtherActive(input.actorId, input.postId, input.kind, interaction.id, db));
      if (!repeated) {
        await this.#notifications.notify({
          recipientActorId: post.actorId,
          kind,
          fromActorId: input.actorId,
          postId: post.id,
          interactionId: interaction.id,
        }, db);
      }
    }
    return { interactionId: interaction.id, created };
  }

  /** Marks the interaction of this activity undone — only when `actorId` made it. True when it was active. */
  async undo(activityUri: string, actorId: string, at: string, db?: Kysely<DB>): Promise<boolean> {
    return (await this.#interactions.markUndone(activityUri, actorId, at, db)) !== null;
  }

  /** The actor's newest interaction of this kind on a post that is not undone (what unlike and unboost undo). */
  async active(actorId: string, postId: string, kind: InteractionKind): Promise<Interaction | null> {
    return await this.#interactions.latestActive(actorId, postId, [kind]);
  }

  /** Which of these kinds the actor has active on each of these posts (the app's like and boost buttons). */
  async activeOn(actorId: string, postIds: readonly string[], kinds: readonly InteractionKind[]): Promise<Array<{ postId: string; kind: InteractionKind }>> {
    return await this.#interactions.activeOn(actorId, postIds, kinds);
  }

  /** Active likes, boosts and replies per post, for a whole page in one query (posts without any are absent). */
  async countsOf(postIds: readonly string[]): Promise<Map<string, PostCounts>> {
    return await this.#interactions.activeCountsOf(postIds);
  }

  /**
   * Undoes the actor's newest active interaction of these kinds on a post. For Undo activities that
   * name the post but not the original activity id (Mastodon matches likes the same way).
   */
  async undoLatest(input: { actorId: string; postId: string; kinds: readonly InteractionKind[]; at: string }): Promise<Interaction | null> {
    const latest = await this.#interactions.latestActive(input.actorId, input.postId, input.kinds);
    if (latest === null) return null;
    return await this.#interactions.markUndone(latest.activityUri, input.actorId, input.at);
  }

  get(interactionId: string): Promise<Interaction | null> {
    return this.#interactions.findById(interactionId);
  }

  findByActivityUri(activityUri: string): Promise<Interaction | null> {
    return this.#interactions.findByActivityUri(activityUri);
  }

  /** The options an actor has voted for on a poll. */
  votesBy(postId: string, actorId: string, db?: Kysely<DB>): Promise<string[]> {
    return this.#interactions.votesBy(postId, actorId, db);
  }

  /** Distinct interacting accounts and servers per post (insights). */
  interactorCounts(postIds: readonly string[]): ReturnType<InteractionRepository["interactorCounts"]> {
    return this.#interactions.interactorCounts(postIds);
  }

  /** The active counted entries on a post, newest first (insights' post page). */
  countedOn(postId: string, limit: number): ReturnType<InteractionRepository["countedOn"]> {
    return this.#interactions.countedOn(postId, limit);
  }

  /** Gross and net counts per kind for one post. */
  countsByPost(postId: string): ReturnType<InteractionRepository["countsByPost"]> {
    return this.#interactions.countsByPost(postId);
  }
}
