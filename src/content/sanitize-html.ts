import { createRequire } from "node:module";
import type SanitizeHtml from "sanitize-html";

/**
 * sanitize-html, loaded on its first use. Loading it (with htmlparser2, postcss and their
 * dependencies) costs ~90 ms of CPU, and most CLI commands (`herold account list`, `herold status`)
 * load the content module through the services they build but never clean or reduce HTML (issue
 * #15: database-only commands under 0.3 s). The package is CommonJS, so `require` loads it
 * synchronously and the callers stay synchronous; the server loads it with its first post.
 */
const require = createRequire(import.meta.url);
let loaded: typeof SanitizeHtml | undefined;

export function sanitizeHtml(dirty: string, options?: SanitizeHtml.IOptions): string {
  loaded ??= require("sanitize-html") as typeof SanitizeHtml;
  return loaded(dirty, options);
}

export type { SanitizeHtml };
