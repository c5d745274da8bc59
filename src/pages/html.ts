import { html as honoHtml, raw as honoRaw } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";

/**
 * The auto-escaping HTML template for the server-rendered pages: Hono's `html`, typed narrower.
 * Every interpolated string is escaped (`& < > " '`, the same five as before) unless it is already
 * `Html` (another template, or `raw()` for HTML that was sanitised before it was stored). Arrays are
 * joined; null, undefined and false render nothing, so conditionals read as `${cond && html`…`}`.
 *
 * `HtmlValue` admits no Promise and no other object: Hono's template then stays synchronous, and
 * nothing but a template or `raw()` carries Hono's "already escaped" mark into a page.
 *
 * Escaping covers element content and quoted attribute values. Templates must quote every attribute
 * (`href="${url}"`); URLs are the caller's responsibility (pages only link URLs Herold minted itself
 * or ones that passed `safeLinkHref`).
 */
export type Html = HtmlEscapedString;

export type HtmlValue = Html | string | number | null | undefined | false | readonly HtmlValue[];

export function html(strings: TemplateStringsArray, ...values: readonly HtmlValue[]): Html {
  // Synchronous: only a Promise among the values would make Hono's result one, and HtmlValue has none.
  return honoHtml(strings, ...values) as Html;
}

/**
 * Marks a string as HTML that needs no escaping. Only for HTML that went through the sanitiser
 * (src/content/sanitize.ts) or the local post renderer before it was stored.
 */
export function raw(sanitised: string): Html {
  return honoRaw(sanitised);
}
