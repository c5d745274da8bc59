import type { RouteGroup } from "../http/app.ts";

/** Route groups of the feature modules, in mounting order (public pages last: they catch /@user). */
export const routeGroups: readonly RouteGroup[] = [];
