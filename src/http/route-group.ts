import type { Federation } from "@fedify/fedify";
import type { Hono } from "hono";

/**
 * What exists only once every module is built: Fedify's object is assembled from all modules'
 * registrations, so a route group that verifies signatures (the deleted-post route) receives it
 * when the HTTP app is put together. Everything else a group needs, its module closes over.
 */
export interface RouteContext {
  readonly fedify: Federation<void>;
}

/** Route groups added by feature modules (pages, inbox, web app …), mounted in order. */
export type RouteGroup = (ctx: RouteContext) => Hono;
