import type { Selectable } from "kysely";
import type { ActorRow } from "../db/schema.ts";
import { parseJson, toBool } from "../db/rows.ts";
import type { ProfileField } from "../account/account.entity.ts";

/** An actor, local or remote, as stored. Remote strings are sanitised before they are stored. */
export interface Actor {
  readonly id: string;
  readonly uri: string;
  readonly isLocal: boolean;
  readonly type: string;
  readonly username: string;
  readonly domain: string;
  /** `username@domain`, the handle people type. */
  readonly handle: string;
  readonly name: string | null;
  readonly summaryHtml: string | null;
  readonly url: string | null;
  readonly inboxUrl: string | null;
  readonly sharedInboxUrl: string | null;
  readonly outboxUrl: string | null;
  readonly followersUrl: string | null;
  readonly followingUrl: string | null;
  readonly featuredUrl: string | null;
  readonly publicKeyId: string | null;
  readonly publicKeyPem: string | null;
  readonly iconUrl: string | null;
  readonly imageUrl: string | null;
  readonly fields: readonly ProfileField[];
  readonly alsoKnownAs: readonly string[];
  readonly movedToUri: string | null;
  readonly manuallyApprovesFollowers: boolean;
  readonly discoverable: boolean;
  readonly emojis: readonly { name: string; url: string }[];
  readonly publishedAt: string | null;
  readonly fetchedAt: string | null;
  readonly goneAt: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export function actorFromRow(row: Selectable<ActorRow>): Actor {
  return {
    id: row.id,
    uri: row.uri,
    isLocal: toBool(row.is_local),
    type: row.type,
    username: row.username,
    domain: row.domain,
    handle: `${row.username}@${row.domain}`,
    name: row.name,
    summaryHtml: row.summary_html,
    url: row.url,
    inboxUrl: row.inbox_url,
    sharedInboxUrl: row.shared_inbox_url,
    outboxUrl: row.outbox_url,
    followersUrl: row.followers_url,
    followingUrl: row.following_url,
    featuredUrl: row.featured_url,
    publicKeyId: row.public_key_id,
    publicKeyPem: row.public_key_pem,
    iconUrl: row.icon_url,
    imageUrl: row.image_url,
    fields: parseJson(row.fields_json, []),
    alsoKnownAs: parseJson(row.also_known_as_json, []),
    movedToUri: row.moved_to_uri,
    manuallyApprovesFollowers: toBool(row.manually_approves_followers),
    discoverable: toBool(row.discoverable),
    emojis: parseJson(row.emojis_json, []),
    publishedAt: row.published_at,
    fetchedAt: row.fetched_at,
    goneAt: row.gone_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/**
 * The fields a remote actor document provides, already validated and sanitised: an Actor without
 * what Herold itself assigns (id, bookkeeping times), plus the document as fetched.
 */
export type RemoteActorData = Omit<Actor, "id" | "isLocal" | "handle" | "fetchedAt" | "goneAt" | "createdAt" | "updatedAt"> & {
  readonly rawJson: string;
};
