import type { Selectable } from "kysely";
import type { PostRow } from "../db/schema.ts";
import { parseJson, toBool } from "../db/rows.ts";

export const VISIBILITIES = ["public", "unlisted", "followers", "direct"] as const;
export type Visibility = (typeof VISIBILITIES)[number];

export const POST_STATES = ["draft", "scheduled", "published", "deleted"] as const;
export type PostState = (typeof POST_STATES)[number];

export interface Poll {
  readonly options: readonly { name: string; votes: number }[];
  readonly multiple: boolean;
  readonly endsAt: string | null;
  readonly voters: number | null;
}

/** A link card for objects Herold cannot show natively (Event, Video, unknown types). */
export interface Card {
  readonly title: string | null;
  readonly summary: string | null;
  readonly url: string | null;
  readonly image: string | null;
}

export interface Post {
  readonly id: string;
  readonly uri: string;
  readonly actorId: string;
  readonly isLocal: boolean;
  readonly type: string;
  readonly state: PostState;
  readonly visibility: Visibility;
  readonly sourceText: string | null;
  readonly contentHtml: string | null;
  readonly summary: string | null;
  readonly name: string | null;
  readonly sensitive: boolean;
  readonly language: string | null;
  readonly url: string | null;
  readonly inReplyToUri: string | null;
  readonly inReplyToId: string | null;
  readonly quoteUri: string | null;
  readonly quoteId: string | null;
  readonly boostOfId: string | null;
  readonly conversationUri: string | null;
  readonly to: readonly string[];
  readonly cc: readonly string[];
  readonly emojis: readonly { name: string; url: string }[];
  readonly poll: Poll | null;
  readonly card: Card | null;
  readonly publishedAt: string | null;
  readonly editedAt: string | null;
  readonly scheduledAt: string | null;
  readonly deletedAt: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export function postFromRow(row: Selectable<PostRow>): Post {
  return {
    id: row.id,
    uri: row.uri,
    actorId: row.actor_id,
    isLocal: toBool(row.is_local),
    type: row.type,
    state: row.state as PostState,
    visibility: row.visibility as Visibility,
    sourceText: row.source_text,
    contentHtml: row.content_html,
    summary: row.summary,
    name: row.name,
    sensitive: toBool(row.sensitive),
    language: row.language,
    url: row.url,
    inReplyToUri: row.in_reply_to_uri,
    inReplyToId: row.in_reply_to_id,
    quoteUri: row.quote_uri,
    quoteId: row.quote_id,
    boostOfId: row.boost_of_id,
    conversationUri: row.conversation_uri,
    to: parseJson(row.to_json, []),
    cc: parseJson(row.cc_json, []),
    emojis: parseJson(row.emojis_json, []),
    poll: parseJson(row.poll_json, null),
    card: parseJson(row.card_json, null),
    publishedAt: row.published_at,
    editedAt: row.edited_at,
    scheduledAt: row.scheduled_at,
    deletedAt: row.deleted_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
