import type { AppBase, ModuleContributions } from "../app/base.ts";
import type { CounterCorrection } from "../db/counters.ts";
import { PostSummaries } from "../post/post.queries.ts";
import type { SocialModule } from "../social/social.module.ts";
import type { DeliveryReach, PageViewCounts, ServerSoftware } from "./insights.ports.ts";
import { InsightsRepository } from "./insights.repository.ts";
import { followRollupListener, ledgerRollupListener } from "./insights.rollups.ts";
import { InsightsService } from "./insights.service.ts";
import { foldHandler, scheduleFolding } from "./insights-fold.job.ts";

/**
 * Insights (issue #14): rollups kept with social's ledger and follow changes, and the reports the
 * web app, its JSON URL and `herold stats` read (`queries`). Its tables are `insights_*`; it reads
 * other modules' data through their ports: social's followers and per-post interactors, the posts
 * module's summaries, delivery's reach, the pages' view counters and federation's server software.
 */
export interface InsightsModule extends ModuleContributions {
  readonly queries: InsightsService;
  /** `herold repair`: recounts every account's rollups from the ledger and the follow history. */
  repairRollups(): Promise<CounterCorrection[]>;
  /** The worker role, at start: makes sure the daily folding job exists. */
  scheduleFolding(): Promise<void>;
}

export interface InsightsModuleDeps {
  readonly social: Pick<SocialModule, "ledgerChanges" | "acceptedFollows" | "interactions" | "followers">;
  readonly reach: DeliveryReach;
  readonly pageViews: PageViewCounts;
  readonly software: ServerSoftware;
}

export function createInsightsModule(base: AppBase, deps: InsightsModuleDeps): InsightsModule {
  // The rollups commit in the transactions of the writes they count.
  deps.social.ledgerChanges.on(ledgerRollupListener);
  deps.social.acceptedFollows.on(followRollupListener);
  const queries = insightsQueries(base, { interactions: deps.social.interactions, followers: deps.social.followers, reach: deps.reach, pageViews: deps.pageViews, software: deps.software });
  const interactions = deps.social.interactions;
  return {
    queries,
    repairRollups: () => queries.repair(),
    scheduleFolding: () => scheduleFolding(base.queue, base.clock),
    jobs: [foldHandler({ rollups: new InsightsRepository(base.database.db), interactions, reach: deps.reach, clock: base.clock, rawDays: base.config.analyticsRawDays })],
  };
}

/** The reports alone, for contexts that only read (the `herold stats` command). */
export function insightsQueries(base: AppBase, deps: Pick<ConstructorParameters<typeof InsightsService>[0], "interactions" | "followers" | "reach" | "pageViews" | "software">): InsightsService {
  const db = base.database.db;
  return new InsightsService({
    db,
    accounts: base.repos.accounts,
    actors: base.repos.actors,
    rollups: new InsightsRepository(db),
    posts: new PostSummaries(db),
    clock: base.clock,
    ...deps,
  });
}
