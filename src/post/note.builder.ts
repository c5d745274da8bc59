import type { Selectable } from "kysely";
import { Announce, Collection, Create, Delete, Document, Hashtag, LanguageString, Like, Mention, Note, Question, Tombstone, Undo, Update, type Activity } from "@fedify/vocab";
import type { Urls } from "../app/urls.ts";
import type { MediaRow } from "../db/schema.ts";
import { toInstant } from "../federation/temporal.ts";
import { storedFileName } from "../media/media.entity.ts";
import type { Post } from "./post.entity.ts";
import type { MentionRef } from "./post.repository.ts";

/**
 * Local posts and interactions as ActivityPub documents, shaped the way Mastodon documents its
 * expectations (docs.joinmastodon.org/spec/activitypub): a Note has `id`, `type`, `attributedTo`,
 * `content` (and `contentMap` when the language is known), `published`, `to`/`cc`, `url`, `summary`
 * and `sensitive` for content warnings, `tag` with Mention and Hashtag, `attachment` Documents with
 * `mediaType`, `url`, `name` (alt text) and size; edits carry `updated`. Quotes use FEP-044f `quote`,
 * which Fedify also writes as `quoteUrl`, `quoteUri` and `_misskey_quote` for older peers.
 *
 * Ids of activities are minted by the outbound bridge; the builders leave them out.
 */

export interface NoteSource {
  readonly post: Post;
  /** The author's actor id. */
  readonly authorUri: string;
  readonly mentions: readonly MentionRef[];
  /** Hashtags, lower case without `#`. */
  readonly tags: readonly string[];
  readonly media: readonly Selectable<MediaRow>[];
}

/**
 * A local post as a Note, or as a Question when it carries a poll (Mastodon's shape: `oneOf` for
 * single choice, `anyOf` for multiple, each option a nameless-content `Note` with `name` and
 * `replies.totalItems` as its count, `endTime`, `closed` once it has ended, `votersCount`).
 * `now` decides `closed`; without it the poll is shown open until its end time.
 */
export function buildNote(source: NoteSource, urls: Urls, now?: string): Note | Question {
  const { post } = source;
  const values = noteValues(source, urls);
  const poll = post.poll;
  if (poll === null) return new Note(values);
  const options = poll.options.map((o) => new Note({ name: o.name, replies: new Collection({ totalItems: o.votes }) }));
  const ended = poll.endsAt !== null && now !== undefined && Date.parse(now) >= Date.parse(poll.endsAt);
  return new Question({
    ...values,
    ...(poll.multiple ? { inclusiveOptions: options } : { exclusiveOptions: options }),
    endTime: poll.endsAt ? toInstant(poll.endsAt) : null,
    closed: ended && poll.endsAt ? toInstant(poll.endsAt) : null,
    voters: poll.voters ?? 0,
  });
}

function noteValues(source: NoteSource, urls: Urls) {
  const { post } = source;
  const content = post.contentHtml ?? "";
  return {
    id: new URL(post.uri),
    attribution: new URL(source.authorUri),
    contents: post.language ? [content, new LanguageString(content, post.language)] : [content],
    summary: post.summary,
    sensitive: post.sensitive,
    published: post.publishedAt ? toInstant(post.publishedAt) : null,
    updated: post.editedAt ? toInstant(post.editedAt) : null,
    url: post.url ? new URL(post.url) : null,
    tos: post.to.map((id) => new URL(id)),
    ccs: post.cc.map((id) => new URL(id)),
    replyTarget: post.inReplyToUri ? new URL(post.inReplyToUri) : null,
    quote: post.quoteUri ? new URL(post.quoteUri) : null,
    quoteUrl: post.quoteUri ? new URL(post.quoteUri) : null,
    tags: [
      ...source.mentions.map((m) => new Mention({ href: new URL(m.actorUri), name: m.handle ? `@${m.handle}` : null })),
      ...source.tags.map((tag) => new Hashtag({ href: new URL(urls.tag(tag)), name: `#${tag}` })),
    ],
    attachments: source.media.flatMap((row) => {
      const fileName = storedFileName(row);
      if (fileName === null) return [];
      return [
        new Document({
          mediaType: row.mime_type,
          url: new URL(urls.media(row.id, fileName)),
          name: row.description ?? null,
          width: row.width,
          height: row.height,
        }),
      ];
    }),
  };
}

/** Create(Note): same addressing as the Note, published when the Note was. */
export function buildCreate(note: Note | Question, post: Post, authorUri: string): Create {
  return new Create({
    actor: new URL(authorUri),
    object: note,
    tos: post.to.map((id) => new URL(id)),
    ccs: post.cc.map((id) => new URL(id)),
    published: post.publishedAt ? toInstant(post.publishedAt) : null,
  });
}

/** Update(Note): Mastodon applies an edit only when the Note carries `updated`. */
export function buildUpdate(note: Note | Question, post: Post, authorUri: string, at: string): Update {
  return new Update({
    actor: new URL(authorUri),
    object: note,
    tos: post.to.map((id) => new URL(id)),
    ccs: post.cc.map((id) => new URL(id)),
    published: toInstant(at),
  });
}

/** What a deleted post's id answers with (status 410). */
export function buildTombstone(post: Post): Tombstone {
  return new Tombstone({ id: new URL(post.uri), deleted: post.deletedAt ? toInstant(post.deletedAt) : null });
}

/** Delete(Tombstone), to everyone who got the post. */
export function buildDelete(post: Post, authorUri: string): Delete {
  return new Delete({
    actor: new URL(authorUri),
    object: buildTombstone(post),
    tos: post.to.map((id) => new URL(id)),
    ccs: post.cc.map((id) => new URL(id)),
    published: post.deletedAt ? toInstant(post.deletedAt) : null,
  });
}

/** Like, addressed to the post's author. */
export function buildLike(actorUri: string, postUri: string, authorUri: string, at: string): Like {
  return new Like({ actor: new URL(actorUri), object: new URL(postUri), tos: [new URL(authorUri)], published: toInstant(at) });
}

/**
 * Announce (a boost), as Mastodon sends it: a boost of a public post to Public with the booster's
 * followers and the post's author in `cc`; of an unlisted post to the followers with Public in `cc`.
 */
export function buildAnnounce(actorUri: string, followersUri: string, post: Pick<Post, "uri" | "visibility">, authorUri: string, at: string): Announce {
  const publicUri = new URL("https://www.w3.org/ns/activitystreams#Public");
  const unlisted = post.visibility === "unlisted";
  return new Announce({
    actor: new URL(actorUri),
    object: new URL(post.uri),
    tos: [unlisted ? new URL(followersUri) : publicUri],
    ccs: [unlisted ? publicUri : new URL(followersUri), new URL(authorUri)],
    published: toInstant(at),
  });
}

/** Undo of an activity Herold sent, embedding it (Mastodon reads the embedded Like's object), same addressing. */
export function buildUndo(actorUri: string, undone: Activity, at: string): Undo {
  return new Undo({
    actor: new URL(actorUri),
    object: undone,
    tos: [...undone.toIds],
    ccs: [...undone.ccIds],
    published: toInstant(at),
  });
}
