import type { Federation, RequestContext } from "@fedify/fedify";
import { Activity, Announce, Create, Note, type Object as APObject, type Question } from "@fedify/vocab";
import type { Clock } from "../lib/time.ts";
import type { Kysely } from "kysely";
import type { Account } from "../account/account.entity.ts";
import type { AccountRepository } from "../account/account.repository.ts";
import type { Urls } from "../app/urls.ts";
import type { DB } from "../db/schema.ts";
import { toCount } from "../db/rows.ts";
import type { FedifyRegistration } from "../federation/federation.deps.ts";
import { standingActivitiesOf, type OutboxRepository } from "../federation/outbound/outbox.repository.ts";
import { activeLikesOf } from "../social/interaction.queries.ts";
import { isId } from "../lib/id.ts";
import { logger } from "../lib/logger.ts";
import { buildCreate, buildNote } from "./note.builder.ts";
import type { PostAccess } from "./post.access.ts";
import type { Post } from "./post.entity.ts";
import type { PostRepository } from "./post.repository.ts";

const log = logger("post", "dispatch");

/** Items per page of the outbox and liked collections (Mastodon serves 20). */
export const COLLECTION_PAGE_SIZE = 20;
const FIRST_PAGE = "latest";
const MAX_FEATURED = 50;

export interface DispatcherDeps {
  readonly db: Kysely<DB>;
  readonly urls: Urls;
  readonly accounts: AccountRepository;
  readonly posts: PostRepository;
  readonly access: PostAccess;
  readonly outbox: Pick<OutboxRepository, "findOwned">;
  /** "Now" for a poll's `closed`. */
  readonly clock: Clock;
}

/**
 * The pull side: every local post and activity dereferences by its id, and the outbox, liked and
 * featured collections are served as paged OrderedCollections, all through Fedify (content
 * negotiation, JSON-LD). Posts and activities the requester may not see answer like ones that do not
 * exist; with authorized fetch on, unsigned requests get 401. Deleted posts are answered with 410 by
 * the route in post.routes.ts, which Fedify falls through to.
 */
export function postDispatchers(deps: DispatcherDeps): FedifyRegistration {
  const { db, urls, accounts, posts, access, outbox } = deps;
  const signers = new WeakMap<Request, Promise<string | null>>();
  /** The verified key owner of this request (once per request), or null when it is unsigned or invalid. */
  const signerOf = (ctx: RequestContext<void>): Promise<string | null> => {
    let signer = signers.get(ctx.request);
    if (signer === undefined) {
      signer = ctx.getSignedKeyOwner().then(
        (owner) => owner?.id?.href ?? null,
        (error: unknown) => {
          log.debug("signature of {url} not verified: {error}", { url: ctx.url.href, error });
          return null;
        },
      );
      signers.set(ctx.request, signer);
    }
    return signer;
  };
  const authorize = async (ctx: RequestContext<void>): Promise<boolean> => access.allowsUnsigned() || (await signerOf(ctx)) !== null;

  const accountOf = async (identifier: string): Promise<Account | null> => {
    const account = await accounts.findByUsername(identifier);
    return account !== null && account.username === identifier ? account : null;
  };

  const noteOf = async (post: Post, account: Account): Promise<Note | Question> => {
    const [mentions, tags, media] = await Promise.all([posts.mentionsOf(post.id), posts.tagsOf(post.id), posts.mediaOf([post.id])]);
    return buildNote({ post, authorUri: account.uri, mentions, tags, media: media.get(post.id) ?? [] }, urls, deps.clock.now().toISOString());
  };

  /**
   * Stored activities as served: a Create shows the post as it is now (after edits), others as sent.
   * The posts of a page's Creates are read in one query (`findManyByUris`), not one per item.
   */
  const activitiesOf = async (rows: readonly StoredRow[], account: Account): Promise<Activity[]> => {
    const uris = rows.flatMap((r) => (r.type === "Create" && r.object_uri !== null ? [r.object_uri] : []));
    const postsByUri = await posts.findManyByUris(uris);
    const items: Activity[] = [];
    for (const row of rows) {
      if (row.type === "Create" && row.object_uri !== null) {
        const post = postsByUri.get(row.object_uri);
        if (post === undefined || post.state !== "published" || post.actorId !== account.actorId) continue;
        // A post never edited is exactly what its stored Create carries (the bridge serialised
        // buildCreate's document when it sent it), so the page serves that document as it is.
        // Building the Note again costs a JSON-LD compaction per item (~1.5 ms: a 20-item page far
        // back in the outbox took 27 ms at p50); an edited post is rebuilt from the row as it is now,
        // and so is a poll, whose counts change after it was sent.
        if (post.editedAt === null && post.poll === null) items.push(storedActivity(row));
        else items.push(buildCreate(await noteOf(post, account), post, account.uri).clone({ id: new URL(row.uri) }));
        continue;
      }
      items.push(storedActivity(row));
    }
    return items;
  };
  const activityOf = async (row: StoredRow, account: Account): Promise<Activity | null> => (await activitiesOf([row], account))[0] ?? null;

  return (fedify: Federation<void>) => {
    fedify
      .setObjectDispatcher(Note, "/users/{identifier}/posts/{id}", async (ctx, { identifier, id }) => {
        if (!isId(id)) return null;
        const [account, post] = await Promise.all([accountOf(identifier), posts.findById(id)]);
        if (account === null || post === null || post.actorId !== account.actorId || !post.isLocal || post.boostOfId !== null) return null;
        if (post.state !== "published") return null;
        if (!(await access.canReadPost(post, () => signerOf(ctx)))) return null;
        // A poll is a Question at the same path: Fedify routes by path and serialises whatever object
        // it is handed; the class given to the dispatcher only types it (one path, one dispatcher).
        return (await noteOf(post, account)) as Note;
      })
      .authorize(authorize);

    fedify
      .setObjectDispatcher(Activity, "/users/{identifier}/activities/{id}", async (ctx, { identifier, id }) => {
        if (!isId(id)) return null;
        const account = await accountOf(identifier);
        if (account === null) return null;
        const stored = await outbox.findOwned(urls.activity(identifier, id), account.actorId);
        if (stored === null) return null;
        if (!(await access.canReadActivity(stored, () => signerOf(ctx)))) return null;
        return await activityOf({ uri: stored.uri, type: stored.type, object_uri: stored.objectUri, json: stored.json }, account);
      })
      .authorize(authorize);

    fedify
      .setOutboxDispatcher("/users/{identifier}/outbox", async (_ctx, identifier, cursor) => {
        const account = await accountOf(identifier);
        if (account === null) return null;
        const paged = cursor !== null && cursor !== FIRST_PAGE;
        if (paged && !isId(cursor)) return null;
        const rows = await outboxPageQuery(db, account.actorId, paged ? cursor : null).execute();
        const page = rows.slice(0, COLLECTION_PAGE_SIZE);
        const items = await activitiesOf(page, account);
        return { items, nextCursor: rows.length > COLLECTION_PAGE_SIZE ? (page.at(-1)?.id ?? null) : null };
      })
      .setCounter(async (_ctx, identifier) => {
        const account = await accountOf(identifier);
        if (account === null) return null;
        return await posts.countOutbox(account.actorId);
      })
      .setFirstCursor(() => FIRST_PAGE)
      .authorize(authorize);

    fedify
      .setLikedDispatcher("/users/{identifier}/liked", async (_ctx, identifier, cursor) => {
        const account = await accountOf(identifier);
        if (account === null) return null;
        let query = likedQuery(db, account.actorId).select(["i.id", "p.uri"]);
        if (cursor !== null && cursor !== FIRST_PAGE) {
          if (!isId(cursor)) return null;
          query = query.where("i.id", "<", cursor);
        }
        const rows = await query.orderBy("i.id", "desc").limit(COLLECTION_PAGE_SIZE + 1).execute();
        const page = rows.slice(0, COLLECTION_PAGE_SIZE);
        return { items: page.map((r) => new URL(r.uri)), nextCursor: rows.length > COLLECTION_PAGE_SIZE ? (page.at(-1)?.id ?? null) : null };
      })
      .setCounter(async (_ctx, identifier) => {
        const account = await accountOf(identifier);
        if (account === null) return null;
        const row = await likedQuery(db, account.actorId).select((eb) => eb.fn.countAll().as("n")).executeTakeFirst();
        return toCount(row?.n);
      })
      .setFirstCursor(() => FIRST_PAGE)
      .authorize(authorize);

    fedify
      .setFeaturedDispatcher("/users/{identifier}/featured", async (_ctx, identifier) => {
        const account = await accountOf(identifier);
        if (account === null) return null;
        const items: APObject[] = [];
        for (const uri of await posts.featuredOf(account.actorId, MAX_FEATURED)) {
          const post = await posts.findByUri(uri);
          if (post === null || post.actorId !== account.actorId || post.state !== "published" || !post.isLocal) continue;
          if (post.visibility !== "public" && post.visibility !== "unlisted") continue;
          items.push(await noteOf(post, account));
        }
        return { items };
      })
      .authorize(authorize);
  };
}

interface StoredRow {
  readonly uri: string;
  readonly type: string;
  readonly object_uri: string | null;
  readonly json: string;
}

/**
 * An activity served as the document the bridge stored when it sent it (compact JSON-LD), without
 * parsing it back into Fedify's vocabulary: expanding a Create with its Note costs ~1–3 ms of
 * JSON-LD processing, and serialising it again as much. Fedify serves an object's cached JSON-LD
 * as it is; only the subclass may set that cache (a protected member), so the few types the outbox
 * lists have one here. The id is set too: Fedify's collection code reads items' ids.
 */
class StoredCreate extends Create {
  constructor(id: URL, json: unknown) {
    super({ id });
    this._cachedJsonLd = json;
  }
}
class StoredAnnounce extends Announce {
  constructor(id: URL, json: unknown) {
    super({ id });
    this._cachedJsonLd = json;
  }
}
class StoredOther extends Activity {
  constructor(id: URL, json: unknown) {
    super({ id });
    this._cachedJsonLd = json;
  }
}

function storedActivity(row: StoredRow): Activity {
  const id = new URL(row.uri);
  const json: unknown = JSON.parse(row.json);
  switch (row.type) {
    case "Create":
      return new StoredCreate(id, json);
    case "Announce":
      return new StoredAnnounce(id, json);
    default:
      return new StoredOther(id, json);
  }
}

/**
 * The outbox lists Create and Announce activities of public and unlisted posts that still stand:
 * Creates whose post was deleted and Announces that were undone are left out. The activities are
 * federation's (its subquery); whether their post still stands is this module's.
 */
/** One outbox page (and one more row, telling whether a next page exists), newest first; exported for the query-plan test. */
export function outboxPageQuery(db: Kysely<DB>, actorId: string, before: string | null) {
  let query = outboxQuery(db, actorId).select(["a.id", "a.uri", "a.type", "a.object_uri", "a.json"]);
  if (before !== null) query = query.where("a.id", "<", before);
  return query.orderBy("a.id", "desc").limit(COLLECTION_PAGE_SIZE + 1);
}

function outboxQuery(db: Kysely<DB>, actorId: string) {
  return db
    .selectFrom(standingActivitiesOf(db, actorId).as("a"))
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom("posts as p")
          .select("p.id")
          .whereRef("p.uri", "=", "a.object_uri")
          .where("p.state", "=", "published"),
      ),
    );
}

/** Public and unlisted posts the account likes now (undone likes are left out). */
function likedQuery(db: Kysely<DB>, actorId: string) {
  return db
    .selectFrom(activeLikesOf(db, actorId).as("i"))
    .innerJoin("posts as p", "p.id", "i.post_id")
    .where("p.state", "=", "published")
    .where("p.visibility", "in", ["public", "unlisted"]);
}
