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
import type { PostRepository } from "../post/post.repository.ts";

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

export interface PostPageView {
  readonly account: Account;
  readonly post: PostCard;
}

export type PostPageError = "not-found" | "gone";

const LANGUAGE_TAG = /^[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8}){0,6}$/;
const MEDIA_KINDS = new Set(["image", "video", "audio", "document"]);

/** Reads what the single-post page needs; answers only what an anonymous visitor may see. */
export class PostViews {
  readonly #accounts: AccountRepository;
  readonly #posts: PostRepository;
  readonly #urls: Urls;
  readonly #domain: string;

  constructor(deps: { accounts: AccountRepository; posts: PostRepository; urls: Urls; domain: string }) {
    this.#accounts = deps.accounts;
    this.#posts = deps.posts;
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
    const media = await this.#posts.mediaOf([post.id]);
    return ok({ account, post: this.card(account, post, media.get(post.id) ?? []) });
  }

  /** Maps a stored post of `account` to what the templates show. */
  card(account: Account, post: Post, media: readonly Selectable<MediaRow>[]): PostCard {
    return {
      id: post.id,
      url: this.#urls.post(account.username, post.id),
      authorName: account.name,
      authorHandle: `@${account.username}@${this.#domain}`,
      authorUrl: this.#urls.profile(account.username),
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
