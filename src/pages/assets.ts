import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";

/**
 * The pages' one stylesheet, read once at start. Its URL carries a content hash (`?v=`), so browsers
 * may keep it for a year and still see a new version right after an upgrade; the ETag lets a
 * revalidation cost a 304.
 */
export interface Stylesheet {
  readonly path: string;
  /** The URL pages link to: path plus the content hash. */
  readonly href: string;
  readonly etag: string;
  readonly body: string;
}

export const STYLESHEET_PATH = "/assets/herold.css";

export function loadStylesheet(): Stylesheet {
  const body = readFileSync(new URL("./assets/herold.css", import.meta.url), "utf8");
  const hash = createHash("sha256").update(body).digest("hex").slice(0, 16);
  return { path: STYLESHEET_PATH, href: `${STYLESHEET_PATH}?v=${hash}`, etag: `"${hash}"`, body };
}
