import type { AppBase } from "../app/base.ts";
import type { Config } from "../config/config.ts";
import type { CommandContexts } from "./cli.ts";

/**
 * Builds the context a command runs on (`Command.context`), each from the modules it needs, loaded
 * here on demand: this file is imported by every CLI process, `help` included, so it imports no
 * value statically. The whole server (`server`) is what `herold` used to build for every command.
 */
export interface OpenedContext<C> {
  readonly ctx: C;
  /** Closes what opening built, in reverse order. */
  close(): Promise<void>;
}

export async function openDatabaseContext(config: Config): Promise<OpenedContext<CommandContexts["database"]>> {
  const { openDatabase } = await import("../db/database.ts");
  const database = await openDatabase(config.database);
  return { ctx: { config, database }, close: () => database.close() };
}

/** The database, migrated as at every start, with what `createAppBase` builds on it (as createAppContext does). */
export async function openBaseContext(config: Config): Promise<OpenedContext<AppBase>> {
  const [{ openDatabase }, { migrateToLatest }, { createAppBase }, { loadOrCreateSecret }, { VERSION }, { systemClock }] = await Promise.all([
    import("../db/database.ts"),
    import("../db/migrate.ts"),
    import("../app/base.ts"),
    import("../app/secret.ts"),
    import("../app/version.ts"),
    import("../lib/time.ts"),
  ]);
  const database = await openDatabase(config.database);
  try {
    await migrateToLatest(database, config.database);
  } catch (error) {
    await database.close();
    throw error;
  }
  const base = createAppBase({ config, database, clock: systemClock, secret: loadOrCreateSecret(config.dataDir), version: VERSION });
  return {
    ctx: base,
    close: async () => {
      // Queues first: postgres.js throws CONNECTION_DESTROYED if LISTEN outlives the pool.
      await base.queue.close();
      await database.close();
    },
  };
}

export async function openDeliveryContext(config: Config): Promise<OpenedContext<CommandContexts["delivery"]>> {
  const base = await openBaseContext(config);
  try {
    const { createDeliveryModule } = await import("../delivery/delivery.module.ts");
    const { OutboxRepository } = await import("../federation/outbound/outbox.repository.ts");
    const delivery = createDeliveryModule(base.ctx, { outbox: new OutboxRepository(base.ctx.database.db) });
    return {
      ctx: { ...base.ctx, delivery },
      close: async () => {
        // Delivery first: it writes buffered host state and closes its connection pools.
        await delivery.close();
        await base.close();
      },
    };
  } catch (error) {
    await base.close();
    throw error;
  }
}

/**
 * The base context plus the insights reports, built from social's read-only repositories (the
 * rollups are written by the server's modules; reading them needs none of them).
 */
export async function openInsightsContext(config: Config): Promise<OpenedContext<CommandContexts["insights"]>> {
  const base = await openBaseContext(config);
  try {
    const [{ insightsQueries }, { FollowersRepository }, { InteractionRepository }, { DeliveryReachRepository }, { PageViewRepository }, { PageViewService }, { ServerSoftwareRepository }, { ServerSoftwareService }] = await Promise.all([
      import("../insights/insights.module.ts"),
      import("../social/followers.repository.ts"),
      import("../social/interaction.repository.ts"),
      import("../delivery/reach.repository.ts"),
      import("../pages/page-views.repository.ts"),
      import("../pages/page-views.service.ts"),
      import("../federation/software/server-software.repository.ts"),
      import("../federation/software/server-software.service.ts"),
    ]);
    const db = base.ctx.database.db;
    const insights = insightsQueries(base.ctx, {
      followers: new FollowersRepository(db),
      interactions: new InteractionRepository(db),
      // The same read ports the server wires (context.ts), on the CLI's own database handle.
      reach: new DeliveryReachRepository(base.ctx.database),
      pageViews: new PageViewService({ repository: new PageViewRepository(db), clock: base.ctx.clock }),
      software: new ServerSoftwareService({ repository: new ServerSoftwareRepository(db), queue: base.ctx.queue, clock: base.ctx.clock }),
    });
    return { ctx: { ...base.ctx, insights }, close: () => base.close() };
  } catch (error) {
    await base.close();
    throw error;
  }
}

export async function openServerContext(config: Config): Promise<OpenedContext<CommandContexts["server"]>> {
  const { createAppContext } = await import("../app/context.ts");
  const ctx = await createAppContext(config, { migrate: true });
  return { ctx, close: () => ctx.close() };
}
