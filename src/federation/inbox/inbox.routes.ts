import { Hono, type Context } from "hono";
import type { Config } from "../../config/config.ts";
import type { InboxReceiver } from "./inbox.receiver.ts";

/**
 * `POST /users/:username/inbox` and `POST /inbox`: thin handlers around the receiver, which does
 * every check and says what to answer. 202 has no body; refusals carry a short JSON reason.
 */
export function inboxRoutes(receiver: InboxReceiver, config: Config): Hono {
  const app = new Hono();
  const handle = async (c: Context, username: string | null): Promise<Response> => {
    const requested = new URL(c.req.url);
    // Signatures cover the URL the sender used: this server's public origin, whatever proxy is in front.
    const url = new URL(requested.pathname + requested.search, config.origin).href;
    const result = await receiver.receive({
      username,
      url,
      method: c.req.method,
      headers: c.req.raw.headers,
      body: c.req.raw.body,
      signal: c.req.raw.signal,
    });
    if (result.status === 202) return c.body(null, 202);
    const headers: Record<string, string> = {};
    // Refused before the whole body was read: close the connection rather than drain the rest.
    if (result.status === 404 || result.status === 413 || result.status === 415 || result.status === 503) headers["Connection"] = "close";
    if (result.retryAfterSeconds !== undefined) headers["Retry-After"] = String(result.retryAfterSeconds);
    return c.json({ error: result.reason }, result.status, headers);
  };
  app.post("/users/:username/inbox", (c) => handle(c, c.req.param("username")));
  app.post("/inbox", (c) => handle(c, null));
  return app;
}
