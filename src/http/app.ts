import type { Federation } from "@fedify/fedify";
import { Hono } from "hono";
import { logger } from "../lib/logger.ts";
import { BodyTooLargeError, bodyTooLargeResponse } from "./body-limit.ts";
import { fedifyMiddleware } from "./fedify.ts";
import { requestContext, securityHeaders } from "./middleware.ts";
import type { RouteGroup } from "./route-group.ts";
import { signedHostGuard } from "./signed-host.ts";

const log = logger("http");

export interface HttpAppDeps {
  readonly origin: URL;
  /** Fedify: WebFinger, NodeInfo, actor, object and collection documents. */
  readonly fedify: Federation<void>;
  /** Discovery documents Fedify does not serve, mounted before Fedify (they share /nodeinfo/). */
  readonly discovery: Hono;
  /** The styled "not found" page browsers get for unknown paths (the public pages' shell). */
  readonly notFoundHtml?: () => string;
}

/**
 * The HTTP application. Handlers stay thin and delegate to services; unexpected errors end in the
 * one error handler below, which logs them with the request id and answers without details.
 */
export function createHttpApp(deps: HttpAppDeps, groups: readonly RouteGroup[] = []): Hono {
  const app = new Hono();
  app.use(requestContext);
  app.use(securityHeaders);
  // Before anything that verifies a GET's signature (Fedify's dispatchers, the tombstone route).
  app.on(["GET", "HEAD"], "*", signedHostGuard(deps.origin));

  app.route("/", deps.discovery);

  // Fedify answers GETs of discovery and ActivityPub documents; inbox POSTs are Herold's own.
  const fedify = fedifyMiddleware(deps.fedify);
  for (const path of ["/.well-known/webfinger", "/nodeinfo/*", "/users/*", "/actor"]) {
    app.on(["GET", "HEAD"], path, fedify);
  }

  const routeContext = { fedify: deps.fedify };
  for (const group of groups) app.route("/", group(routeContext));

  // Browsers get a page; everything else (ActivityPub clients, scripts) keeps the JSON answer.
  const notFoundHtml = deps.notFoundHtml ?? notFoundPage;
  app.notFound((c) => {
    const wantsHtml = (c.req.header("accept") ?? "").includes("text/html");
    return wantsHtml ? c.html(notFoundHtml(), 404, { Vary: "Accept" }) : c.json({ error: "Not found" }, 404, { Vary: "Accept" });
  });

  app.onError((error, c) => {
    // Expected: a client sent more than the route accepts (limitBody). Not a server fault.
    if (error instanceof BodyTooLargeError) {
      log.info("request body over {maxBytes} bytes on {method} {path}: 413", { maxBytes: error.maxBytes, method: c.req.method, path: c.req.path });
      return bodyTooLargeResponse(c, error);
    }
    log.error("unhandled error on {method} {path}: {error}", { method: c.req.method, path: c.req.path, error });
    return c.json({ error: "Internal server error" }, 500);
  });
  return app;
}

function notFoundPage(): string {
  return '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Not found</title></head><body><h1>Not found</h1></body></html>';
}
