import type { IncomingMessage } from "node:http";
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
      body: bodyOf(c),
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

/**
 * The request body, read straight from Node's `IncomingMessage` when the app runs under
 * @hono/node-server (`c.env.incoming`). `c.req.raw.body` would first build a full undici Request
 * (converting every header) and adapt the Node stream with `Readable.toWeb`: about a quarter of an
 * accepted activity's CPU time (bench/inbound.ts). Nothing is read before the receiver asks (it
 * refuses some requests without reading them) and never more than one chunk ahead of it. Cancelling
 * only stops reading, so that a refusal still reaches the peer (the route then closes the connection).
 * Without a Node request (in-process `app.request` in tests) the standard body is used.
 */
function bodyOf(c: Context): ReadableStream<Uint8Array> | null {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  if (incoming === undefined || typeof incoming.read !== "function") return c.req.raw.body;
  // A connection reset while nobody reads must not become an unhandled 'error' event.
  incoming.on("error", () => {});
  let detach = (): void => {};
  return new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        return new Promise<void>((resolve) => {
          /** Enqueues the next chunk, or ends the stream; false when there is nothing yet. */
          const attempt = (): boolean => {
            const chunk = incoming.read() as Buffer | null;
            if (chunk !== null) controller.enqueue(chunk);
            else if (incoming.readableEnded) controller.close();
            else if (incoming.errored !== null) controller.error(incoming.errored);
            else if (incoming.destroyed) controller.error(new Error("the connection closed before the body was complete"));
            else return false;
            return true;
          };
          if (attempt()) return resolve();
          const retry = (): void => {
            if (attempt()) detach();
          };
          detach = () => {
            incoming.off("readable", retry).off("end", retry).off("error", retry).off("close", retry);
            detach = () => {};
            resolve();
          };
          incoming.on("readable", retry).on("end", retry).on("error", retry).on("close", retry);
        });
      },
      cancel() {
        detach();
      },
    },
    { highWaterMark: 0 },
  );
}
