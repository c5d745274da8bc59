import { withContext } from "@logtape/logtape";
import type { MiddlewareHandler } from "hono";
import { requestId, type RequestIdVariables } from "hono/request-id";
import { secureHeaders } from "hono/secure-headers";
import { newId } from "../lib/id.ts";
import { logger } from "../lib/logger.ts";

const accessLog = logger("http");

const REQUEST_ID_HEADER = "X-Request-Id";
/** What a proxy's request id must look like to be kept (Hono's own check allows `=` and 255 characters). */
const WELL_FORMED_REQUEST_ID = /^[A-Za-z0-9._-]{8,64}$/;

// Hono's request-id middleware sets `c.get("requestId")`. Its header handling is switched off
// (`headerName: ""`): its check of an incoming id is looser than Herold's, and it sets the response
// header before the handler runs, which a raw `Response` (Fedify's, the file routes') would not carry.
// So the generator applies Herold's check, and `requestContext` sets the header on the final response.
const assignRequestId = requestId({
  headerName: "",
  generator: (c) => {
    const incoming = c.req.header(REQUEST_ID_HEADER);
    return incoming !== undefined && WELL_FORMED_REQUEST_ID.test(incoming) ? incoming : newId();
  },
});

/**
 * A request id on every request (taken from a proxy's X-Request-Id when well-formed), carried into
 * every log line of the request. The access log records method, path, status and time — never the
 * client address: Herold stores no visitor IPs.
 */
export const requestContext: MiddlewareHandler<{ Variables: RequestIdVariables }> = async (c, next) => {
  const started = performance.now();
  await assignRequestId(c, async () => {
    const id = c.get("requestId");
    await withContext({ requestId: id }, async () => {
      await next();
      c.header(REQUEST_ID_HEADER, id);
      accessLog.info("{method} {path} {status} {ms}ms", {
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        ms: Math.round(performance.now() - started),
      });
    });
  });
};

// Hono's defaults that Herold does not send are switched off: HSTS is the TLS-terminating proxy's
// decision, and the legacy headers (X-XSS-Protection, X-Download-Options, X-DNS-Prefetch-Control,
// X-Permitted-Cross-Domain-Policies, Origin-Agent-Cluster) would only change what browsers did.
const NOT_SENT = {
  strictTransportSecurity: false,
  originAgentCluster: false,
  xDnsPrefetchControl: false,
  xDownloadOptions: false,
  xPermittedCrossDomainPolicies: false,
  xXssProtection: false,
  crossOriginEmbedderPolicy: false,
} as const;

/** Always Herold's, whatever a handler set. */
const fixedHeaders = secureHeaders({
  ...NOT_SENT,
  xContentTypeOptions: "nosniff",
  referrerPolicy: "same-origin",
  xFrameOptions: "DENY",
  crossOriginOpenerPolicy: "same-origin",
  crossOriginResourcePolicy: "same-origin",
  // Hono's directive list lacks `interest-cohort` (the opt-out of Chrome's retired FLoC), which
  // Herold still sends; Hono renders any camelCase key the same way, so only the type is widened.
  permissionsPolicy: { camera: [], microphone: [], geolocation: [], interestCohort: [] } as NonNullable<Parameters<typeof secureHeaders>[0]>["permissionsPolicy"],
});

/**
 * Pages load nothing from other origins: the CSP allows only this origin, and no inline scripts.
 * A second instance because Hono's `overwrite` is per middleware: a handler's own, stricter CSP
 * (the file routes' `sandbox`) is kept, while the headers above always overwrite.
 */
const contentSecurityPolicy = secureHeaders({
  ...NOT_SENT,
  xContentTypeOptions: false,
  referrerPolicy: false,
  xFrameOptions: false,
  crossOriginOpenerPolicy: false,
  crossOriginResourcePolicy: false,
  removePoweredBy: false,
  overwrite: false,
  contentSecurityPolicy: {
    defaultSrc: ["'none'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'", "data:"],
    mediaSrc: ["'self'"],
    fontSrc: ["'self'"],
    connectSrc: ["'self'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
    baseUri: ["'none'"],
  },
});

/** Security headers for every response (Hono's secure-headers middleware, configured to Herold's values). */
export const securityHeaders: MiddlewareHandler = async (c, next) => {
  await fixedHeaders(c, async () => {
    await contentSecurityPolicy(c, next);
  });
};
