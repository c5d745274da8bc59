import type { AppBase, ModuleContributions } from "../app/base.ts";
import { ActorService } from "../actor/actor.service.ts";
import type { ActorResolver } from "../actor/actor.resolver.ts";
import { InstanceActor } from "../actor/instance-actor.ts";
import { instanceActorRoutes } from "../actor/instance-actor.routes.ts";
import type { DeliveryModule } from "../delivery/delivery.module.ts";
import { logger } from "../lib/logger.ts";
import { createGuardedHttpClient } from "../net/guarded-client.ts";
import { DomainBlocks } from "./domain-blocks.ts";
import { DocumentFetcher, fedifyAuthenticatedDocumentLoader, fedifyDocumentLoader, type DocumentSource } from "./fetch/document-fetcher.ts";
import type { FederationLoaders } from "./federation.deps.ts";
import { registerActorHandlers, ObjectHooks } from "./inbox/actor.inbox.ts";
import { registerAnnounceUnwrapping } from "./inbox/announce.inbox.ts";
import { InboxCapacity } from "./inbox/capacity.ts";
import { INBOX_QUEUE, InboxReceiver } from "./inbox/inbox.receiver.ts";
import { inboxRoutes } from "./inbox/inbox.routes.ts";
import { InboxProcessor } from "./inbox/inbox.processor.ts";
import { InboxDispatcher, type InboxHandler } from "./inbox/inbox.types.ts";
import { inboxQueueHandler, inboxSeenPurgeHandler } from "./inbox/inbox.job.ts";
import { RemoteKeyStore } from "./inbox/key-store.ts";
import { InboxSignatureVerifier } from "./inbox/signature.ts";
import { OutboundBridge, type FollowerInboxes } from "./outbound/bridge.ts";
import { OutboxRepository } from "./outbound/outbox.repository.ts";
import type { QueueHandler } from "../queue/queue.ts";
import { nodeInfoHandler } from "./software/server-software.job.ts";
import { ServerSoftwareRepository } from "./software/server-software.repository.ts";
import { ServerSoftwareService } from "./software/server-software.service.ts";

/** NodeInfo documents are a few hundred bytes; a server sending more is not answering NodeInfo. */
const NODEINFO_MAX_BYTES = 64 * 1024;
const NODEINFO_TIMEOUT_MS = 10_000;

const log = logger("federation");

/**
 * Inbound federation and the shared machinery around it.
 *
 * For other modules:
 * - `inbox.register(key, handler)`: handle an activity type (`Follow`, `Undo/Like`, `Create` …; keys
 *   in inbox/dispatch-key.ts). Handlers get a verified `InboundActivity` and return an outcome;
 *   exceptions retry the job.
 * - `inbox.awaitRepeats(type, check)`: repeats of an activity (same id, same content) are dropped
 *   at the door, unless `check` says local state still waits for it (an Accept of a pending Follow).
 * - `Update` and `Delete` are registered here: actors are handled here, objects go to
 *   `onObjectUpdate(handler)` / `onObjectDelete(handler)`, which the posts module installs once.
 *   Registering `Update`/`Delete` in the dispatcher again fails at start-up with that hint.
 * - `Announce/<Activity>` (group announces) is unwrapped here, checked against the inner activity's
 *   origin, and dispatched again under the inner key with `activity.via` set to the group.
 * - Actors gone (410, Tombstone, their own Delete, a dead personal inbox) are announced by
 *   `base.actorsGone` (src/actor/actor-gone.ts); a module that keeps relations with actors subscribes
 *   there, in the announcing transaction (social ends follows).
 * - `resolver` (`ActorService`): remote actors by id or handle. `documents`: any other ActivityPub
 *   document (signed by the instance actor, guarded, domain blocks applied). Pass the activity's
 *   `budget` to both while handling inbound activities.
 */
export interface FederationModule extends ModuleContributions {
  readonly resolver: ActorResolver;
  readonly actors: ActorService;
  readonly bridge: OutboundBridge;
  /** The stored outbound activities (what their ids dereference to). */
  readonly outbox: OutboxRepository;
  readonly inbox: InboxDispatcher;
  readonly documents: DocumentSource;
  readonly instanceActor: InstanceActor;
  readonly domainBlocks: DomainBlocks;
  readonly receiver: InboxReceiver;
  readonly processor: InboxProcessor;
  readonly capacity: InboxCapacity;
  readonly remoteKeys: RemoteKeyStore;
  /** Fedify's document loaders (createHeroldFederation): the same guarded, signed path. */
  readonly loaders: FederationLoaders;
  /**
   * The software remote servers run (their NodeInfo, cached per host, fetched at most once a UTC day
   * by the `nodeinfo` job): for insights. `acceptedFollowsListener` is registered on social's
   * `AcceptedFollows` by the composition root, so an accepted remote follower queues its server.
   */
  readonly serverSoftware: ServerSoftwareService;
  onObjectUpdate(handler: InboxHandler): void;
  onObjectDelete(handler: InboxHandler): void;
  /** Closes the fetch connection pool. */
  close(): Promise<void>;
}

export interface FederationModuleOptions {
  /** Replaces the network for every fetch of this module (the fixture suite serves documents from memory). */
  readonly documents?: DocumentSource;
}

/**
 * `followerInboxes`: social's port (federation is wired before social, so the composition root
 * builds it from social's repository and hands it in).
 */
export function createFederationModule(base: AppBase, deps: { delivery: DeliveryModule; followerInboxes: FollowerInboxes }, options: FederationModuleOptions = {}): FederationModule {
  const { config, clock, urls } = base;
  const db = base.database.db;
  const bridge = new OutboundBridge({ db, urls, clock, delivery: deps.delivery.port, queue: base.queue, followerInboxes: deps.followerInboxes });
  const domainBlocks = new DomainBlocks(db);
  const instanceActor = new InstanceActor({ db, urls, domain: config.domain, clock });
  const guardedClient = createGuardedHttpClient({
    allowPrivateAddress: config.allowPrivateAddress,
    connectTimeoutMs: config.delivery.connectTimeoutMs,
    connectionsPerOrigin: 4,
  });
  const documents: DocumentSource = options.documents ?? new DocumentFetcher({
    config,
    clock,
    guardedClient,
    domainBlocks,
    instanceKey: async () => {
      const keys = await instanceActor.keys();
      return { keyId: keys.keyId, privateKey: keys.privateKey };
    },
    userAgent: `Herold/${base.version} (+${urls.origin})`,
  });
  const actors = new ActorService({ config, urls, clock, actors: base.repos.actors, fetcher: documents, domainBlocks, gone: base.actorsGone });
  const remoteKeys = new RemoteKeyStore({ config, urls, clock, actors: base.repos.actors, actorService: actors, fetcher: documents, domainBlocks });
  const verifier = new InboxSignatureVerifier({ remoteKeys, clock, windowSeconds: config.limits.signatureWindowSeconds, origin: config.origin });
  const capacity = new InboxCapacity({
    counts: () => base.queue.countByGroup(INBOX_QUEUE),
    capacity: config.limits.inboxQueueCapacity,
    clock,
  });
  const inbox = new InboxDispatcher();
  const receiver = new InboxReceiver({
    config,
    clock,
    db,
    queue: base.queue,
    accounts: base.repos.accounts,
    domainBlocks,
    verifier,
    remoteKeys,
    capacity,
    onVerifiedHost: (domain) => {
      deps.delivery.markHostAlive(domain).catch((error: unknown) => log.warn("markHostAlive({domain}) failed: {error}", { domain, error }));
    },
    isAwaited: (activity, signerId) => inbox.isAwaited(activity, signerId),
  });

  const processor = new InboxProcessor({ dispatcher: inbox });
  const hooks = new ObjectHooks();
  registerActorHandlers(inbox, { actorService: actors, actors: base.repos.actors, hooks });
  registerAnnounceUnwrapping(inbox, { db, fetcher: documents, resolver: actors, domainBlocks, processor: () => processor });

  const loaders: FederationLoaders = {
    documentLoaderFactory: () => fedifyDocumentLoader(documents),
    authenticatedDocumentLoaderFactory: (identity) => fedifyAuthenticatedDocumentLoader(documents, identity),
  };
  const softwareRepository = new ServerSoftwareRepository(db);
  const serverSoftware = new ServerSoftwareService({ repository: softwareRepository, queue: base.queue, clock });
  const nodeInfoJob = nodeInfoHandler({
    repository: softwareRepository,
    documents,
    clock,
    limits: { maxBytes: NODEINFO_MAX_BYTES, timeoutMs: NODEINFO_TIMEOUT_MS, allowHttp: config.allowPrivateAddress },
  });
  const workerDeps = { config, clock, db, queue: base.queue, actors: base.repos.actors, accounts: base.repos.accounts, processor };

  return {
    resolver: actors,
    actors,
    bridge,
    outbox: new OutboxRepository(db),
    inbox,
    documents,
    instanceActor,
    domainBlocks,
    receiver,
    processor,
    capacity,
    remoteKeys,
    loaders,
    serverSoftware,
    onObjectUpdate: (handler) => hooks.onObjectUpdate(handler),
    onObjectDelete: (handler) => hooks.onObjectDelete(handler),
    routes: [() => inboxRoutes(receiver, config), () => instanceActorRoutes(instanceActor, urls.origin, config.domain)],
    jobs: [inboxQueueHandler(workerDeps), inboxSeenPurgeHandler(workerDeps), bridge.handler() as QueueHandler<unknown>, nodeInfoJob as QueueHandler<unknown>],
    close: async () => {
      await guardedClient.close();
    },
  };
}
