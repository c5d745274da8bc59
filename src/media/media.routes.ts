import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { Readable } from "node:stream";
import { Hono } from "hono";
import type { RouteGroup } from "../http/route-group.ts";
import { isId } from "../lib/id.ts";
import { mimeTypeForFile } from "./media.entity.ts";
import type { MediaService } from "./media.service.ts";

/**
 * `GET /media/{id}/{file}`: uploaded images, same-origin. The Content-Type comes from Herold's own
 * allow-list by the extension it chose, `nosniff` stops browsers from guessing another one, and the
 * sandboxing CSP keeps a file from ever acting as a page (hostile-inputs case 2). Files not attached to
 * a post (an upload whose post failed) are not served.
 */
export function mediaRoutes(media: MediaService): RouteGroup {
  return () => {
    const app = new Hono();
    app.on(["GET", "HEAD"], "/media/:id/:file", async (c) => {
      const id = c.req.param("id");
      const file = c.req.param("file");
      const mimeType = mimeTypeForFile(file);
      if (!isId(id) || mimeType === null || !file.startsWith(`${id}.`)) return c.json({ error: "Not found" }, 404);
      const stored = await media.localFile(id, file);
      if (stored === null || stored.postId === null) return c.json({ error: "Not found" }, 404);
      let size: number;
      try {
        size = (await stat(stored.path)).size;
      } catch {
        return c.json({ error: "Not found" }, 404);
      }
      const headers = {
        "Content-Type": mimeType,
        "Content-Length": String(size),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Content-Disposition": `inline; filename="${file}"`,
        // Names are never reused: a stored file never changes.
        "Cache-Control": "public, max-age=31536000, immutable",
      };
      if (c.req.method === "HEAD") return new Response(null, { status: 200, headers });
      const body = Readable.toWeb(createReadStream(stored.path)) as ReadableStream<Uint8Array>;
      return new Response(body, { status: 200, headers });
    });
    return app;
  };
}
