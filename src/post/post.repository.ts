import { sql, type ExpressionBuilder, type Insertable, type Kysely, type Selectable, type Updateable } from "kysely";
import type { DB, MediaRow, PostRow } from "../db/schema.ts";
import { inTransaction } from "../db/transaction.ts";
import { fromBool, toCount } from "../db/rows.ts";
import { addToCounters, counterKey, lockCounters, readCounterSum, reconcileCounters, type CounterCorrection, type CounterDelta } from "../db/counters.ts";
import { acceptedFolloweesOf } from "../social/followers.repository.ts";
import { blockedTargetsOf } from "../social/block.repository.ts";
import { addToHomeFeeds } from "./home-feed.ts";
import { postFromRow, VISIBILITIES, type Card, type Poll, type Post, type Visibility } from "./post.entity.ts";

/** A page of items and the cursor (exclusive upper bound, an id) of the next older page. */
export interface Page<T> {
  readonly items: readonly T[];
  readonly next: string | null;
}

/**
 * Everything stored about a post except its id and bookkeeping timestamps (scheduling and deletion
 * have their own transitions), plus the raw document of a remote post.
 */
export type PostWrite = Omit<Post, "id" | "scheduledAt" | "deletedAt" | "createdAt" | "updatedAt"> & {
  readonly rawJson: string | null;
};

/**
 * The row of a boost: an `Announce` by `actorId` of `boostOfId`, shown in timelines. It carries no
 * content of its own; everything else is the boosted post's.
 */
export function boostWrite(boost: {
  readonly uri: string;
  readonly actorId: string;
  readonly isLocal: boolean;
  readonly boostOfId: string;
  readonly visibility: Visibility;
  readonly to: readonly string[];
  readonly cc: readonly string[];
  readonly publishedAt: string;
}): PostWrite {
  return {
    ...boost,
    type: "Announce",
    state: "published",
    sourceText: null,
    contentHtml: null,
    summary: null,
    name: null,
    sensitive: false,
    language: null,
    url: null,
    inReplyToUri: null,
    inReplyToId: null,
    quoteUri: null,
    quoteId: null,
    conversationUri: null,
    emojis: [],
    poll: null,
    card: null,
    rawJson: null,
    editedAt: null,
  };
}

/** A mention as stored: the actor's id (URI) and the handle it was written as. */
export interface MentionRef {
  readonly actorUri: string;
  readonly handle: string | null;
}

/** The parts of a post that edits replace: text, mentions, hashtags. */
export interface PostContentUpdate {
  readonly sourceText: string | null;
  readonly contentHtml: string | null;
  readonly summary: string | null;
  readonly name: string | null;
  readonly sensitive: boolean;
  readonly language: string | null;
  readonly emojis: readonly { name: string; url: string }[];
  readonly poll: Poll | null;
  readonly card: Card | null;
  readonly rawJson: string | null;
  readonly editedAt: string | null;
  /** New addressing (local edits that mention someone new); unchanged when absent. */
  readonly to?: readonly string[];
  readonly cc?: readonly string[];
}

export interface PostEdit {
  readonly id: string;
  readonly postId: string;
  readonly contentHtml: string | null;
  readonly sourceText: string | null;
  readonly summary: string | null;
  readonly name: string | null;
  readonly editedAt: string;
}

/** One entry of a home timeline: a post, or a boost with the boosted post. */
export interface TimelineRow {
  readonly entry: Post;
  readonly boosted: Post | null;
}

/** The counters' scope of instance-wide figures (NodeInfo). */
const INSTANCE_SCOPE = "instance";
/** Published local posts and boosts, every visibility: NodeInfo's `localPosts`. */
const LOCAL_POSTS = "posts.local";
/** Boosts by an actor (a boost's row is published while the boosted post is): with its public and unlisted posts, the outbox's `totalItems`. */
const BOOSTS = "posts.boosts";
/** Published posts (not boosts) of an actor with this visibility: the profile's count. */
const postsCounter = (visibility: Visibility): string => `posts.${visibility}`;

/** What decides which counters a post row is counted in. */
export interface Counted {
  readonly actorId: string;
  readonly state: string;
  readonly visibility: string;
  readonly boostOfId: string | null;
  readonly isLocal: boolean;
}

function countedOf(row: { actor_id: string; state: string; visibility: string; boost_of_id: string | null; is_local: number }): Counted {
  return { actorId: row.actor_id, state: row.state, visibility: row.visibility, boostOfId: row.boost_of_id, isLocal: row.is_local === 1 };
}

/**
 * The counter changes of a post row appearing (+1) or leaving (-1) the counted set: the same
 * definitions as the `COUNT(*)` queries these counters replace (and `repairCounters`). Kept for
 * remote actors too (`countByActor` answers for any actor), one upsert per stored post.
 */
export function countDeltas(post: Counted, sign: 1 | -1): CounterDelta[] {
  if (post.state !== "published") return [];
  const deltas: CounterDelta[] = [];
  if (post.boostOfId === null) deltas.push({ scope: post.actorId, name: postsCounter(post.visibility as Visibility), delta: sign });
  else deltas.push({ scope: post.actorId, name: BOOSTS, delta: sign });
  if (post.isLocal) deltas.push({ scope: INSTANCE_SCOPE, name: LOCAL_POSTS, delta: sign });
  return deltas;
}

/** What the calendar shows of a published post. */
export interface CalendarPost {
  readonly id: string;
  readonly uri: string;
  readonly publishedAt: string;
  readonly summary: string | null;
  readonly contentHtml: string | null;
  /** The text as written, for local posts: the calendar's label without parsing the HTML. */
  readonly sourceText: string | null;
}

export class PostRepository {
  readonly #db: Kysely<DB>;

  constructor(db: Kysely<DB>) {
    this.#db = db;
  }

  async findById(id: string, db: Kysely<DB> = this.#db): Promise<Post | null> {
    const row = await db.selectFrom("posts").selectAll().where("id", "=", id).executeTakeFirst();
    return row ? postFromRow(row) : null;
  }

  async findByUri(uri: string, db: Kysely<DB> = this.#db): Promise<Post | null> {
    const row = await db.selectFrom("posts").selectAll().where("uri", "=", uri).executeTakeFirst();
    return row ? postFromRow(row) : null;
  }

  /**
   * A post by its id, or by its human-readable `url` (what people copy from a browser) when the post's
   * id is on that url's origin: a server can claim any address as its post's `url`, but only its own
   * addresses count (issue #10, item 5). Rows stored before that rule may still carry a foreign url;
   * the origin condition keeps them from matching.
   */
  async findByUriOrUrl(uri: string): Promise<Post | null> {
    const byUri = await this.findByUri(uri);
    if (byUri !== null) return byUri;
    const origin = originOf(uri);
    if (origin === null) return null;
    const prefix = `${origin}/`;
    const row = await this.#db
      .selectFrom("posts")
      .selectAll()
      .where("url", "=", uri)
      .where("boost_of_id", "is", null)
      // A prefix test by equality, not LIKE (no wildcards to escape) and not a range (PostgreSQL's
      // collations do not order text by bytes).
      .where(sql<string>`substr(uri, 1, ${prefix.length})`, "=", prefix)
      .orderBy("id")
      .executeTakeFirst();
    return row ? postFromRow(row) : null;
  }

  async findManyByIds(ids: readonly string[]): Promise<Map<string, Post>> {
    const out = new Map<string, Post>();
    if (ids.length === 0) return out;
    const rows = await this.#db.selectFrom("posts").selectAll().where("id", "in", [...new Set(ids)]).execute();
    for (const row of rows) out.set(row.id, postFromRow(row));
    return out;
  }

  /** Posts by uri, in one query (a page of the outbox). */
  async findManyByUris(uris: readonly string[]): Promise<Map<string, Post>> {
    const out = new Map<string, Post>();
    if (uris.length === 0) return out;
    const rows = await this.#db.selectFrom("posts").selectAll().where("uri", "in", [...new Set(uris)]).execute();
    for (const row of rows) out.set(row.uri, postFromRow(row));
    return out;
  }

  /**
   * The app's calendar: for each of `days` (consecutive [from, to) ranges), the actor's own published
   * posts (no boosts) of that range, oldest first, at most `perDay` of each. One statement: a
   * `UNION ALL` of one short range of `posts_actor_published` per day, so a month of an account
   * that posts a hundred times a day reads ~170 rows, not its ~4,000 (issue #15: the calendar read
   * and rendered the first 500 of the window, 72 ms at p50, and showed nothing after the 500th).
   */
  async listLocalPublishedByDay(actorId: string, days: readonly { readonly from: Date; readonly to: Date }[], perDay: number): Promise<CalendarPost[][]> {
    if (days.length === 0) return [];
    const day = (range: { readonly from: Date; readonly to: Date }, i: number) =>
      this.#db
        .selectFrom(
          this.#db
            .selectFrom("posts")
            .select(["id", "uri", "published_at", "summary", "content_html", "source_text"])
            .where("actor_id", "=", actorId)
            .where("is_local", "=", 1)
            .where("state", "=", "published")
            .where("boost_of_id", "is", null)
            .where("published_at", ">=", range.from.toISOString())
            .where("published_at", "<", range.to.toISOString())
            .orderBy("published_at")
            .limit(perDay)
            .as(`d${i}`),
        )
        .selectAll();
    let query = day(days[0]!, 0);
    for (const [i, range] of days.entries()) if (i > 0) query = query.unionAll(day(range, i));
    const rows = await query.execute();
    const out: CalendarPost[][] = days.map(() => []);
    const bounds = days.map((d) => d.to.toISOString());
    for (const row of rows) {
      const at = row.published_at!;
      const index = bounds.findIndex((to) => at < to);
      out[index]!.push({ id: row.id, uri: row.uri, publishedAt: at, summary: row.summary, contentHtml: row.content_html, sourceText: row.source_text });
    }
    for (const list of out) list.sort((a, b) => (a.publishedAt < b.publishedAt ? -1 : a.publishedAt > b.publishedAt ? 1 : 0));
    return out;
  }

  /**
   * Published posts among `uris` and `ids` that `viewer` may see (the `canSee` rule, as SQL), in one
   * query: for lists that show many related posts at once (notifications), not one lookup per row.
   */
  async findVisible(refs: { readonly uris: readonly string[]; readonly ids: readonly string[] }, viewer: { readonly id: string; readonly uri: string }): Promise<{ byUri: Map<string, Post>; byId: Map<string, Post> }> {
    const byUri = new Map<string, Post>();
    const byId = new Map<string, Post>();
    const uris = [...new Set(refs.uris)];
    const ids = [...new Set(refs.ids)];
    if (uris.length === 0 && ids.length === 0) return { byUri, byId };
    const rows = await this.#db
      .selectFrom("posts as p")
      .selectAll("p")
      .where("p.state", "=", "published")
      .where((eb) => eb.or([...(uris.length > 0 ? [eb("p.uri", "in", uris)] : []), ...(ids.length > 0 ? [eb("p.id", "in", ids)] : [])]))
      .where((eb) => visibleTo(eb, viewer))
      .execute();
    for (const row of rows) {
      const post = postFromRow(row);
      byUri.set(post.uri, post);
      byId.set(post.id, post);
    }
    return { byUri, byId };
  }

  /**
   * Published posts of an actor with one of the given visibilities, newest first, paged by id
   * (ids are time-ordered, so the cursor is stable while new posts arrive).
   */
  async listByActor(actorId: string, options: { visibilities: readonly Visibility[]; before?: string | null; limit: number; includeReplies?: boolean }): Promise<Page<Post>> {
    let query = this.#db
      .selectFrom("posts")
      .selectAll()
      .where("actor_id", "=", actorId)
      .where("state", "=", "published")
      .where("visibility", "in", [...options.visibilities])
      .where("boost_of_id", "is", null);
    if (options.includeReplies === false) query = query.where("in_reply_to_uri", "is", null);
    if (options.before) query = query.where("id", "<", options.before);
    const rows = await query.orderBy("id", "desc").limit(options.limit + 1).execute();
    const items = rows.slice(0, options.limit).map(postFromRow);
    return { items, next: rows.length > options.limit ? (items.at(-1)?.id ?? null) : null };
  }

  /**
   * The hashtag page: published local posts tagged `tag` (stored normalised, see `normaliseTag`) that
   * an anonymous visitor may see (`visibleTo` for no one) and that are public — unlisted posts stay
   * out of tag listings, as on Mastodon. Newest first, paged by post id along `post_tags_local`
   * (tag, is_local, post_id): remote posts with the same tag are not even read.
   */
  async listPublicByTag(tag: string, options: { before?: string | null; limit: number }): Promise<Page<Post>> {
    let query = this.#db
      .selectFrom("post_tags as t")
      .innerJoin("posts as p", "p.id", "t.post_id")
      .selectAll("p")
      .where("t.tag", "=", tag)
      .where("t.is_local", "=", 1)
      .where("p.state", "=", "published")
      .where("p.visibility", "=", "public")
      .where("p.boost_of_id", "is", null)
      .where((eb) => visibleTo(eb, ANONYMOUS));
    if (options.before) query = query.where("t.post_id", "<", options.before);
    const rows = await query.orderBy("t.post_id", "desc").limit(options.limit + 1).execute();
    const items = rows.slice(0, options.limit).map(postFromRow);
    return { items, next: rows.length > options.limit ? (items.at(-1)?.id ?? null) : null };
  }

  /**
   * Replies to a post that an anonymous visitor may see (public and unlisted, local or remote),
   * oldest first: the public post page's conversation. Along `posts_in_reply_to_id` (in_reply_to_uri, id).
   */
  async publicRepliesOf(postUri: string, limit: number): Promise<Post[]> {
    const rows = await this.#db
      .selectFrom("posts as p")
      .selectAll("p")
      .where("p.in_reply_to_uri", "=", postUri)
      .where("p.state", "=", "published")
      .where("p.boost_of_id", "is", null)
      .where((eb) => visibleTo(eb, ANONYMOUS))
      .orderBy("p.id")
      .limit(limit)
      .execute();
    return rows.map(postFromRow);
  }

  /**
   * The app's list of sent posts: an actor's own published posts (every visibility: the author sees
   * them all), newest first, paged by id along `posts_actor_id`. `text` narrows it to posts whose
   * source text or content warning contains it, case-insensitively: a LIKE filter on that one
   * actor's range of the index, not a scan of the table (bench/sent-posts-search.ts measures it).
   */
  async listSent(actorId: string, options: { text?: string | null; before?: string | null; limit: number }): Promise<Page<Post>> {
    let query = this.#db
      .selectFrom("posts as p")
      .selectAll("p")
      // The actor is a local account's, so its posts are local: no `is_local` condition, which
      // only skewed PostgreSQL's row estimate towards a sort.
      .where("p.actor_id", "=", actorId)
      .where("p.state", "=", "published")
      .where("p.boost_of_id", "is", null);
    const text = options.text?.trim().toLowerCase() ?? "";
    if (text !== "") {
      const pattern = `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      query = query.where((eb) =>
        eb.or([
          sql<boolean>`lower(coalesce(p.source_text, '')) LIKE ${pattern} ESCAPE '\\'`,
          sql<boolean>`lower(coalesce(p.summary, '')) LIKE ${pattern} ESCAPE '\\'`,
        ]),
      );
    }
    if (options.before) query = query.where("p.id", "<", options.before);
    const rows = await query.orderBy("p.id", "desc").limit(options.limit + 1).execute();
    const items = rows.slice(0, options.limit).map(postFromRow);
    return { items, next: rows.length > options.limit ? (items.at(-1)?.id ?? null) : null };
  }

  /** Published local posts and boosts (NodeInfo's `localPosts`), from the counters. */
  async countLocalPublished(): Promise<number> {
    return await readCounterSum(this.#db, INSTANCE_SCOPE, [LOCAL_POSTS]);
  }

  /** Published posts (not boosts) of an actor with one of the visibilities (profile pages), from the counters. */
  async countByActor(actorId: string, visibilities: readonly Visibility[]): Promise<number> {
    return await readCounterSum(this.#db, actorId, visibilities.map(postsCounter));
  }

  /**
   * The outbox's `totalItems`, from the counters: an outbox lists the standing Create (public or
   * unlisted) and Announce activities whose post is still published, which are exactly the actor's
   * published public and unlisted posts and its boosts (a boost's row goes with its Undo and with
   * the boosted post's deletion; the start-up backfill gives every post its Create).
   */
  async countOutbox(actorId: string): Promise<number> {
    return await readCounterSum(this.#db, actorId, [postsCounter("public"), postsCounter("unlisted"), BOOSTS]);
  }

  /**
   * `herold repair`: recounts the posts module's counters from `posts` (the definitions
   * `countDeltas` maintains) and corrects the stored ones, in one transaction.
   */
  async repairCounters(): Promise<CounterCorrection[]> {
    const names = [LOCAL_POSTS, BOOSTS, ...VISIBILITIES.map(postsCounter)];
    return await this.#db.transaction().execute(async (trx) => {
      await lockCounters(trx, names);
      const truth = new Map<string, number>();
      const perActor = await trx
        .selectFrom("posts")
        .select(["actor_id", "visibility", (eb) => eb.fn.countAll().as("n")])
        .where("state", "=", "published")
        .where("boost_of_id", "is", null)
        .groupBy(["actor_id", "visibility"])
        .execute();
      for (const r of perActor) truth.set(counterKey(r.actor_id, postsCounter(r.visibility as Visibility)), toCount(r.n));
      const boosts = await trx
        .selectFrom("posts")
        .select(["actor_id", (eb) => eb.fn.countAll().as("n")])
        .where("state", "=", "published")
        .where("boost_of_id", "is not", null)
        .groupBy("actor_id")
        .execute();
      for (const r of boosts) truth.set(counterKey(r.actor_id, BOOSTS), toCount(r.n));
      const local = await trx
        .selectFrom("posts")
        .select((eb) => eb.fn.countAll().as("n"))
        .where("is_local", "=", 1)
        .where("state", "=", "published")
        .executeTakeFirst();
      truth.set(counterKey(INSTANCE_SCOPE, LOCAL_POSTS), toCount(local?.n));
      return await reconcileCounters(trx, names, truth);
    });
  }

  async mediaOf(postIds: readonly string[]): Promise<Map<string, Selectable<MediaRow>[]>> {
    const out = new Map<string, Selectable<MediaRow>[]>();
    if (postIds.length === 0) return out;
    const rows = await this.#db.selectFrom("media").selectAll().where("post_id", "in", [...postIds]).orderBy("position").execute();
    for (const row of rows) {
      const list = out.get(row.post_id!) ?? [];
      list.push(row);
      out.set(row.post_id!, list);
    }
    return out;
  }

  // --- writes ---------------------------------------------------------------------------------------

  /**
   * Inserts a post with its mentions and hashtags. Returns false (and writes nothing) when a post with
   * this URI exists already: deliveries repeat, and the unique index decides between racing workers.
   */
  async insert(id: string, write: PostWrite, relations: { mentions: readonly MentionRef[]; tags: readonly string[] }, now: string, db: Kysely<DB> = this.#db): Promise<boolean> {
    // One transaction (the caller's when it has one): the post, its relations and its counters.
    return await inTransaction(db, async (trx) => {
      const inserted = await trx
        .insertInto("posts")
        .values({ id, ...toRow(write), created_at: now, updated_at: now })
        .onConflict((oc) => oc.column("uri").doNothing())
        .returning("id")
        .executeTakeFirst();
      if (inserted === undefined) return false;
      await this.#writeRelations(trx, id, relations, write.isLocal);
      await addToCounters(trx, countDeltas({ actorId: write.actorId, state: write.state, visibility: write.visibility, boostOfId: write.boostOfId, isLocal: write.isLocal }, +1));
      await addToHomeFeeds(trx, { id, actorId: write.actorId, state: write.state, publishedAt: write.publishedAt });
      return true;
    });
  }

  /** Replaces the content of a post; the previous version goes to `post_edits` when `keepVersion` is set. */
  async updateContent(
    post: Post,
    update: PostContentUpdate,
    relations: { mentions: readonly MentionRef[]; tags: readonly string[] },
    options: { now: string; editId: string | null },
    db: Kysely<DB> = this.#db,
  ): Promise<void> {
    if (options.editId !== null) {
      await db
        .insertInto("post_edits")
        .values({
          id: options.editId,
          post_id: post.id,
          content_html: post.contentHtml,
          source_text: post.sourceText,
          summary: post.summary,
          name: post.name,
          edited_at: options.now,
        })
        .execute();
    }
    const set: Updateable<PostRow> = {
      source_text: update.sourceText,
      content_html: update.contentHtml,
      summary: update.summary,
      name: update.name,
      sensitive: fromBool(update.sensitive),
      language: update.language,
      emojis_json: JSON.stringify(update.emojis),
      poll_json: update.poll === null ? null : JSON.stringify(update.poll),
      card_json: update.card === null ? null : JSON.stringify(update.card),
      raw_json: update.rawJson,
      edited_at: update.editedAt,
      updated_at: options.now,
    };
    if (update.to !== undefined) set.to_json = JSON.stringify(update.to);
    if (update.cc !== undefined) set.cc_json = JSON.stringify(update.cc);
    await db.updateTable("posts").set(set).where("id", "=", post.id).execute();
    await db.deleteFrom("post_mentions").where("post_id", "=", post.id).execute();
    await db.deleteFrom("post_tags").where("post_id", "=", post.id).execute();
    await this.#writeRelations(db, post.id, relations, post.isLocal);
  }

  /**
   * Takes the post row's write lock until the transaction ends, changing nothing: votes on one poll
   * are counted one after the other (PostgreSQL; SQLite has a single writer anyway).
   */
  async lockPoll(postId: string, trx: Kysely<DB>): Promise<void> {
    await trx.updateTable("posts").set((eb) => ({ poll_json: eb.ref("poll_json") })).where("id", "=", postId).execute();
  }

  /** Only the poll (vote counts change without an edit). */
  async updatePoll(postId: string, poll: Poll, now: string, db: Kysely<DB> = this.#db): Promise<void> {
    await db.updateTable("posts").set({ poll_json: JSON.stringify(poll), updated_at: now }).where("id", "=", postId).execute();
  }

  /**
   * A deleted post keeps its row (its URI answers 410, the ledger keeps its history) but loses its
   * content, its boosts, its attachments' rows and its place in featured collections.
   */
  async markDeleted(post: Post, now: string, db: Kysely<DB> = this.#db): Promise<void> {
    await inTransaction(db, async (trx) => {
      // Only a post not deleted yet: of two racing deletes, one changes the row and the counters.
      const changed = await trx
        .updateTable("posts")
        .set({
          state: "deleted",
          deleted_at: now,
          updated_at: now,
          source_text: null,
          content_html: null,
          summary: null,
          name: null,
          poll_json: null,
          card_json: null,
          raw_json: null,
          emojis_json: "[]",
        })
        .where("id", "=", post.id)
        .where("state", "<>", "deleted")
        .executeTakeFirst();
      const deltas: CounterDelta[] = [];
      if (Number(changed.numUpdatedRows) > 0) deltas.push(...countDeltas(post, -1));
      const boosts = await trx
        .deleteFrom("posts")
        .where("boost_of_id", "=", post.id)
        .where("type", "=", "Announce")
        .returning(["actor_id", "state", "visibility", "boost_of_id", "is_local"])
        .execute();
      for (const boost of boosts) deltas.push(...countDeltas(countedOf(boost), -1));
      await addToCounters(trx, deltas);
      await trx.deleteFrom("post_tags").where("post_id", "=", post.id).execute();
      await trx.deleteFrom("post_edits").where("post_id", "=", post.id).execute();
      await trx.deleteFrom("media").where("post_id", "=", post.id).execute();
      await trx.deleteFrom("featured").where("post_uri", "=", post.uri).execute();
    });
  }

  async deleteAnnounce(id: string, db: Kysely<DB> = this.#db): Promise<void> {
    await inTransaction(db, async (trx) => {
      const gone = await trx
        .deleteFrom("posts")
        .where("id", "=", id)
        .where("type", "=", "Announce")
        .returning(["actor_id", "state", "visibility", "boost_of_id", "is_local"])
        .execute();
      await addToCounters(trx, gone.flatMap((row) => countDeltas(countedOf(row), -1)));
    });
  }

  async mentionsOf(postId: string): Promise<MentionRef[]> {
    const rows = await this.#db.selectFrom("post_mentions").select(["actor_uri", "handle"]).where("post_id", "=", postId).execute();
    return rows.map((r) => ({ actorUri: r.actor_uri, handle: r.handle }));
  }

  async tagsOf(postId: string): Promise<string[]> {
    const rows = await this.#db.selectFrom("post_tags").select("tag").where("post_id", "=", postId).orderBy("tag").execute();
    return rows.map((r) => r.tag);
  }

  async editsOf(postId: string): Promise<PostEdit[]> {
    const rows = await this.#db.selectFrom("post_edits").selectAll().where("post_id", "=", postId).orderBy("edited_at").orderBy("id").execute();
    return rows.map((r) => ({
      id: r.id,
      postId: r.post_id,
      contentHtml: r.content_html,
      sourceText: r.source_text,
      summary: r.summary,
      name: r.name,
      editedAt: r.edited_at,
    }));
  }

  /**
   * Who may see a post (and so reply to, like or boost it): its author; anyone for public and
   * unlisted posts; mentioned actors; and accepted followers for followers-only posts. A like of a
   * post the actor cannot see is a probe or a forgery, not an interaction (hostile-inputs case 19).
   * This is the one visibility rule: everything the app shows of a post, or derives from posts
   * (context lines, notifications, hashtag suggestions), is filtered by it for the account acted
   * for; queries over many posts use its SQL form, `visibleTo`, which must stay the same rule.
   */
  async canSee(post: Post, viewer: { readonly id: string; readonly uri: string }): Promise<boolean> {
    if (post.actorId === viewer.id || post.visibility === "public" || post.visibility === "unlisted") return true;
    if (await this.mentions(post.id, viewer.uri)) return true;
    if (post.visibility !== "followers") return false;
    const follow = await acceptedFolloweesOf(this.#db, viewer.id).where("follows.followee_id", "=", post.actorId).executeTakeFirst();
    return follow !== undefined;
  }

  /** Whether `actorUri` is among the post's mentions (who may read a direct post). */
  async mentions(postId: string, actorUri: string): Promise<boolean> {
    const row = await this.#db.selectFrom("post_mentions").select("post_id").where("post_id", "=", postId).where("actor_uri", "=", actorUri).executeTakeFirst();
    return row !== undefined;
  }

  /** The boost row of `actorId` for a post, if it has one. */
  async findBoost(actorId: string, postId: string): Promise<Post | null> {
    const row = await this.#db
      .selectFrom("posts")
      .selectAll()
      .where("actor_id", "=", actorId)
      .where("boost_of_id", "=", postId)
      .where("type", "=", "Announce")
      .executeTakeFirst();
    return row ? postFromRow(row) : null;
  }

  /** Replaces a post's remote attachments (rows only: remote media is linked, not copied). */
  async replaceRemoteMedia(postId: string, actorId: string, media: readonly Insertable<MediaRow>[], db: Kysely<DB> = this.#db): Promise<void> {
    await db.deleteFrom("media").where("post_id", "=", postId).where("file_path", "is", null).execute();
    await this.addRemoteMedia(postId, actorId, media, db);
  }

  /** The media of a post just inserted (it has none yet, so there is nothing to replace). */
  async addRemoteMedia(postId: string, actorId: string, media: readonly Insertable<MediaRow>[], db: Kysely<DB> = this.#db): Promise<void> {
    if (media.length > 0) await db.insertInto("media").values(media.map((m) => ({ ...m, post_id: postId, actor_id: actorId }))).execute();
  }

  /**
   * Replies and quotes that arrived before `post` now point at it (threads, counts): one statement
   * for both links (each condition is served by its index, `posts_in_reply_to` and `posts_quote`).
   */
  async linkEarlierArrivals(post: { readonly id: string; readonly uri: string }, db: Kysely<DB> = this.#db): Promise<void> {
    await db
      .updateTable("posts")
      .set((eb) => ({
        in_reply_to_id: eb
          .case()
          .when(eb.and([eb("in_reply_to_uri", "=", post.uri), eb("in_reply_to_id", "is", null)]))
          .then(post.id)
          .else(eb.ref("in_reply_to_id"))
          .end(),
        quote_id: eb
          .case()
          .when(eb.and([eb("quote_uri", "=", post.uri), eb("quote_id", "is", null)]))
          .then(post.id)
          .else(eb.ref("quote_id"))
          .end(),
      }))
      .where((eb) =>
        eb.or([
          eb.and([eb("in_reply_to_uri", "=", post.uri), eb("in_reply_to_id", "is", null)]),
          eb.and([eb("quote_uri", "=", post.uri), eb("quote_id", "is", null)]),
        ]),
      )
      .execute();
  }

  /**
   * Hashtags starting with `prefix` (lower case; LIKE wildcards in it match literally), most used
   * first, counting only published posts `viewer` may see: suggestions must not reveal what other
   * accounts' direct messages and followers-only posts talk about.
   */
  async tagsStartingWith(prefix: string, viewer: { readonly id: string; readonly uri: string }, limit: number): Promise<{ tag: string; uses: number }[]> {
    const pattern = `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const rows = await this.#db
      .selectFrom("post_tags as t")
      .innerJoin("posts as p", "p.id", "t.post_id")
      .select(["t.tag", (eb) => eb.fn.countAll().as("n")])
      .where(sql<boolean>`lower(t.tag) LIKE ${pattern} ESCAPE '\\'`)
      .where("p.state", "=", "published")
      .where((eb) => visibleTo(eb, viewer))
      .groupBy("t.tag")
      .orderBy("n", "desc")
      .orderBy("t.tag")
      .limit(limit)
      .execute();
    return rows.map((r) => ({ tag: r.tag, uses: Number(r.n) }));
  }

  /**
   * How each tag (stored lower case) was written in the earliest post `viewer` may see that carries
   * it: the hashtag suggester offers "#LaunchDay" as the team first wrote it. Tags whose spelling is
   * not found in that post's text are left out (the caller keeps the lower-case form).
   */
  async firstSpellings(tags: readonly string[], viewer: { readonly id: string; readonly uri: string }): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const tag of tags) {
      const row = await this.#db
        .selectFrom("post_tags as t")
        .innerJoin("posts as p", "p.id", "t.post_id")
        .select(["p.source_text", "p.content_html"])
        .where("t.tag", "=", tag)
        .where("p.state", "=", "published")
        .where((eb) => visibleTo(eb, viewer))
        .orderBy("p.published_at")
        .orderBy("p.id")
        .limit(1)
        .executeTakeFirst();
      // Remote posts carry only HTML (`#<span>Tag</span>`): the markup between # and the name is skipped.
      const text = row?.source_text ?? (row?.content_html ?? "").replace(/<[^>]*>/g, "");
      const escaped = tag.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      const found = new RegExp(`#(${escaped})(?![\\p{L}\\p{N}_])`, "iu").exec(text);
      if (found !== null) out.set(tag, found[1]!);
    }
    return out;
  }

  // --- home timeline -------------------------------------------------------------------------------

  /**
   * `actorId`'s home timeline, newest first: the posts and boosts of the accounts it follows
   * (accepted follows only), from its materialised feed (home-feed.ts); of these, the posts
   * the reader may see and the boosts of posts that are still published. Paged by (published_at, id).
   */
  async timeline(actorId: string, actorUri: string, options: { before?: { publishedAt: string; id: string } | null; limit: number }): Promise<TimelineRow[]> {
    let query = this.#db
      .selectFrom("home_feed as f")
      .innerJoin("posts as p", "p.id", "f.post_id")
      .leftJoin("posts as b", "b.id", "p.boost_of_id")
      .selectAll("p")
      // One range of the feed's primary key, read backwards: the follows were applied when writing.
      .where("f.feed_id", "=", actorId)
      // Deleted posts keep their feed rows (a deleted boost loses its posts row, so the join drops it).
      .where("p.state", "=", "published")
      .where((eb) =>
        eb.or([
          eb("p.visibility", "in", ["public", "unlisted", "followers"]),
          eb.exists(eb.selectFrom("post_mentions as m").select("m.post_id").whereRef("m.post_id", "=", "p.id").where("m.actor_uri", "=", actorUri)),
        ]),
      )
      .where((eb) => eb.or([eb("p.boost_of_id", "is", null), eb.and([eb("b.state", "=", "published"), eb("b.visibility", "in", ["public", "unlisted"])])]))
      // Blocks are applied when reading, so a block (and its undoing) changes the timeline at once.
      // Boosts must not carry a blocked author's posts back in (hostile-inputs case 18).
      // (`b.actor_id` is null for a post that is no boost: such rows must stay, hence the `is null`.)
      .where((eb) => eb("p.actor_id", "not in", blockedTargetsOf(eb, actorId)))
      .where((eb) => eb.or([eb("b.actor_id", "is", null), eb("b.actor_id", "not in", blockedTargetsOf(eb, actorId))]));
    if (options.before) {
      const { publishedAt, id } = options.before;
      // A row-value comparison, not `a < x OR (a = x AND id < y)`: both engines turn it into a range
      // of the feed's (feed_id, published_at, post_id) key, read backwards from the cursor.
      query = query.where((eb) => eb(eb.refTuple("f.published_at", "f.post_id"), "<", eb.tuple(publishedAt, id)));
    }
    const rows = await query.orderBy("f.published_at", "desc").orderBy("f.post_id", "desc").limit(options.limit).execute();
    const entries = rows.map(postFromRow);
    const boosted = await this.findManyByIds(entries.flatMap((p) => (p.boostOfId ? [p.boostOfId] : [])));
    return entries.map((entry) => ({ entry, boosted: entry.boostOfId ? (boosted.get(entry.boostOfId) ?? null) : null }));
  }

  // --- featured (pinned) ------------------------------------------------------------------------

  async addFeatured(actorId: string, postUri: string, now: string): Promise<void> {
    await this.#db
      .insertInto("featured")
      .values({ actor_id: actorId, post_uri: postUri, created_at: now })
      .onConflict((oc) => oc.columns(["actor_id", "post_uri"]).doNothing())
      .execute();
  }

  async removeFeatured(actorId: string, postUri: string): Promise<boolean> {
    const result = await this.#db.deleteFrom("featured").where("actor_id", "=", actorId).where("post_uri", "=", postUri).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async featuredOf(actorId: string, limit: number): Promise<string[]> {
    const rows = await this.#db.selectFrom("featured").select("post_uri").where("actor_id", "=", actorId).orderBy("created_at", "desc").limit(limit).execute();
    return rows.map((r) => r.post_uri);
  }

  async #writeRelations(db: Kysely<DB>, postId: string, relations: { mentions: readonly MentionRef[]; tags: readonly string[] }, isLocal: boolean): Promise<void> {
    const mentions = dedupe(relations.mentions, (m) => m.actorUri);
    if (mentions.length > 0) {
      await db.insertInto("post_mentions").values(mentions.map((m) => ({ post_id: postId, actor_uri: m.actorUri, handle: m.handle }))).execute();
    }
    const tags = [...new Set(relations.tags)];
    // `is_local` copies the post's: the hashtag page reads only local posts' tags, in one index range.
    if (tags.length > 0) await db.insertInto("post_tags").values(tags.map((tag) => ({ post_id: postId, tag, is_local: fromBool(isLocal) }))).execute();
  }
}

/** The viewer of public pages: signed in as no one, so `visibleTo` leaves public and unlisted posts. */
export const ANONYMOUS: { readonly id: string; readonly uri: string } = { id: "", uri: "" };

/**
 * `PostRepository.canSee` as a condition on `posts as p`, for queries over many posts: the author;
 * public and unlisted; mentioned; followers-only for accepted followers.
 */
export function visibleTo(eb: ExpressionBuilder<DB & { p: PostRow }, "p">, viewer: { readonly id: string; readonly uri: string }) {
  return eb.or([
    eb("p.actor_id", "=", viewer.id),
    eb("p.visibility", "in", ["public", "unlisted"]),
    eb.exists(eb.selectFrom("post_mentions as vm").select("vm.post_id").whereRef("vm.post_id", "=", "p.id").where("vm.actor_uri", "=", viewer.uri)),
    eb.and([
      eb("p.visibility", "=", "followers"),
      eb("p.actor_id", "in", acceptedFolloweesOf(eb, viewer.id)),
    ]),
  ]);
}

function toRow(write: PostWrite) {
  return {
    uri: write.uri,
    actor_id: write.actorId,
    is_local: fromBool(write.isLocal),
    type: write.type,
    state: write.state,
    visibility: write.visibility,
    source_text: write.sourceText,
    content_html: write.contentHtml,
    summary: write.summary,
    name: write.name,
    sensitive: fromBool(write.sensitive),
    language: write.language,
    url: write.url,
    in_reply_to_uri: write.inReplyToUri,
    in_reply_to_id: write.inReplyToId,
    quote_uri: write.quoteUri,
    quote_id: write.quoteId,
    boost_of_id: write.boostOfId,
    conversation_uri: write.conversationUri,
    to_json: JSON.stringify(write.to),
    cc_json: JSON.stringify(write.cc),
    emojis_json: JSON.stringify(write.emojis),
    poll_json: write.poll === null ? null : JSON.stringify(write.poll),
    card_json: write.card === null ? null : JSON.stringify(write.card),
    raw_json: write.rawJson,
    published_at: write.publishedAt,
    edited_at: write.editedAt,
    scheduled_at: null,
    deleted_at: null,
  };
}

function dedupe<T>(items: readonly T[], key: (item: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const k = key(item);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** `https://host[:port]` of an http(s) URL; null for anything else. */
function originOf(text: string): string | null {
  try {
    const url = new URL(text);
    return url.protocol === "https:" || url.protocol === "http:" ? url.origin : null;
  } catch {
    return null;
  }
}
