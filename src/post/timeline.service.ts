import type { AccountRepository } from "../account/account.repository.ts";
import type { Actor } from "../actor/actor.entity.ts";
import type { ActorRepository } from "../actor/actor.repository.ts";
import { isId } from "../lib/id.ts";
import { err, ok, type Result } from "../lib/result.ts";
import type { Post } from "./post.entity.ts";
import type { PostRepository } from "./post.repository.ts";

export const MAX_TIMELINE_PAGE = 200;

export interface TimelineEntry {
  /** The post shown (for a boost: the boosted post). */
  readonly post: Post;
  readonly author: Actor;
  /** Who boosted it, for boosts; null for the author's own posts. */
  readonly boostedBy: Actor | null;
  /** When it entered the timeline: published, or boosted. */
  readonly at: string;
}

export interface TimelinePage {
  readonly entries: readonly TimelineEntry[];
  /** Pass as `before` for the next older page; null at the end. */
  readonly next: string | null;
}

export type TimelineError = "unknown-account" | "invalid-cursor";

/**
 * A local account's home timeline: posts and boosts of the accounts it follows (accepted follows),
 * newest first, without what it may not see (other people's direct messages, followers-only posts of
 * accounts it does not follow) and without anything from actors on either side of a block.
 */
export class TimelineService {
  readonly #accounts: AccountRepository;
  readonly #actors: ActorRepository;
  readonly #posts: PostRepository;

  constructor(deps: { accounts: AccountRepository; actors: ActorRepository; posts: PostRepository }) {
    this.#accounts = deps.accounts;
    this.#actors = deps.actors;
    this.#posts = deps.posts;
  }

  async list(username: string, options: { limit?: number; before?: string | null } = {}): Promise<Result<TimelinePage, TimelineError>> {
    const account = await this.#accounts.findByUsername(username);
    if (account === null) return err("unknown-account", `no local account ${JSON.stringify(username)}`);
    const limit = Math.min(Math.max(Math.floor(options.limit ?? 40), 1), MAX_TIMELINE_PAGE);
    let before: { publishedAt: string; id: string } | null = null;
    if (options.before) {
      before = parseCursor(options.before);
      if (before === null) return err("invalid-cursor", `invalid cursor ${JSON.stringify(options.before)}`);
    }
    const rows = await this.#posts.timeline(account.actorId, account.uri, { before, limit: limit + 1 });
    const page = rows.slice(0, limit);
    const actorIds = page.flatMap((r) => [r.entry.actorId, ...(r.boosted ? [r.boosted.actorId] : [])]);
    const actors = await this.#actors.findManyByIds(actorIds);
    const entries: TimelineEntry[] = [];
    for (const { entry, boosted } of page) {
      const post = boosted ?? entry;
      const author = actors.get(post.actorId);
      if (author === undefined || (entry.boostOfId !== null && boosted === null)) continue;
      entries.push({ post, author, boostedBy: boosted ? (actors.get(entry.actorId) ?? null) : null, at: entry.publishedAt ?? entry.createdAt });
    }
    const last = page.at(-1)?.entry;
    return ok({ entries, next: rows.length > limit && last ? `${last.publishedAt}~${last.id}` : null });
  }
}

function parseCursor(text: string): { publishedAt: string; id: string } | null {
  const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)~([0-9a-z]{26})$/.exec(text);
  if (match === null || !isId(match[2]!)) return null;
  return { publishedAt: match[1]!, id: match[2]! };
}
