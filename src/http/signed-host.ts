import type { MiddlewareHandler } from "hono";
import { sameAuthority } from "../lib/authority.ts";
import { logger } from "../lib/logger.ts";

const log = logger("http", "signature");

/**
 * Signed GETs and HEADs (authorized fetch, followers-only posts and collections) are verified by
 * Fedify on the request as it arrived, whose `host` and RFC 9421 `@authority` are the Host header.
 * A signature made for another server, replayed here through a proxy that passes any Host on, would
 * verify as its signer's (issue #10 item 7); it is answered 401 before Fedify or any route sees it.
 * Unsigned requests pass untouched. Inbox POSTs check this in their own verifier
 * (federation/inbox/signature.ts), in the receiver's order of checks.
 */
export function signedHostGuard(origin: URL): MiddlewareHandler {
  return async (c, next) => {
    const headers = c.req.raw.headers;
    if (!headers.has("signature") && !headers.has("signature-input")) return await next();
    const host = headers.get("host") ?? new URL(c.req.url).host;
    if (sameAuthority(host, origin) && sameAuthority(new URL(c.req.url).host, origin)) return await next();
    const reason = `signed for host ${JSON.stringify(host.slice(0, 100))}, not for this server (${origin.host})`;
    log.info("{method} {path} refused with 401: {reason}", { method: c.req.method, path: c.req.path, reason });
    return c.json({ error: reason }, 401);
  };
}
