/**
 * A small auto-escaping HTML template for the server-rendered pages. Every interpolated value is
 * escaped unless it is already `Html` (another template, or `raw()` for HTML that was sanitised before
 * it was stored). Arrays are joined; null, undefined and false render nothing, so conditionals read as
 * `${cond && html`…`}`.
 *
 * Escaping covers element content and quoted attribute values. Templates must quote every attribute
 * (`href="${url}"`); URLs are the caller's responsibility (pages only link URLs Herold minted itself
 * or ones that passed `safeLinkHref`).
 */
export class Html {
  readonly value: string;

  constructor(value: string) {
    this.value = value;
  }

  toString(): string {
    return this.value;
  }
}

export type HtmlValue = Html | string | number | null | undefined | false | readonly HtmlValue[];

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export function escapeText(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

function render(value: HtmlValue): string {
  if (value === null || value === undefined || value === false) return "";
  if (value instanceof Html) return value.value;
  if (Array.isArray(value)) return value.map(render).join("");
  return escapeText(String(value));
}

export function html(strings: TemplateStringsArray, ...values: readonly HtmlValue[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]!) + strings[i + 1]!;
  return new Html(out);
}

/**
 * Marks a string as HTML that needs no escaping. Only for HTML that went through the sanitiser
 * (src/content/sanitize.ts) or the local post renderer before it was stored.
 */
export function raw(sanitised: string): Html {
  return new Html(sanitised);
}
