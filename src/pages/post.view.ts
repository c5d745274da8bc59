import { basename } from "node:path";
import type { Selectable } from "kysely";
import type { Account } from "../account/account.entity.ts";
import { USERNAME_PATTERN } from "../account/account.entity.ts";
import type { AccountRepository } from "../account/account.repository.ts";
import type { Urls } from "../app/urls.ts";
import { safeLinkHref } from "../content/sanitize.ts";
import type { MediaRow } from "../db/schema.ts";
import { isId } from "../lib/id.ts";
import { err, ok, type Result } from "../lib/result.ts";
import type { Poll, Post, Visibility } from "../post/post.entity.ts";
import type { ActorRepository } from "../actor/actor.repository.ts";
import type { PostRepository } from "../post/post.repository.ts";
import type { PostCounts } from "../social/interaction.repository.ts";

/** Visibilities anyone may read without signing in: Mastodon's public and unlisted ("quiet public"). */
export const PUBLIC_VISIBILITIES: readonly Visibility[] = ["public", "unlisted"];

export interface AttachmentView {
  readonly kind: "image" | "video" | "audio" | "document";
  readonly url: string;
  readonly mimeType: string | null;
  /** Alt text; empty when the author gave none. */
  readonly description: string;
  readonly width: number | null;
  readonly height: number | null;
}

/** A link to the post replied to or quoted: local posts by path, remote ones only with a safe URL. */
export interface ContextLink {
  readonly href: string;
  readonly label: string;
}

/** One post as the pages show it. `contentHtml` is the sanitised HTML stored with the post. */
export interface PostCard {
  readonly id: string;
  /** The post's id URL; browsers get this page there, servers the Note. */
  readonly url: string;
  readonly authorName: string;
  readonly authorHandle: string;
  readonly authorUrl: string;
  /** The author's avatar when this server serves it (public pages load nothing from elsewhere). */
  readonly authorAvatarUrl: string | null;
  readonly title: string | null;
  readonly contentHtml: string;
  readonly contentWarning: string | null;
  readonly sensitive: boolean;
  readonly language: string | null;
  readonly publishedAt: string;
  readonly editedAt: string | null;
  readonly attachments: readonly AttachmentView[];
  readonly replyTo: ContextLink | null;
  readonly quote: ContextLink | null;
  readonly poll: Poll | null;
}

/** A reply shown under a public post: local or remote, only when anyone may read it. */
export interface ReplyCard {
  readonly id: string;
  /** Where the reply is read: its page here, or its own http(s) URL elsewhere; null when unsafe. */
  readonly url: string | null;
  readonly authorName: string;
  readonly authorHandle: string;
  /** The author's profile: here, or a safe http(s) URL elsewhere; null when there is none. */
  readonly authorUrl: string | null;
  readonly authorAvatarUrl: string | null;
  readonly contentHtml: string;
  readonly contentWarning: string | null;
  readonly language: string | null;
  readonly publishedAt: string;
}

export interface PostPageView {
  readonly account: Account;
  readonly post: PostCard;
  /** Active likes, boosts and replies from the interaction ledger. */
  readonly counts: PostCounts;
  /** Public and unlisted replies, oldest first (at most REPLY_LIMIT). */
  readonly replies: readonly ReplyCard[];
  /** Earlier versions of an edited post, newest first (Mastodon's "edited" history). */
  readonly history: readonly EarlierVersion[];
}

/** A version an edit replaced: what it said, from when it was shown until when. */
export interface EarlierVersion {
  readonly contentHtml: string;
  readonly contentWarning: string | null;
  readonly from: string;
  readonly until: string;
}

/** The interaction ledger's counts per post (social's InteractionService: `interactions` is social's table). */
export interface InteractionCounts {
  countsOf(postIds: readonly string[]): Promise<Map<string, PostCounts>>;
}

export const NO_COUNTS: PostCounts = { likes: 0, boosts: 0, replies: 0 };
/** Replies shown under a post; a longer conversation continues on the servers that hold it. */
export const REPLY_LIMIT = 40;

export type PostPageError = "not-found" | "gone";

const LANGUAGE_TAG = /^[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8}){0,6}$/;
const MEDIA_KINDS = new Set(["image", "video", "audio", "document"]);

/** Reads what the single-post page needs; answers only what an anonymous visitor may see. */
export class PostViews {
  readonly #accounts: AccountRepository;
  readonly #actors: Pick<ActorRepository, "findManyByIds">;
  readonly #posts: PostRepository;
  readonly #counts: InteractionCounts;
  readonly #urls: Urls;
  readonly #domain: string;

  constructor(deps: { accounts: AccountRepository; actors: Pick<ActorRepository, "findManyByIds">; posts: PostRepository; counts: InteractionCounts; urls: Urls; domain: string }) {
    this.#accounts = deps.accounts;
    this.#actors = deps.actors;
    this.#posts = deps.posts;
    this.#counts = deps.counts;
    this.#urls = deps.urls;
    this.#domain = deps.domain;
  }

  async page(username: string, postId: string): Promise<Result<PostPageView, PostPageError>> {
    if (!USERNAME_PATTERN.test(username.toLowerCase()) || !isId(postId)) return err("not-found", "no such post");
    const [account, post] = await Promise.all([this.#accounts.findByUsername(username), this.#posts.findById(postId)]);
    if (account === null || post === null || post.actorId !== account.actorId || !post.isLocal || post.boostOfId !== null) {
      return err("not-found", "no such post");
    }
    const readable = PUBLIC_VISIBILITIES.includes(post.visibility);
    // A deleted post that was public says so (peers and links may still point at it); anything that
    // was never public to this visitor stays indistinguishable from a post that never existed.
    if (post.state === "deleted" && readable) return err("gone", "this post was deleted");
    if (post.state !== "published" || !readable || post.publishedAt === null) return err("not-found", "no such post");
    const [media, counts, replies, edits] = await Promise.all([this.#posts.mediaOf([post.id]), this.#counts.countsOf([post.id]), this.#replies(post), this.#posts.editsOf(post.id)]);
    const history = edits.map((edit, i): EarlierVersion => ({
      contentHtml: edit.contentHtml ?? "",
      contentWarning: edit.summary !== null && edit.summary.trim() !== "" ? edit.summary : null,
      from: i === 0 ? (post.publishedAt ?? post.createdAt) : edits[i - 1]!.editedAt,
      until: edit.editedAt,
    }));
    return ok({ account, post: this.card(account, post, media.get(post.id) ?? []), counts: counts.get(post.id) ?? NO_COUNTS, replies, history: history.reverse() });
  }

  /** Public replies with their authors (one query for the posts, one for their actors). */
  async #replies(post: Post): Promise<ReplyCard[]> {
    const replies = await this.#posts.publicRepliesOf(post.uri, REPLY_LIMIT);
    const actors = await this.#actors.findManyByIds(replies.map((r) => r.actorId));
    return replies.flatMap((reply): ReplyCard[] => {
      const actor = actors.get(reply.actorId);
      if (actor === undefined) return [];
      const local = actor.isLocal ? this.#urls.parsePost(reply.uri) : null;
      return [
        {
          id: reply.id,
          url: local !== null ? reply.uri : safeHttpUrl(reply.url ?? reply.uri),
          authorName: actor.name !== null && actor.name.trim() !== "" ? actor.name : actor.username,
          authorHandle: `@${actor.username}@${actor.isLocal ? this.#domain : actor.domain}`,
          authorUrl: actor.isLocal ? this.#urls.profile(actor.username) : safeHttpUrl(actor.url ?? actor.uri),
          authorAvatarUrl: actor.isLocal ? this.localOnly(actor.iconUrl) : null,
          contentHtml: reply.contentHtml ?? "",
          contentWarning: reply.summary !== null && reply.summary.trim() !== "" ? reply.summary : null,
          language: reply.language !== null && LANGUAGE_TAG.test(reply.language) ? reply.language : null,
          publishedAt: reply.publishedAt ?? reply.createdAt,
        },
      ];
    });
  }

  /** A URL on this server's origin, else null: public pages never make a browser load from elsewhere. */
  localOnly(url: string | null): string | null {
    if (url === null) return null;
    try {
      return new URL(url).origin === this.#urls.origin ? url : null;
    } catch {
      return null;
    }
  }

  /** Maps a stored post of `account` to what the templates show. */
  card(account: Account, post: Post, media: readonly Selectable<MediaRow>[]): PostCard {
    return {
      id: post.id,
      url: this.#urls.post(account.username, post.id),
      authorName: account.name,
      authorHandle: `@${account.username}@${this.#domain}`,
      authorUrl: this.#urls.profile(account.username),
      authorAvatarUrl: this.localOnly(account.iconUrl),
      title: post.name,
      contentHtml: post.contentHtml ?? "",
      contentWarning: post.summary !== null && post.summary.trim() !== "" ? post.summary : null,
      sensitive: post.sensitive,
      language: post.language !== null && LANGUAGE_TAG.test(post.language) ? post.language : null,
      publishedAt: post.publishedAt ?? post.createdAt,
      editedAt: post.editedAt,
      attachments: media.flatMap((row) => this.#attachment(row)),
      replyTo: this.#contextLink(post.inReplyToUri),
      quote: this.#contextLink(post.quoteUri),
      poll: post.poll,
    };
  }

  /** Only media stored on this server: a visitor's browser never loads anything from another origin. */
  #attachment(row: Selectable<MediaRow>): AttachmentView[] {
    if (row.file_path === null || row.file_path === "") return [];
    const kind = MEDIA_KINDS.has(row.kind) ? (row.kind as AttachmentView["kind"]) : "document";
    return [
      {
        kind,
        url: this.#urls.media(row.id, encodeURIComponent(basename(row.file_path))),
        mimeType: row.mime_type,
        description: row.description ?? "",
        width: row.width,
        height: row.height,
      },
    ];
  }

  #contextLink(uri: string | null): ContextLink | null {
    if (uri === null) return null;
    const local = this.#urls.parsePost(uri);
    if (local !== null) return { href: uri, label: `a post by @${local.username}` };
    const href = safeHttpUrl(uri);
    return href === null ? null : { href, label: `a post on ${new URL(href).host}` };
  }
}

/** An http(s) URL fit for a link (no scripts, no credentials), normalised; null otherwise. */
export function safeHttpUrl(uri: string | null): string | null {
  if (uri === null) return null;
  const href = safeLinkHref(uri);
  return href !== null && /^https?:/.test(href) ? href : null;
}
