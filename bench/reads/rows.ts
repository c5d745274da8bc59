/**
 * The rows of the generated data set, exactly as Herold's repositories write them (read beside
 * src/actor/actor.repository.ts `upsertRemote`, src/post/post.repository.ts `insert`/`boostWrite`,
 * src/social/follow.repository.ts, interaction.repository.ts, notification.repository.ts, and the
 * outbound bridge's outbox rows). acme's own posts and their Create activities are copies of one
 * post published through PostService (`LocalTemplate`), with id, times and text replaced.
 * Every id is `idAt(ms)` of its row's own time, so ids are time-ordered as `newId()` makes them.
 */
import { idAt } from "./ids.ts";
import type { Shape } from "./shape.ts";
import type { Value } from "./sink.ts";

export type Row = Record<string, Value>;

const PUBLIC = "https://www.w3.org/ns/activitystreams#Public";
const DAY = 86_400_000;

/** One local post as PostService stored it, and the Create activity the bridge stored for it. */
export interface LocalTemplate {
  readonly post: Row;
  readonly outbox: Row;
  readonly postId: string;
  readonly activityId: string;
  /** Its publication time. */
  readonly publishedMs: number;
  /** The text it was published with; copies replace it (plain words: the same in text, HTML and JSON). */
  readonly mark: string;
}

export interface Acme {
  readonly actorId: string;
  readonly uri: string;
  readonly profileUrl: string;
  readonly handle: string;
}

export interface RemoteActor {
  readonly id: string;
  readonly uri: string;
  readonly url: string;
  readonly followersUrl: string;
  readonly username: string;
  readonly domain: string;
}

const WORDS = (
  "launch update team product release event spring autumn customers feedback thanks community open source " +
  "conference talk workshop webinar blog article news partner support service hiring office city report " +
  "quarter roadmap feature improvement security privacy accessibility design research data climate energy"
).split(" ");

/** Varied plain text: letters, digits and spaces only, so it is the same escaped or not. */
export function words(seed: number, count: number): string {
  let out = "";
  let x = seed * 2654435761 + 1;
  for (let i = 0; i < count; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    out += (i === 0 ? "" : " ") + WORDS[(x >>> 12) % WORDS.length];
  }
  return out;
}

/** The time plan: when each of acme's posts and each remote Note was published, over `days` up to `end`. */
export class Timeline {
  readonly start: number;
  readonly end: number;
  readonly #shape: Shape;

  constructor(shape: Shape, end: number) {
    this.#shape = shape;
    this.end = end;
    this.start = end - shape.days * DAY;
  }
  acmePost(i: number): number {
    return this.start + Math.floor(((i + 0.5) * (this.end - this.start)) / this.#shape.acmePosts);
  }
  remoteNote(j: number): number {
    return this.start + Math.floor(((j + 0.3) * (this.end - this.start)) / this.#shape.remoteNotes);
  }
  /** Likes and boosts of acme's post `i` arrive one after the other, before its next post. */
  interaction(i: number, k: number): number {
    const gap = Math.min(60_000, Math.floor((this.end - this.start) / this.#shape.acmePosts / (this.#shape.interactionsPerPost + 2)));
    return this.acmePost(i) + (k + 1) * gap;
  }
  /** Actors were first seen early in the history (fetched when they first followed or posted). */
  actorSeen(k: number): number {
    return this.start - DAY + Math.floor((k * DAY) / this.#shape.actors);
  }
  follower(f: number): number {
    return this.start + Math.floor(((f + 0.5) * (this.end - this.start)) / this.#shape.followers);
  }
  followee(g: number): number {
    return this.start - DAY / 2 + Math.floor((g * DAY) / (2 * this.#shape.followees));
  }
}

const iso = (ms: number) => new Date(ms).toISOString();

export function remoteActor(k: number, shape: Shape, time: Timeline): RemoteActor {
  const server = k % shape.servers;
  // Loopback addresses (127.0.0.0/8): nothing here ever reaches another machine, and Herold's
  // address policy refuses them anyway (the benchmark does not allow private addresses).
  const domain = `127.0.${1 + Math.floor(server / 250)}.${1 + (server % 250)}`;
  const username = `user${k}`;
  const uri = `http://${domain}/users/${username}`;
  return { id: idAt(time.actorSeen(k)), uri, url: `http://${domain}/@${username}`, followersUrl: `${uri}/followers`, username, domain };
}

/** The actors row `upsertRemote` writes for a fetched Mastodon-style Person document. */
export function actorRow(actor: RemoteActor, k: number, time: Timeline, publicKeyPem: string): Row {
  const seen = iso(time.actorSeen(k));
  const name = `User ${k} ${words(k, 1)}`;
  const summaryHtml = `<p>${words(k + 7, 12)}</p>`;
  const document = {
    "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
    id: actor.uri,
    type: "Person",
    preferredUsername: actor.username,
    name,
    summary: summaryHtml,
    url: actor.url,
    inbox: `${actor.uri}/inbox`,
    outbox: `${actor.uri}/outbox`,
    followers: actor.followersUrl,
    following: `${actor.uri}/following`,
    featured: `${actor.uri}/collections/featured`,
    endpoints: { sharedInbox: `http://${actor.domain}/inbox` },
    manuallyApprovesFollowers: false,
    discoverable: true,
    published: seen,
    publicKey: { id: `${actor.uri}#main-key`, owner: actor.uri, publicKeyPem },
  };
  return {
    id: actor.id,
    uri: actor.uri,
    is_local: 0,
    type: "Person",
    username: actor.username,
    domain: actor.domain,
    name,
    summary_html: summaryHtml,
    url: actor.url,
    inbox_url: `${actor.uri}/inbox`,
    shared_inbox_url: `http://${actor.domain}/inbox`,
    outbox_url: `${actor.uri}/outbox`,
    followers_url: actor.followersUrl,
    following_url: `${actor.uri}/following`,
    featured_url: `${actor.uri}/collections/featured`,
    public_key_id: `${actor.uri}#main-key`,
    public_key_pem: publicKeyPem,
    icon_url: null,
    image_url: null,
    fields_json: "[]",
    also_known_as_json: "[]",
    moved_to_uri: null,
    manually_approves_followers: 0,
    discoverable: 1,
    emojis_json: "[]",
    published_at: seen,
    raw_json: JSON.stringify(document),
    fetched_at: seen,
    gone_at: null,
    created_at: seen,
    updated_at: seen,
  };
}

/** An accepted follow and its history (follow_events: requested, accepted), as FollowRepository.create writes them. */
export function follow(follower: { id: string }, followee: { id: string }, uri: string, ms: number): { follow: Row; events: Row[] } {
  const at = iso(ms);
  return {
    follow: { id: idAt(ms), follower_id: follower.id, followee_id: followee.id, state: "accepted", uri, created_at: at, accepted_at: at, updated_at: at },
    events: (["requested", "accepted"] as const).map((kind) => ({
      id: idAt(ms),
      follower_id: follower.id,
      followee_id: followee.id,
      kind,
      reason: null,
      was_accepted: 0,
      created_at: at,
    })),
  };
}

/** acme's post number `i` and its Create activity: the template with id, times and text replaced. */
export function acmePost(template: LocalTemplate, i: number, time: Timeline): { post: Row; outbox: Row; id: string } {
  const ms = time.acmePost(i);
  const postId = idAt(ms);
  const activityId = idAt(ms);
  const at = iso(ms);
  const text = `${words(i, 8)} number ${i}`;
  const swaps: [string, string][] = [
    [template.postId, postId],
    [template.activityId, activityId],
    [iso(template.publishedMs), at],
    // Fedify (Temporal) writes instants with the fraction's trailing zeros dropped: ".130Z" as ".13Z",
    // ".000Z" as "Z". Without this swap a template published at such a millisecond kept its own time.
    [asTemporalWrites(iso(template.publishedMs)), asTemporalWrites(at)],
    [template.mark, text],
  ];
  const copy = (row: Row): Row => {
    const out: Row = {};
    for (const [column, value] of Object.entries(row)) {
      let v = value;
      if (typeof v === "string") for (const [from, to] of swaps) v = v.replaceAll(from, to);
      out[column] = v;
    }
    return out;
  };
  return { post: copy(template.post), outbox: copy(template.outbox), id: postId };
}

/** A remote Note as RemotePostService stores it (sanitised HTML, raw document, id minted on arrival). */
export function remoteNote(j: number, author: RemoteActor, time: Timeline, mention: Acme | null): Row {
  const published = time.remoteNote(j);
  const arrived = published + 2_000;
  const uri = `${author.uri}/statuses/${j}`;
  const url = `${author.url}/${j}`;
  const mentionHtml = mention === null ? "" : `<span class="h-card"><a href="${mention.profileUrl}" class="u-url mention" rel="nofollow noopener noreferrer" target="_blank">@<span>acme</span></a></span> `;
  const content = `<p>${mentionHtml}${words(j + 3, 14)}</p>`;
  const to = [PUBLIC];
  const cc = mention === null ? [author.followersUrl] : [author.followersUrl, mention.uri];
  const raw = {
    id: uri,
    type: "Note",
    attributedTo: author.uri,
    content,
    published: iso(published).replace(/\.\d{3}Z$/, "Z"),
    url,
    to,
    cc,
    sensitive: false,
    tag: mention === null ? [] : [{ type: "Mention", href: mention.uri, name: mention.handle }],
  };
  return {
    id: idAt(arrived),
    uri,
    actor_id: author.id,
    is_local: 0,
    type: "Note",
    state: "published",
    visibility: "public",
    source_text: null,
    content_html: content,
    summary: null,
    name: null,
    sensitive: 0,
    language: "en",
    url,
    in_reply_to_uri: null,
    in_reply_to_id: null,
    quote_uri: null,
    quote_id: null,
    boost_of_id: null,
    conversation_uri: null,
    to_json: JSON.stringify(to),
    cc_json: JSON.stringify(cc),
    emojis_json: "[]",
    poll_json: null,
    card_json: null,
    raw_json: JSON.stringify(raw),
    published_at: iso(published).replace(/\.\d{3}Z$/, ".000Z"),
    edited_at: null,
    scheduled_at: null,
    deleted_at: null,
    created_at: iso(arrived),
    updated_at: iso(arrived),
  };
}

/** The Announce row of a remote boost of acme's post (`boostWrite`, visibility public). */
export function boostRow(announceUri: string, booster: RemoteActor, boostedId: string, acme: Acme, ms: number): Row {
  const arrived = ms + 1_000;
  return {
    id: idAt(arrived),
    uri: announceUri,
    actor_id: booster.id,
    is_local: 0,
    type: "Announce",
    state: "published",
    visibility: "public",
    source_text: null,
    content_html: null,
    summary: null,
    name: null,
    sensitive: 0,
    language: null,
    url: null,
    in_reply_to_uri: null,
    in_reply_to_id: null,
    quote_uri: null,
    quote_id: null,
    boost_of_id: boostedId,
    conversation_uri: null,
    to_json: JSON.stringify([PUBLIC]),
    cc_json: JSON.stringify([booster.followersUrl, acme.uri]),
    emojis_json: "[]",
    poll_json: null,
    card_json: null,
    raw_json: null,
    published_at: iso(ms),
    edited_at: null,
    scheduled_at: null,
    deleted_at: null,
    created_at: iso(arrived),
    updated_at: iso(arrived),
  };
}

export function interactionRow(kind: string, postId: string, actorId: string, activityUri: string, objectUri: string | null, ms: number, undoneMs: number | null): Row {
  const arrived = ms + 1_000;
  return {
    id: idAt(arrived),
    kind,
    post_id: postId,
    actor_id: actorId,
    activity_uri: activityUri,
    object_uri: objectUri,
    content: null,
    created_at: iso(ms),
    undone_at: undoneMs === null ? null : iso(undoneMs),
  };
}

export function notificationRow(recipient: string, kind: string, fromActorId: string, postId: string | null, interactionId: string | null, ms: number, read: boolean): Row {
  return {
    id: idAt(ms),
    actor_id: recipient,
    kind,
    from_actor_id: fromActorId,
    post_id: postId,
    interaction_id: interactionId,
    created_at: iso(ms),
    read_at: read ? iso(ms + 3_600_000) : null,
  };
}

/** An ISO instant as Temporal prints it: trailing zeros of the fraction dropped, and the dot with them. */
function asTemporalWrites(instant: string): string {
  return instant.replace(/\.(\d*?)0*Z$/, (_m, digits: string) => (digits === "" ? "Z" : `.${digits}Z`));
}
