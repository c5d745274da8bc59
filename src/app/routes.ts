import type { RouteGroup } from "../http/app.ts";
import type { AppContext } from "./context.ts";

/** Route groups of all feature modules, in mounting order. */
export function routeGroupsOf(ctx: AppContext): RouteGroup[] {
  return ctx.modules.flatMap((m) => m.routes ?? []);
}
