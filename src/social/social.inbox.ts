import type { Account } from "../account/account.entity.ts";
import type { AccountRepository } from "../account/account.repository.ts";
import type { Actor } from "../actor/actor.entity.ts";
import type { ActorResolver } from "../actor/actor.resolver.ts";
import type { ActorRepository } from "../actor/actor.repository.ts";
import type { Urls } from "../app/urls.ts";
import type { OutboundBridge } from "../federation/outbound/bridge.ts";
import type { InboxHandler, InboxOutcome } from "../federation/inbox/inbox.types.ts";
import type { Clock } from "../lib/time.ts";
import type { Post } from "../post/post.entity.ts";
import type { PostRepository } from "../post/post.repository.ts";
import type { ActorMoveRepository } from "./actor-move.repository.ts";
import type { BlockRepository } from "./block.repository.ts";
import type { BlockService } from "./block.service.ts";
import type { FollowRepository } from "./follow.repository.ts";
import type { FollowService } from "./follow.service.ts";
import type { InteractionService } from "./interaction.service.ts";
import type { NotificationService } from "./notification.service.ts";
import type { ReportRepository } from "./report.repository.ts";

/** What the social inbox handlers use. */
export interface SocialHandlerDeps {
  readonly urls: Urls;
  readonly clock: Clock;
  readonly accounts: AccountRepository;
  readonly actors: ActorRepository;
  readonly posts: PostRepository;
  readonly resolver: ActorResolver;
  readonly bridge: OutboundBridge;
  readonly follows: FollowRepository;
  readonly blocks: BlockRepository;
  readonly reports: ReportRepository;
  readonly actorMoves: ActorMoveRepository;
  /** Who may interact with a post (PostRepository.canSee). */
  readonly audience: { canSee(post: Post, actor: Actor): Promise<boolean> };
  readonly followService: FollowService;
  readonly blockService: BlockService;
  readonly interactions: InteractionService;
  readonly notifications: NotificationService;
}

export type HandlerTable = Readonly<Record<string, InboxHandler>>;

export const processed: InboxOutcome = { kind: "processed" };
export const ignored = (reason: string): InboxOutcome => ({ kind: "ignored", reason });
export const rejected = (reason: string): InboxOutcome => ({ kind: "rejected", reason });

/** The local account an actor id (`/users/name`, or the `/@name` profile URL) names, or null. */
export async function localAccountOf(deps: Pick<SocialHandlerDeps, "urls" | "accounts">, uri: string | null): Promise<Account | null> {
  if (uri === null) return null;
  const username = deps.urls.parseActor(uri);
  if (username === null) return null;
  const account = await deps.accounts.findByUsername(username);
  if (account === null || account.username !== username) return null;
  return uri === account.uri || uri === deps.urls.profile(account.username) ? account : null;
}

/**
 * The published Herold post with exactly this id, or the reason why there is none. `anyState` also
 * finds drafts and deleted posts (a report about a post stays a report after the post is deleted).
 */
export async function localPostOf(
  deps: Pick<SocialHandlerDeps, "urls" | "posts">,
  uri: string | null,
  options: { anyState?: boolean } = {},
): Promise<{ post: Post } | { reason: string }> {
  if (uri === null) return { reason: "the activity has no object" };
  const parsed = deps.urls.parsePost(uri);
  if (parsed === null) return { reason: "its object is not a post of this server" };
  const post = await deps.posts.findById(parsed.postId);
  if (post === null || post.uri !== uri || !post.isLocal) return { reason: "no such post on this server" };
  if (post.state !== "published" && options.anyState !== true) return { reason: `the post is ${post.state}` };
  return { post };
}
