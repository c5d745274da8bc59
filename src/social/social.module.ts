import type { AppBase, ModuleContributions } from "../app/base.ts";
import type { CounterCorrection } from "../db/counters.ts";
import { repairFollowCounters } from "./follow.counters.ts";
import type { FederationModule } from "../federation/federation.module.ts";
import { ActorMoveRepository } from "./actor-move.repository.ts";
import { ChannelActivityRepository } from "./channel-activity.repository.ts";
import { blockHandlers } from "./block.inbox.ts";
import { BlockRepository } from "./block.repository.ts";
import { BlockService } from "./block.service.ts";
import { flagHandlers } from "./flag.inbox.ts";
import { followCollections } from "./follow.collections.ts";
import { awaitedAnswers, followHandlers } from "./follow.inbox.ts";
import { endFollowsOfGoneActors } from "./follow-history.ts";
import { AcceptedFollows } from "./accepted-follows.ts";
import { FollowRepository } from "./follow.repository.ts";
import { FollowService } from "./follow.service.ts";
import { FollowersRepository } from "./followers.repository.ts";
import { InteractionRepository } from "./interaction.repository.ts";
import { InteractionService } from "./interaction.service.ts";
import { likeHandlers } from "./like.inbox.ts";
import { LedgerChanges } from "./ledger-changes.ts";
import { moveHandlers } from "./move.inbox.ts";
import { NotificationRepository } from "./notification.repository.ts";
import { NotificationService } from "./notification.service.ts";
import { ReportRepository } from "./report.repository.ts";
import { registerSocialBuilders } from "./social.builders.ts";
import { undoneActivityType } from "./undone.lookup.ts";
import type { SocialHandlerDeps } from "./social.inbox.ts";
import { TargetLookup } from "./target.ts";

/**
 * Follows, blocks, the interaction ledger and notifications. Other modules code against exactly these
 * services: posts records likes/boosts/replies in `interactions`, asks `followers` (accepted follows) and
 * `blocks.isBlocked` before showing or delivering, and backfills outboxes from `follows.onAccepted`.
 */
export interface SocialModule extends ModuleContributions {
  readonly follows: FollowService;
  readonly interactions: InteractionService;
  readonly notifications: NotificationService;
  readonly blocks: BlockService;
  /** Read-only follower questions for other modules (who may see a post, profile counts). */
  readonly followers: FollowersRepository;
  /** The app's home: what came in since a visit, and the follower count with its change. */
  readonly channelActivity: ChannelActivityRepository;
  /** `herold repair`: recounts social's counters (accepted followers and following) from `follows`. */
  repairCounters(): Promise<CounterCorrection[]>;
  /** What other modules keep in step with accepted follows registers here (the posts module's home timelines). */
  readonly acceptedFollows: Pick<AcceptedFollows, "on">;
  /** What other modules keep in step with the interaction ledger registers here (the insights rollups). */
  readonly ledgerChanges: Pick<LedgerChanges, "on">;
}

/** The part of the federation module the social module uses (tests pass a fake resolver and a recording bridge). */
export type SocialFederationDeps = Pick<FederationModule, "resolver" | "bridge" | "inbox">;

export function createSocialModule(base: AppBase, deps: { federation: SocialFederationDeps }): SocialModule {
  const db = base.database.db;
  const { accounts, actors, posts } = base.repos;
  const { resolver, bridge, inbox } = deps.federation;
  const clock = base.clock;

  const acceptedFollows = new AcceptedFollows();
  const followRepository = new FollowRepository(db, acceptedFollows);
  // Social owns follows, so it ends them when the actor module announces an actor gone.
  base.actorsGone.subscribe(endFollowsOfGoneActors(acceptedFollows));
  const blockRepository = new BlockRepository(db);
  const targets = new TargetLookup({ resolver, actors, accounts, urls: base.urls, domain: base.config.domain });

  const notifications = new NotificationService({ notifications: new NotificationRepository(db), accounts, actors, blocks: blockRepository, clock });
  const ledgerChanges = new LedgerChanges();
  const interactionRepository = new InteractionRepository(db, ledgerChanges);
  const interactions = new InteractionService({ interactions: interactionRepository, posts, notifications });
  const follows = new FollowService({ follows: followRepository, blocks: blockRepository, accounts, actors, targets, bridge, notifications, clock });
  const blocks = new BlockService({ blocks: blockRepository, follows: followRepository, followService: follows, accounts, actors, targets, bridge, clock });

  registerSocialBuilders(bridge, { follows: followRepository, blocks: blockRepository, accounts, actors, signingKeys: base.signingKeys, urls: base.urls });

  const handlerDeps: SocialHandlerDeps = {
    urls: base.urls,
    clock,
    accounts,
    actors,
    posts,
    resolver,
    bridge,
    follows: followRepository,
    blocks: blockRepository,
    reports: new ReportRepository(db),
    actorMoves: new ActorMoveRepository(db),
    audience: { canSee: (post, actor) => posts.canSee(post, actor) },
    followService: follows,
    blockService: blocks,
    interactions,
    notifications,
  };
  for (const table of [followHandlers(handlerDeps), likeHandlers(handlerDeps), blockHandlers(handlerDeps), flagHandlers(handlerDeps), moveHandlers(handlerDeps)]) {
    for (const [key, handler] of Object.entries(table)) inbox.register(key, handler);
  }
  for (const [type, check] of Object.entries(awaitedAnswers(handlerDeps))) inbox.awaitRepeats(type, check);
  inbox.identifyUndone(undoneActivityType({ follows: followRepository, interactions: interactionRepository, blocks: blockRepository }));

  return {
    follows,
    interactions,
    notifications,
    blocks,
    followers: new FollowersRepository(db),
    channelActivity: new ChannelActivityRepository(db),
    repairCounters: () => repairFollowCounters(db),
    acceptedFollows,
    ledgerChanges,
    fedifyDispatchers: [followCollections({ follows: followRepository, accounts })],
  };
}
