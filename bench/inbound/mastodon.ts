/**
 * What a Mastodon server sends to an inbox, for the inbound benchmark: a Create(Note) shaped like
 * Mastodon's (its JSON-LD context, a mention of the receiving account, a hashtag, ~1.5 KB) and a
 * draft-cavage signature as Mastodon makes it (RSA-SHA256 over `(request-target) host date digest
 * content-type`, `Digest: SHA-256=…`). Written for the benchmark from the protocol, independent of
 * Herold's own signer, so that a mistake in one cannot hide in the other.
 */
import { hash, sign, type KeyObject } from "node:crypto";

export interface RemoteActor {
  /** e.g. http://127.0.0.1:4567/users/u12 */
  readonly uri: string;
  readonly keyId: string;
  readonly publicKeyPem: string;
  readonly privateKeyPem: string;
}

export interface LocalAccount {
  readonly uri: string;
  readonly profileUrl: string;
  /** `@acme@host` */
  readonly handle: string;
}

const PUBLIC = "https://www.w3.org/ns/activitystreams#Public";

const MASTODON_CONTEXT = [
  "https://www.w3.org/ns/activitystreams",
  {
    ostatus: "http://ostatus.org#",
    atomUri: "ostatus:atomUri",
    inReplyToAtomUri: "ostatus:inReplyToAtomUri",
    conversation: "ostatus:conversation",
    sensitive: "as:sensitive",
    toot: "http://joinmastodon.org/ns#",
    votersCount: "toot:votersCount",
    Hashtag: "as:Hashtag",
  },
];

/** The actor document a Mastodon server serves for `actor` (what Herold fetches to learn the key). */
export function actorDocument(actor: RemoteActor, name: string): Record<string, unknown> {
  const origin = new URL(actor.uri).origin;
  return {
    "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
    id: actor.uri,
    type: "Person",
    preferredUsername: name,
    name: `Bench ${name}`,
    summary: "<p>A simulated remote account of the inbound benchmark.</p>",
    url: `${origin}/@${name}`,
    inbox: `${actor.uri}/inbox`,
    outbox: `${actor.uri}/outbox`,
    followers: `${actor.uri}/followers`,
    following: `${actor.uri}/following`,
    manuallyApprovesFollowers: false,
    discoverable: true,
    published: "2024-01-01T00:00:00Z",
    endpoints: { sharedInbox: `${origin}/inbox` },
    publicKey: { id: actor.keyId, owner: actor.uri, publicKeyPem: actor.publicKeyPem },
  };
}

/** A distinct public post by `actor` mentioning the local account; `serial` makes ids unique. */
export function createNote(actor: RemoteActor, serial: string, local: LocalAccount, now: Date): string {
  const origin = new URL(actor.uri).origin;
  const name = actor.uri.slice(actor.uri.lastIndexOf("/") + 1);
  const statusId = `${actor.uri}/statuses/${serial}`;
  const published = now.toISOString().replace(/\.\d+Z$/, "Z");
  const to = [PUBLIC];
  const cc = [`${actor.uri}/followers`, local.uri];
  const content =
    `<p><span class="h-card" translate="no"><a href="${local.profileUrl}" class="u-url mention">@<span>${local.handle.split("@")[1]}</span></a></span> ` +
    `Loved the spring collection you announced this morning, especially the repairable jacket. ` +
    `Will it come in more colours later this year? Asking for our whole team (post ${serial}). ` +
    `<a href="${origin}/tags/design" class="mention hashtag" rel="tag">#<span>design</span></a></p>`;
  return JSON.stringify({
    "@context": MASTODON_CONTEXT,
    id: `${statusId}/activity`,
    type: "Create",
    actor: actor.uri,
    published,
    to,
    cc,
    object: {
      id: statusId,
      type: "Note",
      summary: null,
      inReplyTo: null,
      published,
      url: `${origin}/@${name}/${serial}`,
      attributedTo: actor.uri,
      to,
      cc,
      sensitive: false,
      atomUri: statusId,
      inReplyToAtomUri: null,
      conversation: `tag:${new URL(origin).host},${published.slice(0, 10)}:objectId=${serial}:objectType=Conversation`,
      content,
      contentMap: { en: content },
      attachment: [],
      tag: [
        { type: "Mention", href: local.uri, name: local.handle },
        { type: "Hashtag", href: `${origin}/tags/design`, name: "#design" },
      ],
      replies: {
        id: `${statusId}/replies`,
        type: "Collection",
        first: { type: "CollectionPage", next: `${statusId}/replies?only_other_accounts=true&page=true`, partOf: `${statusId}/replies`, items: [] },
      },
    },
  });
}

export const SIGNED_HEADERS = "(request-target) host date digest content-type";
export const CONTENT_TYPE = "application/activity+json";

/** Headers of a POST of `body` to `url`, signed the way Mastodon signs its deliveries. */
export function signMastodon(url: URL, body: Buffer, keyId: string, privateKey: KeyObject, date: Date): Record<string, string> {
  const digest = `SHA-256=${hash("sha256", body, "base64")}`;
  const dateText = date.toUTCString();
  const signingString = [
    `(request-target): post ${url.pathname}`,
    `host: ${url.host}`,
    `date: ${dateText}`,
    `digest: ${digest}`,
    `content-type: ${CONTENT_TYPE}`,
  ].join("\n");
  const signature = sign("sha256", Buffer.from(signingString), privateKey).toString("base64");
  return {
    host: url.host,
    date: dateText,
    digest,
    "content-type": CONTENT_TYPE,
    "user-agent": "http.rb/5.2.0 (Mastodon/4.3.0; +https://bench.invalid/)",
    signature: `keyId="${keyId}",algorithm="rsa-sha256",headers="${SIGNED_HEADERS}",signature="${signature}"`,
  };
}

/**
 * The held-back-style mix of the inbound benchmark (`--mix`): per 20 activities of an actor, 6 posts, 3
 * replies to the local account's posts, 4 likes and 2 boosts of them, 1 follow of the local account, 2
 * undos of the actor's own earlier likes and 2 deletes of its own earlier posts — in the order a busy
 * server sends them, which is not necessarily the order Herold processes them in.
 */
export const MIX = ["note", "like", "note", "reply", "like", "announce", "note", "undo", "reply", "like", "follow", "note", "delete", "announce", "note", "like", "undo", "reply", "note", "delete"] as const;
export type MixKind = (typeof MIX)[number];

/** Activity `serial` of kind `kind` by `actor`; `earlier` holds the actor's earlier notes and likes of the set. */
export function mixedActivity(
  kind: MixKind,
  actor: RemoteActor,
  serial: string,
  local: LocalAccount,
  targets: readonly string[],
  earlier: { notes: string[]; likes: Array<Record<string, unknown>> },
  now: Date,
): string {
  const target = targets[Number.parseInt(serial.replace(/\D/g, "").slice(-4) || "0", 10) % targets.length]!;
  const id = `${actor.uri}/activities/${serial}`;
  switch (kind) {
    case "note": {
      const json = createNote(actor, serial, local, now);
      earlier.notes.push(`${actor.uri}/statuses/${serial}`);
      return json;
    }
    case "reply": {
      const activity = JSON.parse(createNote(actor, serial, local, now)) as { object: Record<string, unknown> };
      activity.object["inReplyTo"] = target;
      activity.object["inReplyToAtomUri"] = target;
      return JSON.stringify(activity);
    }
    case "like": {
      const like = { "@context": "https://www.w3.org/ns/activitystreams", id, type: "Like", actor: actor.uri, object: target };
      earlier.likes.push(like);
      return JSON.stringify(like);
    }
    case "announce":
      return JSON.stringify({
        "@context": "https://www.w3.org/ns/activitystreams",
        id,
        type: "Announce",
        actor: actor.uri,
        published: now.toISOString().replace(/\.\d+Z$/, "Z"),
        to: [PUBLIC],
        cc: [local.uri, `${actor.uri}/followers`],
        object: target,
      });
    case "follow":
      return JSON.stringify({ "@context": "https://www.w3.org/ns/activitystreams", id, type: "Follow", actor: actor.uri, object: local.uri });
    case "undo": {
      const like = earlier.likes.shift();
      if (like === undefined) return mixedActivity("like", actor, serial, local, targets, earlier, now);
      const { "@context": _context, ...object } = like;
      return JSON.stringify({ "@context": "https://www.w3.org/ns/activitystreams", id: `${id}#undo`, type: "Undo", actor: actor.uri, object });
    }
    case "delete": {
      const note = earlier.notes.shift();
      if (note === undefined) return mixedActivity("note", actor, serial, local, targets, earlier, now);
      return JSON.stringify({
        "@context": "https://www.w3.org/ns/activitystreams",
        id: `${note}#delete`,
        type: "Delete",
        actor: actor.uri,
        to: [PUBLIC],
        object: { id: note, type: "Tombstone" },
      });
    }
    default:
      throw new Error(`unknown kind ${JSON.stringify(kind satisfies never)}`);
  }
}
