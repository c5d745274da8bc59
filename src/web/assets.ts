import { loadAsset, type StaticAsset } from "../http/static-assets.ts";

/**
 * The web app's own stylesheet and script (loaded and served like every static asset, by
 * src/http/static-assets.ts). A small same-origin script that only adds comfort; every page works
 * without it.
 */
export type Asset = StaticAsset;

export interface WebAssets {
  readonly css: Asset;
  readonly js: Asset;
}

const load = (file: string, contentType: string): Asset => loadAsset(new URL(`./assets/${file}`, import.meta.url), `/app/assets/${file}`, contentType);

export function loadWebAssets(): WebAssets {
  return { css: load("app.css", "text/css; charset=utf-8"), js: load("app.js", "text/javascript; charset=utf-8") };
}
