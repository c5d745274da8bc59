import { withContext } from "@logtape/logtape";
import type { MiddlewareHandler } from "hono";
import { newId } from "../lib/id.ts";
import { logger } from "../lib/logger.ts";

const accessLog = logger("http");

/**
 * A request id on every request (taken from a proxy's X-Request-Id when well-formed), carried into
 * every log line of the request. The access log records method, path, status and time — never the
 * client address: Herold stores no visitor IPs.
 */
export const requestContext: MiddlewareHandler = async (c, next) => {
  const incoming = c.req.header("x-request-id");
  const requestId = incoming !== undefined && /^[A-Za-z0-9._-]{8,64}$/.test(incoming) ? incoming : newId();
  c.set("requestId" as never, requestId as never);
  const started = performance.now();
  await withContext({ requestId }, async () => {
    await next();
    c.header("X-Request-Id", requestId);
    accessLog.info("{method} {path} {status} {ms}ms", {
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      ms: Math.round(performance.now() - started),
    });
  });
};

/**
 * Security headers for every response. Pages load nothing from other origins: the CSP allows only
 * this origin, and no inline scripts.
 */
export const securityHeaders: MiddlewareHandler = async (c, next) => {
  await next();
  const h = c.res.headers;
  if (!h.has("Content-Security-Policy")) {
    h.set(
      "Content-Security-Policy",
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
  }
  h.set("X-Content-Type-Options", "nosniff");
  h.set("Referrer-Policy", "same-origin");
  h.set("X-Frame-Options", "DENY");
  h.set("Cross-Origin-Opener-Policy", "same-origin");
  h.set("Cross-Origin-Resource-Policy", "same-origin");
  h.set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()");
};
