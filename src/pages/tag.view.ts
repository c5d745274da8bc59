import type { Account } from "../account/account.entity.ts";
import type { AccountRepository } from "../account/account.repository.ts";
import type { Urls } from "../app/urls.ts";
import { hashtagKey } from "../content/render.ts";
import { isId } from "../lib/id.ts";
import { err, ok, type Result } from "../lib/result.ts";
import type { PostRepository } from "../post/post.repository.ts";
import type { PostCard, PostViews } from "./post.view.ts";
import { PAGE_SIZE } from "./profile.view.ts";

export interface TagPageView {
  /** The tag as stored and linked (normalised, without `#`). */
  readonly tag: string;
  readonly pageUrl: string;
  readonly rssUrl: string;
  readonly atomUrl: string;
  readonly posts: readonly PostCard[];
  readonly olderUrl: string | null;
  readonly newestUrl: string | null;
}

export type TagPageError = "not-found" | "invalid-cursor";

/**
 * The hashtag page and its feeds: this server's public posts with a tag, newest first. The tag in
 * the URL matches whatever its spelling (`#Café`, `#CAFÉ`, `#café`: one tag, as on Mastodon);
 * remote posts are not listed, since public pages show only what this server publishes.
 */
export class TagViews {
  readonly #accounts: Pick<AccountRepository, "list">;
  readonly #posts: Pick<PostRepository, "listPublicByTag" | "mediaOf">;
  readonly #postViews: Pick<PostViews, "card">;
  readonly #urls: Urls;

  constructor(deps: { accounts: Pick<AccountRepository, "list">; posts: Pick<PostRepository, "listPublicByTag" | "mediaOf">; postViews: Pick<PostViews, "card">; urls: Urls }) {
    this.#accounts = deps.accounts;
    this.#posts = deps.posts;
    this.#postViews = deps.postViews;
    this.#urls = deps.urls;
  }

  async page(name: string, before: string | undefined, limit = PAGE_SIZE): Promise<Result<TagPageView, TagPageError>> {
    const tag = hashtagKey(name);
    if (tag === null) return err("not-found", "not a hashtag");
    if (before !== undefined && !isId(before)) return err("invalid-cursor", "the before= parameter must be a post id");
    const page = await this.#posts.listPublicByTag(tag, { before: before ?? null, limit });
    // The authors are this server's accounts: an organisation has a handful, read in one query.
    const accounts = new Map<string, Account>((await this.#accounts.list()).map((a) => [a.actorId, a]));
    const media = await this.#posts.mediaOf(page.items.map((p) => p.id));
    const posts = page.items.flatMap((post) => {
      const account = accounts.get(post.actorId);
      return account === undefined ? [] : [this.#postViews.card(account, post, media.get(post.id) ?? [])];
    });
    const pageUrl = this.#urls.tag(tag);
    return ok({
      tag,
      pageUrl,
      rssUrl: `${pageUrl}/feed.rss`,
      atomUrl: `${pageUrl}/feed.atom`,
      posts,
      olderUrl: page.next !== null ? `${pageUrl}?before=${page.next}` : null,
      newestUrl: before !== undefined ? pageUrl : null,
    });
  }
}
