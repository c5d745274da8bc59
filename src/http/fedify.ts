import type { Federation } from "@fedify/fedify";
import type { MiddlewareHandler } from "hono";

/**
 * The Hono–Fedify glue: Fedify answers what it routes (WebFinger, NodeInfo, actor and object
 * documents for ActivityPub clients); everything else, and HTML requests for the same URLs
 * (content negotiation), falls through to Herold's own routes.
 */
export function fedifyMiddleware(fedify: Federation<void>): MiddlewareHandler {
  return async (c, next) => {
    let fellThrough = false;
    const fallThrough = async (): Promise<Response> => {
      fellThrough = true;
      await next();
      return c.res;
    };
    const response = await fedify.fetch(c.req.raw, {
      contextData: undefined,
      onNotFound: fallThrough,
      onNotAcceptable: fallThrough,
    });
    if (fellThrough) return;
    return response;
  };
}
