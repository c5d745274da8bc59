import type { Hono } from "hono";
import { createHttpApp } from "../http/app.ts";
import { discoveryRoutes } from "../http/discovery.routes.ts";
import type { RouteGroup } from "../http/route-group.ts";
import type { ModuleContributions } from "./base.ts";
import type { AppContext } from "./context.ts";

/** Route groups of all feature modules, in mounting order. */
export function routeGroupsOf(modules: readonly ModuleContributions[]): RouteGroup[] {
  return modules.flatMap((m) => m.routes ?? []);
}

/** The HTTP application of a built context: discovery, Fedify, then every module's route groups. */
export function httpAppOf(ctx: AppContext): Hono {
  const discovery = discoveryRoutes({
    origin: ctx.config.origin.origin,
    nodeInfo: { accounts: ctx.repos.accounts, posts: ctx.repos.posts, version: ctx.version },
    ping: async () => {
      await ctx.database.db.selectFrom("kv").select("key").limit(1).execute();
    },
  });
  return createHttpApp({ origin: ctx.config.origin, fedify: ctx.fedify, discovery, notFoundHtml: ctx.pages.notFoundHtml }, routeGroupsOf(ctx.modules));
}
