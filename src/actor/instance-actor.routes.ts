import { Hono } from "hono";
import type { InstanceActor } from "./instance-actor.ts";

/**
 * The instance actor's document at `/actor` (for every Accept: peers fetch it to check our signed
 * GETs; there is no profile page) and its WebFinger entry `acct:<domain>@<domain>`, also found by its
 * URL. Fedify answers WebFinger for accounts and falls through to here for anything it does not know.
 */
export function instanceActorRoutes(actor: InstanceActor, origin: string, domain: string): Hono {
  const app = new Hono();
  app.get("/actor", async (c) => {
    return c.body(JSON.stringify(await actor.document()), 200, { "Content-Type": "application/activity+json", Vary: "Accept" });
  });
  app.get("/.well-known/webfinger", async (c, next) => {
    const resource = c.req.query("resource");
    const handle = `acct:${actor.username}@${domain}`;
    if (resource === undefined || (resource.toLowerCase() !== handle.toLowerCase() && resource !== actor.uri)) return await next();
    const jrd = {
      subject: handle,
      aliases: [actor.uri],
      links: [
        { rel: "self", type: "application/activity+json", href: actor.uri },
        { rel: "http://webfinger.net/rel/profile-page", type: "text/html", href: origin },
      ],
    };
    return c.body(JSON.stringify(jrd), 200, { "Content-Type": "application/jrd+json", "Access-Control-Allow-Origin": "*" });
  });
  return app;
}
