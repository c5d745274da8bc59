import type { Context } from "hono";
import type { Html } from "../pages/html.ts";

/** An HTML page of the app: never cached by shared caches (it shows one person's data). */
export function sendPage(c: Context, page: Html, status: 200 | 400 | 401 | 403 | 404 | 409 | 413 | 422 | 429 = 200): Response {
  return c.body(page.toString(), status, { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" });
}
