import type { Account, ProfileField } from "../account/account.entity.ts";
import { USERNAME_PATTERN } from "../account/account.entity.ts";
import type { AccountRepository } from "../account/account.repository.ts";
import type { Urls } from "../app/urls.ts";
import { isId } from "../lib/id.ts";
import { err, ok, type Result } from "../lib/result.ts";
import type { Post } from "../post/post.entity.ts";
import type { PostRepository } from "../post/post.repository.ts";
import { PUBLIC_VISIBILITIES, safeHttpUrl, type PostCard, type PostViews } from "./post.view.ts";

/** Posts per profile page and per feed. */
export const PAGE_SIZE = 20;

export interface ProfileCounts {
  readonly posts: number;
  readonly followers: number;
  readonly following: number;
}

export interface ProfileView {
  readonly account: Account;
  readonly handle: string;
  readonly profileUrl: string;
  readonly actorUrl: string;
  readonly rssUrl: string;
  readonly atomUrl: string;
  /** Avatar and header only when they are served by this server. */
  readonly avatarUrl: string | null;
  readonly headerUrl: string | null;
  readonly fields: readonly ProfileField[];
  readonly movedTo: string | null;
  readonly counts: ProfileCounts;
  readonly posts: readonly PostCard[];
  /** `?before=` link to the next older page, when there is one. */
  readonly olderUrl: string | null;
  /** Link back to the newest posts, on every page but the first. */
  readonly newestUrl: string | null;
}

export interface FeedView {
  readonly account: Account;
  readonly handle: string;
  readonly profileUrl: string;
  readonly rssUrl: string;
  readonly atomUrl: string;
  readonly avatarUrl: string | null;
  readonly posts: readonly PostCard[];
}

export type ProfileError = "not-found" | "invalid-cursor";

/**
 * Reads what the profile page and the feeds show: a local account, its public and unlisted
 * top-level posts newest first (paged by id), and its counts. Read-only queries over the tables the
 * repositories own; no writes, no federation.
 */
/** Accepted follower and following counts (social's FollowersRepository: `follows` is social's table). */
export interface FollowCounts {
  counts(actorId: string): Promise<{ followers: number; following: number }>;
}

export class ProfileViews {
  readonly #followers: FollowCounts;
  readonly #accounts: AccountRepository;
  readonly #posts: PostRepository;
  readonly #postViews: PostViews;
  readonly #urls: Urls;
  readonly #domain: string;

  constructor(deps: { followers: FollowCounts; accounts: AccountRepository; posts: PostRepository; postViews: PostViews; urls: Urls; domain: string }) {
    this.#followers = deps.followers;
    this.#accounts = deps.accounts;
    this.#posts = deps.posts;
    this.#postViews = deps.postViews;
    this.#urls = deps.urls;
    this.#domain = deps.domain;
  }

  async page(username: string, before: string | undefined): Promise<Result<ProfileView, ProfileError>> {
    if (before !== undefined && !isId(before)) return err("invalid-cursor", "the before= parameter must be a post id");
    const account = await this.#find(username);
    if (account === null) return err("not-found", "no such account");
    const [counts, page] = await Promise.all([
      this.#counts(account),
      // Replies too: the count (the posts.<visibility> counters) counts them, so the list must show them.
      this.#posts.listByActor(account.actorId, { visibilities: PUBLIC_VISIBILITIES, before: before ?? null, limit: PAGE_SIZE }),
    ]);
    const posts = await this.#cards(account, page.items);
    const profileUrl = this.#urls.profile(account.username);
    return ok({
      ...this.#common(account),
      fields: account.fields,
      movedTo: safeHttpUrl(account.movedTo),
      counts,
      posts,
      olderUrl: page.next !== null ? `${profileUrl}?before=${page.next}` : null,
      newestUrl: before !== undefined ? profileUrl : null,
    });
  }

  async feed(username: string): Promise<Result<FeedView, "not-found">> {
    const account = await this.#find(username);
    if (account === null) return err("not-found", "no such account");
    const page = await this.#posts.listByActor(account.actorId, { visibilities: PUBLIC_VISIBILITIES, limit: PAGE_SIZE, includeReplies: false });
    return ok({ ...this.#common(account), posts: await this.#cards(account, page.items) });
  }

  async #find(username: string): Promise<Account | null> {
    if (!USERNAME_PATTERN.test(username.toLowerCase())) return null;
    return await this.#accounts.findByUsername(username);
  }

  #common(account: Account) {
    const actorUrl = this.#urls.actor(account.username);
    return {
      account,
      handle: `@${account.username}@${this.#domain}`,
      profileUrl: this.#urls.profile(account.username),
      actorUrl,
      rssUrl: `${actorUrl}/feed.rss`,
      atomUrl: `${actorUrl}/feed.atom`,
      avatarUrl: this.#localOnly(account.iconUrl),
      headerUrl: this.#localOnly(account.imageUrl),
    };
  }

  async #cards(account: Account, posts: readonly Post[]): Promise<PostCard[]> {
    const media = await this.#posts.mediaOf(posts.map((p) => p.id));
    return posts.map((post) => this.#postViews.card(account, post, media.get(post.id) ?? []));
  }

  async #counts(account: Account): Promise<ProfileCounts> {
    const [posts, follows] = await Promise.all([this.#posts.countByActor(account.actorId, PUBLIC_VISIBILITIES), this.#followers.counts(account.actorId)]);
    return { posts, ...follows };
  }

  #localOnly(url: string | null): string | null {
    if (url === null) return null;
    try {
      return new URL(url).origin === this.#urls.origin ? url : null;
    } catch {
      return null;
    }
  }
}
