import { UnansweredRepository } from "./unanswered.repository.ts";
import type { ActorResolver } from "../actor/actor.resolver.ts";
import type { AppBase, ModuleContributions } from "../app/base.ts";
import type { FederationModule } from "../federation/federation.module.ts";
import type { OutboundBridge } from "../federation/outbound/bridge.ts";
import { mediaRoutes } from "../media/media.routes.ts";
import { MediaService } from "../media/media.service.ts";
import type { SocialModule } from "../social/social.module.ts";
import { homeFeedFollowsListener } from "./home-feed.ts";
import { OutboxBackfill } from "./outbox-backfill.ts";
import { PostAccess } from "./post.access.ts";
import { postDispatchers } from "./post.dispatchers.ts";
import { PostInbox, registerPostInbox } from "./post.inbox.ts";
import { registerPostBuilders } from "./post.outbound.ts";
import type { BlockPolicy, FollowerPolicy, InteractionLedger, Notifier, ObjectFetcher } from "./post.ports.ts";
import type { OutboxRepository } from "../federation/outbound/outbox.repository.ts";
import { deletedPostRoutes } from "./post.routes.ts";
import { TombstoneService } from "./tombstone.service.ts";
import { PostInteractionService } from "./post-interaction.service.ts";
import { PostService } from "./post.service.ts";
import { RemotePostService } from "./remote-post.service.ts";
import { TimelineService } from "./timeline.service.ts";
import { PollVoteInbox } from "./poll-vote.inbox.ts";
import { PollUpdates, pollUpdateHandler } from "./poll.job.ts";

/**
 * Posts: writing (publish, edit, delete, like, boost and their undos), remote posts (stored from
 * inboxes, fetched by id, refreshed), home timelines, attachments, and their federation — the
 * outbound builders, the object and collection dispatchers, the inbox handlers for posts and boosts,
 * and the outbox backfill after a follow is accepted.
 */
export interface PostModule extends ModuleContributions, PostServices {}

/** The services of the posts module (what other modules and the CLI use). */
export interface PostServices {
  /** Publish, edit, delete local posts. */
  readonly service: PostService;
  /** Like, boost, unlike, unboost any post by URL (recorded in social's ledger). */
  readonly interactions: PostInteractionService;
  /** Remote posts: resolve by id or URL (local, stored, or fetched), store, update, delete. */
  readonly remote: RemotePostService;
  /** Home timelines of local accounts. */
  readonly timeline: TimelineService;
  /** Local image attachments. */
  readonly media: MediaService;
  /** Who may fetch which post or activity. */
  readonly access: PostAccess;
  /** Inbox handlers for Create, Update, Delete, Announce, Undo/Announce, Add, Remove. */
  readonly inbox: PostInbox;
  readonly backfill: OutboxBackfill;
  /** The app's home: mentions and replies the account has not answered. */
  readonly unanswered: UnansweredRepository;
}

/** What the posts services need from the federation and social modules (fakes in tests). */
export interface PostPorts {
  readonly resolver: ActorResolver;
  readonly fetcher: ObjectFetcher;
  readonly bridge: Pick<OutboundBridge, "transaction" | "on">;
  readonly ledger: InteractionLedger;
  readonly notifier: Notifier;
  readonly blocks: BlockPolicy;
  readonly followers: FollowerPolicy;
  readonly outbox: Pick<OutboxRepository, "findOwned" | "latestAbout">;
}

export function createPostModule(base: AppBase, deps: { federation: FederationModule; social: SocialModule }): PostModule {
  const { federation, social } = deps;
  // Home timelines follow the follows: social runs this in the transaction of every accepted-follow change.
  social.acceptedFollows.on(homeFeedFollowsListener);
  const services = createPostServices(base, {
    resolver: federation.resolver,
    fetcher: { fetch: (url, options) => federation.documents.fetch(url, options) },
    bridge: federation.bridge,
    followers: social.followers,
    outbox: federation.outbox,
    ledger: {
      record: (input, db) => social.interactions.record(input, db),
      undo: (activityUri, actorId, at, db) => social.interactions.undo(activityUri, actorId, at, db),
      get: (interactionId) => social.interactions.get(interactionId),
      active: (actorId, postId, kind) => social.interactions.active(actorId, postId, kind),
      votesBy: (postId, actorId, db) => social.interactions.votesBy(postId, actorId, db),
    },
    notifier: { notify: (input, db) => social.notifications.notify(input, db), existsForInteraction: (id, db) => social.notifications.existsForInteraction(id, db) },
    // An actor on a domain the operator blocked counts as blocked by every local account, so its
    // posts do not arrive through a boost even when they were stored before the block
    // (hostile-inputs case 18, CVE-2026-23961; src/hostile-inputs/social.test.ts).
    blocks: {
      isBlocked: async (a, b) => {
        if (await social.blocks.isBlocked(a, b)) return true;
        const actors = await base.repos.actors.findManyByIds([a, b]);
        const remote = [...actors.values()].filter((actor) => !actor.isLocal).map((actor) => actor.uri);
        return remote.length > 0 && (await federation.domainBlocks.firstBlocked(remote)) !== null;
      },
    },
  });
  registerPostInbox(federation, services.inbox);
  social.follows.onAccepted((event) => services.backfill.request(event.followeeActorId));

  const { urls } = base;
  const db = base.database.db;
  const { accounts, posts } = base.repos;
  return {
    ...services,
    routes: [deletedPostRoutes(new TombstoneService({ accounts, posts, outbox: federation.outbox, access: services.access, urls })), mediaRoutes(services.media)],
    fedifyDispatchers: [postDispatchers({ db, urls, accounts, posts, access: services.access, outbox: federation.outbox, clock: base.clock })],
    jobs: [services.backfill.handler(), pollUpdateHandler(federation.bridge)],
  };
}

/** Builds the services and registers the outbound builders on `ports.bridge`. */
export function createPostServices(base: AppBase, ports: PostPorts): PostServices {
  const { config, clock, urls } = base;
  const db = base.database.db;
  const { accounts, actors, posts } = base.repos;
  const { resolver, fetcher, bridge, ledger, notifier, blocks, followers } = ports;

  const media = new MediaService({ db, dataDir: config.dataDir, clock });
  const polls = new PollUpdates({ queue: base.queue });
  const remote = new RemotePostService({ db, posts, actors, accounts, urls, resolver, fetcher, ledger, notifier, blocks, limits: config.limits, clock });
  const service = new PostService({
    db,
    accounts,
    actors,
    posts,
    media,
    remote,
    resolver,
    events: bridge,
    urls,
    domain: config.domain,
    clock,
    maxChars: config.limits.postMaxChars,
    maxPollOptions: config.limits.maxPollOptions,
    polls,
  });
  const backfill = new OutboxBackfill({
    actors,
    fetcher,
    remote,
    queue: base.queue,
    limits: { pages: config.limits.collectionPagesFetched, objectFetches: config.limits.fetchesPerActivity },
    clock,
  });
  const access = new PostAccess({ followers, posts, authorizedFetch: config.authorizedFetch });
  registerPostBuilders(bridge, { outbox: ports.outbox, urls, accounts, actors, posts, ledger, clock });
  return {
    service,
    interactions: new PostInteractionService({ accounts, posts, remote, events: bridge, ledger, urls, clock }),
    remote,
    timeline: new TimelineService({ accounts, actors, posts }),
    media,
    access,
    inbox: new PostInbox({ db, urls, posts, remote, fetcher, ledger, blocks, followers, votes: new PollVoteInbox({ db, urls, posts, remote, ledger, blocks, access, polls, clock }) }),
    backfill,
    unanswered: new UnansweredRepository(db),
  };
}
