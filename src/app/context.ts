import type { Federation } from "@fedify/fedify";
import type { Config } from "../config/config.ts";
import { openDatabase } from "../db/database.ts";
import { migrateToLatest } from "../db/migrate.ts";
import { systemClock, type Clock } from "../lib/time.ts";
import { createHeroldFederation } from "../federation/federation.ts";
import { createDeliveryModule, type DeliveryModule } from "../delivery/delivery.module.ts";
import { OutboxRepository } from "../federation/outbound/outbox.repository.ts";
import { createFederationModule, type FederationModule } from "../federation/federation.module.ts";
import { createSocialModule, type SocialModule } from "../social/social.module.ts";
import { FollowersRepository } from "../social/followers.repository.ts";
import { createPostModule, type PostModule } from "../post/post.module.ts";
import { createPagesModule, type PagesModule } from "../pages/pages.module.ts";
import { createInsightsModule, type InsightsModule } from "../insights/insights.module.ts";
import { createWebModule, type WebModule } from "../web/web.module.ts";
import { type AppBase, type ModuleContributions, createAppBase } from "./base.ts";
import { loadOrCreateSecret } from "./secret.ts";
import { VERSION } from "./version.ts";

export { VERSION };

/**
 * The composition root: every long-lived object is built here, once, from the parsed config and
 * handed to what needs it. No container, no module singletons; tests build their own contexts.
 */
export interface AppContext extends AppBase {
  readonly delivery: DeliveryModule;
  /** The federation module (inbox, remote fetches, outbound bridge, remote keys). */
  readonly federationModule: FederationModule;
  readonly social: SocialModule;
  readonly posts: PostModule;
  readonly pages: PagesModule;
  /** Insights: rollups kept with the ledger and follows, and the reports (`herold stats`, the app). */
  readonly insights: InsightsModule;
  /** The team web app under /app (people, sessions, compose, schedule) and the media proxy. */
  readonly web: WebModule;
  /** Fedify: WebFinger, NodeInfo, actor, object and collection documents. */
  readonly fedify: Federation<void>;
  /** Every module's contributions in mounting order (pages last: they catch /@user). */
  readonly modules: readonly ModuleContributions[];
  close(): Promise<void>;
}

export interface ContextOptions {
  readonly clock?: Clock;
  /** Apply pending migrations while opening (start, CLI). */
  readonly migrate?: boolean;
}

export async function createAppContext(config: Config, options: ContextOptions = {}): Promise<AppContext> {
  const clock = options.clock ?? systemClock;
  const database = await openDatabase(config.database);
  try {
    // Creating the schema is part of migrating (under the same lock); without migrating, a fresh
    // schema would be read before it exists.
    if (options.migrate !== false) await migrateToLatest(database, config.database);
  } catch (error) {
    await database.close();
    throw error;
  }
  const base = createAppBase({ config, database, clock, secret: loadOrCreateSecret(config.dataDir), version: VERSION });

  // Delivery is wired before federation but sends what federation stored: it gets the outbox reader.
  const delivery = createDeliveryModule(base, { outbox: new OutboxRepository(database.db) });
  // Social's read-only follower questions, built here because federation (wired before social)
  // needs the follower inboxes and the pages need counts; `follows` stays social's table.
  const followers = new FollowersRepository(database.db);
  const federationModule = createFederationModule(base, { delivery, followerInboxes: (actorId, db) => followers.remoteInboxes(actorId, db) });
  const social = createSocialModule(base, { federation: federationModule });
  // An accepted remote follower queues a NodeInfo fetch of its server (insights' audience by software).
  social.acceptedFollows.on(federationModule.serverSoftware.acceptedFollowsListener);
  const posts = createPostModule(base, { federation: federationModule, social });
  const pages = createPagesModule(base, { followers: social.followers, interactions: social.interactions });
  // After social, posts and pages: its rollups listen to social's ledger and follow changes; it reads
  // delivery reach, page views and server software through the ports those modules own.
  const insights = createInsightsModule(base, { social, reach: delivery.reach, pageViews: pages.pageViews, software: federationModule.serverSoftware });
  const web = createWebModule(base, { federation: federationModule, social, posts, pages, insights: insights.queries });
  const modules: ModuleContributions[] = [delivery, federationModule, social, posts, insights, web, pages];

  const fedify = createHeroldFederation(
    { config, database, clock, urls: base.urls, accounts: base.repos.accounts, posts: base.repos.posts, signingKeys: base.signingKeys, version: VERSION, loaders: federationModule.loaders },
    modules.flatMap((m) => m.fedifyDispatchers ?? []),
  );

  return {
    ...base,
    delivery,
    federationModule,
    social,
    posts,
    pages,
    insights,
    web,
    fedify,
    modules,
    close: async () => {
      // Delivery first: it writes buffered host state and closes its connection pools.
      await delivery.close();
      await federationModule.close();
      // Page views buffered in memory are written while the database is still open.
      await pages.close();
      // Queues first: postgres.js throws CONNECTION_DESTROYED if LISTEN outlives the pool.
      await base.queue.close();
      await database.close();
    },
  };
}
