import { loadAsset, type StaticAsset } from "../http/static-assets.ts";

/** The public pages' one stylesheet (the web app links it too). */
export type Stylesheet = StaticAsset;

export const STYLESHEET_PATH = "/assets/herold.css";

export function loadStylesheet(): Stylesheet {
  return loadAsset(new URL("./assets/herold.css", import.meta.url), STYLESHEET_PATH, "text/css; charset=utf-8");
}

/** The public pages' one script (copy buttons); pages work without it. */
export const SCRIPT_PATH = "/assets/herold.js";

export function loadPageScript(): StaticAsset {
  return loadAsset(new URL("./assets/herold.js", import.meta.url), SCRIPT_PATH, "text/javascript; charset=utf-8");
}
