import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { Hono } from "hono";

/**
 * A static file (stylesheet, script) read once at start. Its URL carries a content hash (`?v=`), so
 * browsers may keep it for a year and still see a new version right after an upgrade; the ETag lets a
 * revalidation cost a 304. No build step: the files are served as they are in the repository.
 */
export interface StaticAsset {
  /** The path it is served at. */
  readonly path: string;
  /** The URL pages link to: path plus the content hash. */
  readonly href: string;
  readonly etag: string;
  readonly body: string;
  readonly contentType: string;
}

/** Reads `file` (a URL, usually `new URL("./assets/x.css", import.meta.url)`) to be served at `path`. */
export function loadAsset(file: URL, path: string, contentType: string): StaticAsset {
  const body = readFileSync(file, "utf8");
  const hash = createHash("sha256").update(body).digest("hex").slice(0, 16);
  return { path, href: `${path}?v=${hash}`, etag: `"${hash}"`, body, contentType };
}

/** The one route group that serves static assets, for every module that has some. */
export function assetRoutes(assets: readonly StaticAsset[]): Hono {
  const app = new Hono();
  for (const asset of assets) {
    app.get(asset.path, (c) => {
      const headers = {
        ETag: asset.etag,
        // Only the URL with the current hash is immutable; a stale or missing `v` revalidates hourly.
        "Cache-Control": c.req.query("v") === asset.etag.slice(1, -1) ? "public, max-age=31536000, immutable" : "public, max-age=3600",
      };
      if (c.req.header("if-none-match") === asset.etag) return c.body(null, 304, headers);
      return c.body(asset.body, 200, { ...headers, "Content-Type": asset.contentType });
    });
  }
  return app;
}
