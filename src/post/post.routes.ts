import type { Tombstone } from "@fedify/vocab";
import { Hono, type Context } from "hono";
import { offlineContextLoader } from "../federation/context-loader.ts";
import type { RouteGroup } from "../http/route-group.ts";
import { unreachable, type Result } from "../lib/result.ts";
import { wantsJson } from "../http/negotiation.ts";
import type { TombstoneError, TombstoneService } from "./tombstone.service.ts";

const ACTIVITY_JSON = "application/activity+json";

/**
 * `410 Gone` with a Tombstone for deleted posts (and the Create activities of deleted posts) when an
 * ActivityPub client asks. Fedify's object dispatcher can only answer "found" or "not found"; it
 * answers "not found" for deleted posts and falls through to this route, which runs before the pages
 * (the pages module answers browsers with an HTML 410). Who may learn that a post existed follows the
 * same rules as reading it (TombstoneService): a followers-only post's tombstone only for its followers.
 */
export function deletedPostRoutes(tombstones: TombstoneService): RouteGroup {
  return (ctx) => {
    const app = new Hono();
    /** The verified signer of the request, looked up at most once and only when needed. */
    const signerOf = (request: Request): (() => Promise<string | null>) => {
      let signer: Promise<string | null> | undefined;
      return () =>
        (signer ??= ctx.fedify
          .createContext(request, undefined)
          .getSignedKeyOwner()
          .then(
            (owner) => owner?.id?.href ?? null,
            () => null,
          ));
    };
    const answer = async (c: Context, result: Result<Tombstone, TombstoneError>, next: () => Promise<void>): Promise<Response | void> => {
      if (result.ok) {
        const json = await result.value.toJsonLd({ format: "compact", contextLoader: offlineContextLoader });
        return new Response(c.req.method === "HEAD" ? null : JSON.stringify(json), { status: 410, headers: { "Content-Type": ACTIVITY_JSON, Vary: "Accept" } });
      }
      switch (result.error) {
        case "not-found":
          return await next();
        case "signature-required":
          return c.json({ error: result.message }, 401);
        default:
          return unreachable(result.error);
      }
    };

    app.on(["GET", "HEAD"], "/users/:username/posts/:id", async (c, next) => {
      if (!wantsJson(c.req.header("accept"))) return await next();
      return await answer(c, await tombstones.ofPost(c.req.param("username"), c.req.param("id"), signerOf(c.req.raw)), next);
    });

    app.on(["GET", "HEAD"], "/users/:username/activities/:id", async (c, next) => {
      if (!wantsJson(c.req.header("accept"))) return await next();
      return await answer(c, await tombstones.ofActivity(c.req.param("username"), c.req.param("id"), signerOf(c.req.raw)), next);
    });
    return app;
  };
}
