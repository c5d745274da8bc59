import type { Context } from "hono";
import { html } from "../pages/html.ts";
import { sendPage } from "./respond.ts";
import type { Member } from "./web.env.ts";
import { appLayout, type Shell } from "./web.layout.ts";

/**
 * A refusal as a page of the app (navigation, the reason, a way back), never a bare text body:
 * a person who pressed a button they may not use learns why and keeps their place (issue #12, item 6).
 */
export function sendRefusal(
  c: Context,
  shell: Shell,
  refusal: { readonly member?: Member | undefined; readonly title: string; readonly message: string; readonly status: 400 | 401 | 403 | 404 | 409 | 422 | 429; readonly back?: { readonly href: string; readonly label: string } },
): Response {
  const back = refusal.back ?? (refusal.member !== undefined ? { href: "/app", label: "Back to Home" } : { href: "/app/login", label: "Sign in" });
  return sendPage(c, appLayout(shell, { title: refusal.title, member: refusal.member, error: refusal.message, body: html`<h1>${refusal.title}</h1><p><a href="${back.href}">${back.label}</a></p>` }), refusal.status);
}
