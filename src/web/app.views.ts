import { storedFileName } from "../media/media.entity.ts";
import type { Selectable } from "kysely";
import type { Actor } from "../actor/actor.entity.ts";
import type { ActorRepository } from "../actor/actor.repository.ts";
import type { Urls } from "../app/urls.ts";
import type { MediaRow } from "../db/schema.ts";
import type { Post } from "../post/post.entity.ts";
import type { PostRepository } from "../post/post.repository.ts";
import type { InteractionService } from "../social/interaction.service.ts";
import { safeHttpUrl } from "../pages/post.view.ts";
import type { MediaProxy } from "./media-proxy.ts";

/** One attachment as the app shows it: always a same-origin URL (local file or the media proxy). */
export interface AppAttachment {
  readonly kind: string;
  readonly src: string;
  readonly description: string;
  readonly width: number | null;
  readonly height: number | null;
}

/** A post as the app shows it, with what the signed-in account did to it. */
export interface AppPost {
  readonly post: Post;
  readonly author: Actor;
  readonly authorAvatar: string | null;
  readonly boostedBy: Actor | null;
  /** Where the original lives (for a link out): the post's url or id, when it is http(s). */
  readonly originalUrl: string | null;
  readonly attachments: readonly AppAttachment[];
  readonly liked: boolean;
  readonly boosted: boolean;
  readonly own: boolean;
  /** The post this one answers, named and linked when the viewer may see it; null for no reply. */
  readonly replyTo: { readonly href: string | null; readonly label: string; readonly external: boolean } | null;
}

/**
 * Reads for the app's lists: authors, attachments and the account's own likes and boosts for a page
 * of posts in a few queries. Remote images are rewritten to the media proxy here, in one place, so no
 * template can hot-link another server.
 */
export class AppViews {
  readonly #interactions: Pick<InteractionService, "activeOn">;
  readonly #posts: PostRepository;
  readonly #actors: ActorRepository;
  readonly #urls: Urls;
  readonly #proxy: MediaProxy;

  constructor(deps: { interactions: Pick<InteractionService, "activeOn">; posts: PostRepository; actors: ActorRepository; urls: Urls; proxy: MediaProxy }) {
    this.#interactions = deps.interactions;
    this.#posts = deps.posts;
    this.#actors = deps.actors;
    this.#urls = deps.urls;
    this.#proxy = deps.proxy;
  }

  /** A same-origin URL for an actor's avatar, or null. */
  avatar(actor: Pick<Actor, "iconUrl" | "isLocal">): string | null {
    return this.image(actor.iconUrl);
  }

  /** Local media URLs stay; remote ones go through the proxy. */
  image(url: string | null): string | null {
    if (url === null) return null;
    if (this.#urls.isLocal(url)) return url.slice(this.#urls.origin.length) || null;
    return this.#proxy.path(url);
  }

  async posts(viewerActorId: string, items: readonly { post: Post; author?: Actor | null; boostedBy?: Actor | null }[]): Promise<AppPost[]> {
    if (items.length === 0) return [];
    const ids = items.map((i) => i.post.id);
    const missing = items.filter((i) => !i.author).map((i) => i.post.actorId);
    const [media, actors, mine] = await Promise.all([
      this.#posts.mediaOf(ids),
      this.#actors.findManyByIds([...missing, viewerActorId]),
      this.#interactions.activeOn(viewerActorId, ids, ["like", "boost"]),
    ]);
    const parents = await this.#parents(items.map((i) => i.post), actors.get(viewerActorId));
    const done = new Set(mine.map((r) => `${r.kind}:${r.postId}`));
    const out: AppPost[] = [];
    for (const item of items) {
      const author = item.author ?? actors.get(item.post.actorId);
      if (author === undefined) continue;
      out.push({
        post: item.post,
        author,
        authorAvatar: this.avatar(author),
        boostedBy: item.boostedBy ?? null,
        originalUrl: safeHttpUrl(item.post.url ?? item.post.uri),
        attachments: (media.get(item.post.id) ?? []).flatMap((row) => this.#attachment(row)),
        liked: done.has(`like:${item.post.id}`),
        boosted: done.has(`boost:${item.post.id}`),
        own: item.post.actorId === viewerActorId,
        replyTo: this.#replyTo(item.post, parents, viewerActorId),
      });
    }
    return out;
  }

  /**
   * The posts replied to, with their authors, that the viewer may see (the one visibility rule, as
   * SQL): two queries for the page. A post the viewer may not see is not named.
   */
  async #parents(posts: readonly Post[], viewer: Actor | undefined): Promise<Map<string, { post: Post; author: Actor | undefined }>> {
    const out = new Map<string, { post: Post; author: Actor | undefined }>();
    const uris = posts.flatMap((p) => (p.inReplyToUri !== null ? [p.inReplyToUri] : []));
    if (uris.length === 0 || viewer === undefined) return out;
    const found = await this.#posts.findVisible({ uris, ids: [] }, { id: viewer.id, uri: viewer.uri });
    const authors = await this.#actors.findManyByIds([...found.byUri.values()].map((p) => p.actorId));
    for (const [uri, post] of found.byUri) out.set(uri, { post, author: authors.get(post.actorId) });
    return out;
  }

  #replyTo(post: Post, parents: ReadonlyMap<string, { post: Post; author: Actor | undefined }>, viewerActorId: string): AppPost["replyTo"] {
    if (post.inReplyToUri === null) return null;
    const parent = parents.get(post.inReplyToUri);
    if (parent === undefined) {
      const href = safeHttpUrl(post.inReplyToUri);
      return { href, label: "a post not shown here", external: href !== null && !this.#urls.isLocal(href) };
    }
    const label = parent.author !== undefined ? `a post by @${parent.author.handle}` : "a post";
    // The account's own posts open in the app (with edit and history); others where they live.
    if (parent.post.actorId === viewerActorId && parent.post.isLocal) return { href: `/app/posts/${parent.post.id}`, label: parent.author !== undefined ? "your post" : label, external: false };
    const href = safeHttpUrl(parent.post.url ?? parent.post.uri);
    return { href, label, external: href !== null && !this.#urls.isLocal(href) };
  }

  #attachment(row: Selectable<MediaRow>): AppAttachment[] {
    let src: string | null = null;
    const fileName = storedFileName(row);
    if (fileName !== null) src = this.#urls.media(row.id, encodeURIComponent(fileName)).slice(this.#urls.origin.length);
    else if (row.remote_url !== null && (row.kind === "image" || row.kind === "document")) src = this.#proxy.path(row.remote_url);
    if (src === null) return [];
    return [{ kind: row.kind, src, description: row.description ?? "", width: row.width, height: row.height }];
  }
}
