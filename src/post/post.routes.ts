import { Tombstone } from "@fedify/vocab";
import { Hono, type Context } from "hono";
import type { AccountRepository } from "../account/account.repository.ts";
import type { Urls } from "../app/urls.ts";
import type { Kysely } from "kysely";
import type { DB } from "../db/schema.ts";
import { offlineContextLoader } from "../federation/context-loader.ts";
import { toInstant } from "../federation/temporal.ts";
import type { RouteGroup } from "../http/route-group.ts";
import { isId } from "../lib/id.ts";
import { buildTombstone } from "./note.builder.ts";
import type { PostAccess } from "./post.access.ts";
import type { PostRepository } from "./post.repository.ts";
import { wantsJson } from "../http/negotiation.ts";

const ACTIVITY_JSON = "application/activity+json";

/**
 * `410 Gone` with a Tombstone for deleted posts (and the Create activities of deleted posts) when an
 * ActivityPub client asks. Fedify's object dispatcher can only answer "found" or "not found"; it
 * answers "not found" for deleted posts and falls through to this route, which runs before the pages
 * (the pages module answers browsers with an HTML 410). Who may learn that a post existed follows the
 * same rules as reading it: a followers-only post's tombstone only for its followers.
 */
export function deletedPostRoutes(deps: { db: Kysely<DB>; urls: Urls; accounts: AccountRepository; posts: PostRepository; access: PostAccess }): RouteGroup {
  const { db, urls, accounts, posts, access } = deps;
  return (ctx) => {
    const app = new Hono();
    /** The verified signer of the request, looked up at most once and only when needed. */
    const signerOf = (request: Request): (() => Promise<string | null>) => {
      let signer: Promise<string | null> | undefined;
      return () =>
        (signer ??= ctx.federation
          .createContext(request, undefined)
          .getSignedKeyOwner()
          .then(
            (owner) => owner?.id?.href ?? null,
            () => null,
          ));
    };
    const gone = async (c: Context, tombstone: Tombstone): Promise<Response> => {
      const json = await tombstone.toJsonLd({ format: "compact", contextLoader: offlineContextLoader });
      return new Response(c.req.method === "HEAD" ? null : JSON.stringify(json), { status: 410, headers: { "Content-Type": ACTIVITY_JSON, Vary: "Accept" } });
    };

    app.on(["GET", "HEAD"], "/users/:username/posts/:id", async (c, next) => {
      if (!wantsJson(c.req.header("accept"))) return await next();
      const id = c.req.param("id");
      const username = c.req.param("username");
      if (!isId(id)) return await next();
      const [account, post] = await Promise.all([accounts.findByUsername(username), posts.findById(id)]);
      if (account === null || account.username !== username || post === null || post.actorId !== account.actorId) return await next();
      if (!post.isLocal || post.boostOfId !== null || post.state !== "deleted") return await next();
      const signer = signerOf(c.req.raw);
      if (!access.allowsUnsigned() && (await signer()) === null) return c.json({ error: "Request signature required" }, 401);
      if (!(await access.canReadPost(post, signer))) return await next();
      return await gone(c, buildTombstone(post));
    });

    app.on(["GET", "HEAD"], "/users/:username/activities/:id", async (c, next) => {
      if (!wantsJson(c.req.header("accept"))) return await next();
      const id = c.req.param("id");
      const username = c.req.param("username");
      if (!isId(id)) return await next();
      const account = await accounts.findByUsername(username);
      if (account === null || account.username !== username) return await next();
      const row = await db.selectFrom("outbox_activities").selectAll().where("uri", "=", urls.activity(username, id)).executeTakeFirst();
      if (row === undefined || row.actor_id !== account.actorId || row.type !== "Create" || row.object_uri === null) return await next();
      const post = await posts.findByUri(row.object_uri);
      if (post === null || post.state !== "deleted") return await next();
      const signer = signerOf(c.req.raw);
      if (!access.allowsUnsigned() && (await signer()) === null) return c.json({ error: "Request signature required" }, 401);
      if (!(await access.canReadActivity(row, signer))) return await next();
      return await gone(c, new Tombstone({ id: new URL(row.uri), deleted: post.deletedAt ? toInstant(post.deletedAt) : null }));
    });
    return app;
  };
}

