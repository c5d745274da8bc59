import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";

/**
 * The web app's own stylesheet and script, read once at start and served with a content hash in
 * the URL (cached for a year, new URL after an upgrade). No build step: plain CSS and a small
 * same-origin script that only adds comfort; every page works without it.
 */
export interface Asset {
  readonly path: string;
  readonly href: string;
  readonly etag: string;
  readonly body: string;
  readonly contentType: string;
}

function load(file: string, contentType: string): Asset {
  const body = readFileSync(new URL(`./assets/${file}`, import.meta.url), "utf8");
  const hash = createHash("sha256").update(body).digest("hex").slice(0, 16);
  const path = `/app/assets/${file}`;
  return { path, href: `${path}?v=${hash}`, etag: `"${hash}"`, body, contentType };
}

export interface WebAssets {
  readonly css: Asset;
  readonly js: Asset;
}

export function loadWebAssets(): WebAssets {
  return { css: load("app.css", "text/css; charset=utf-8"), js: load("app.js", "text/javascript; charset=utf-8") };
}
