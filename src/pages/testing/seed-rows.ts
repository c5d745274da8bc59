import type { Kysely } from "kysely";
import type { DB } from "../../db/schema.ts";
import { newId } from "../../lib/id.ts";
import type { RemoteActorData } from "../../actor/actor.entity.ts";
import { remoteActorData as sharedRemoteActorData } from "../../testing/fixtures.ts";
import type { PostState, Visibility } from "../../post/post.entity.ts";
import { addToCounters } from "../../db/counters.ts";
import { countDeltas } from "../../post/post.repository.ts";
import { AcceptedFollows } from "../../social/accepted-follows.ts";
import { homeFeedFollowsListener } from "../../post/home-feed.ts";

/**
 * Test data for the page tests: rows written straight into the tables, so the pages can be checked
 * before (and independently of) the services that will write posts and follows in production. The
 * counters the repositories keep with those writes are kept here too (db/counters.ts).
 */
export interface FixturePost {
  readonly actorId: string;
  readonly uri: (id: string) => string;
  readonly contentHtml?: string;
  readonly visibility?: Visibility;
  readonly state?: PostState;
  readonly summary?: string | null;
  readonly sensitive?: boolean;
  readonly language?: string | null;
  readonly inReplyToUri?: string | null;
  readonly quoteUri?: string | null;
  readonly publishedAt?: string;
  readonly editedAt?: string | null;
  readonly isLocal?: boolean;
  readonly boostOfId?: string | null;
  /** Hashtags, stored as the posts module stores them (normalised, without `#`). */
  readonly tags?: readonly string[];
}

export async function insertPost(db: Kysely<DB>, input: FixturePost): Promise<string> {
  const id = newId();
  const now = input.publishedAt ?? new Date().toISOString();
  const state = input.state ?? "published";
  await db
    .insertInto("posts")
    .values({
      id,
      uri: input.uri(id),
      actor_id: input.actorId,
      is_local: input.isLocal === false ? 0 : 1,
      type: input.boostOfId ? "Announce" : "Note",
      state,
      visibility: input.visibility ?? "public",
      content_html: input.contentHtml ?? `<p>Post ${id}</p>`,
      summary: input.summary ?? null,
      sensitive: input.sensitive ? 1 : 0,
      language: input.language ?? "en",
      in_reply_to_uri: input.inReplyToUri ?? null,
      quote_uri: input.quoteUri ?? null,
      boost_of_id: input.boostOfId ?? null,
      published_at: state === "published" || state === "deleted" ? now : null,
      edited_at: input.editedAt ?? null,
      deleted_at: state === "deleted" ? now : null,
      created_at: now,
      updated_at: now,
    })
    .execute();
  if (input.tags !== undefined && input.tags.length > 0) await db.insertInto("post_tags").values(input.tags.map((tag) => ({ post_id: id, tag, is_local: input.isLocal === false ? 0 : 1 }))).execute();
  const counted = { actorId: input.actorId, state, visibility: input.visibility ?? "public", boostOfId: input.boostOfId ?? null, isLocal: input.isLocal !== false };
  await addToCounters(db, countDeltas(counted, +1));
  return id;
}

export interface FixtureMedia {
  readonly actorId: string;
  readonly postId: string;
  readonly position: number;
  readonly kind?: string;
  /** Stored on this server, under the media service's layout (`media/<id>.<ext>`). */
  readonly local?: boolean;
  readonly remoteUrl?: string | null;
  readonly description?: string | null;
  readonly mimeType?: string;
}

export async function insertMedia(db: Kysely<DB>, input: FixtureMedia): Promise<string> {
  const id = newId();
  await db
    .insertInto("media")
    .values({
      id,
      actor_id: input.actorId,
      post_id: input.postId,
      position: input.position,
      kind: input.kind ?? "image",
      mime_type: input.mimeType ?? "image/png",
      remote_url: input.remoteUrl ?? null,
      file_path: input.local ? `media/${id}.${(input.mimeType ?? "image/png").split("/")[1]}` : null,
      width: 640,
      height: 480,
      description: input.description ?? null,
      created_at: new Date().toISOString(),
    })
    .execute();
  return id;
}

export async function insertFollow(db: Kysely<DB>, followerId: string, followeeId: string, state: "pending" | "accepted"): Promise<void> {
  const now = new Date().toISOString();
  await db
    .insertInto("follows")
    .values({ id: newId(), follower_id: followerId, followee_id: followeeId, state, uri: null, created_at: now, accepted_at: state === "accepted" ? now : null, updated_at: now })
    .execute();
  if (state === "accepted") await seededFollows().changed(db, [{ follower_id: followerId, followee_id: followeeId }], +1, now);
}

/** A ledger entry (social's `interactions`), as an inbound Like, Announce or reply records it. */
export async function insertInteraction(db: Kysely<DB>, input: { kind: "like" | "boost" | "reply"; postId: string; actorId: string; undone?: boolean }): Promise<void> {
  const now = new Date().toISOString();
  await db
    .insertInto("interactions")
    .values({ id: newId(), kind: input.kind, post_id: input.postId, actor_id: input.actorId, activity_uri: `https://remote.example/activities/${newId()}`, object_uri: null, content: null, created_at: now, undone_at: input.undone === true ? now : null })
    .execute();
}

/** Remote actors with an avatar URL (the pages must never show it: no hot-linking). */
export function remoteActorData(host: string, username: string): RemoteActorData {
  return sharedRemoteActorData(host, username, { iconUrl: `https://${host}/avatars/${username}.png` });
}

/** Follows written with plain SQL keep what the repositories keep: social's counters and the home timelines. */
function seededFollows(): AcceptedFollows {
  const accepted = new AcceptedFollows();
  accepted.on(homeFeedFollowsListener);
  return accepted;
}
