import { sanitizeHtml, type SanitizeHtml } from "./sanitize-html.ts";
import { graphemes, htmlToPlainText, truncateCodeUnits } from "./text.ts";

/**
 * Everything from another server is hostile until it went through here (docs/research/hostile-inputs.md case 14:
 * Mastodon CVE-2023-36459 and CVE-2023-42452 were XSS through remote HTML).
 *
 * `sanitizeRemoteHtml` keeps what Mastodon's `Sanitize::Config::MASTODON_STRICT` keeps, so remote posts
 * look in Mastodon clients the way they look on Mastodon, and nothing a browser could execute survives.
 * The allow-list is applied by sanitize-html (an HTML tokenizer, not regular expressions); the policy
 * for attributes and link targets is written out below.
 */

/** URL schemes a remote link may use (Mastodon's LINK_PROTOCOLS). Everything else is shown as text. */
export const LINK_SCHEMES: readonly string[] = [
  "http", "https", "dat", "dweb", "ipfs", "ipns", "ssb", "gopher", "xmpp", "magnet", "gemini",
];

/** Added to every remote link: no ranking credit, no `window.opener`, no Referer leak. */
export const LINK_REL = "nofollow noopener noreferrer";

/** Mastodon 4.x MASTODON_STRICT elements. Headings are not among them: they become `<p><strong>`. */
const ALLOWED_TAGS = [
  "p", "br", "span", "a", "del", "s", "pre", "blockquote", "code", "b", "strong", "u", "i", "em",
  "ul", "ol", "li", "ruby", "rt", "rp",
];

/** Elements whose text is not content (dropped along with the element). */
const NON_TEXT_TAGS = ["script", "style", "textarea", "option", "xmp", "noscript", "template", "title", "noembed", "noframes"];

/**
 * Headings pass the sanitiser as bare `<h1>`…`<h6>` and are rewritten to `<p><strong>` afterwards, as
 * Mastodon's transformer does (sanitize-html cannot wrap an element).
 *
 * No tag is ever renamed during sanitising: sanitize-html 2.18 forgets to clear its rename bookkeeping
 * when a renamed element is then discarded, and a later element at the same depth gets the wrong
 * closing tag (`<a href="javascript:x"><b>t</b></a><b>u</b>` came out as `<b>t</b><b>u</x-drop>`).
 */
const HEADINGS = new Set(["h1", "h2", "h3", "h4", "h5", "h6"]);

/** Classes Mastodon keeps: microformats (h-card, u-url, p-name, ...), mentions, hashtags, link shortening. */
const SEMANTIC_CLASSES = new Set(["mention", "hashtag", "ellipsis", "invisible", "quote-inline"]);
const MICROFORMAT_CLASS = /^(?:h|p|u|dt|e)-[a-z0-9]+(?:-[a-z0-9]+)*$/;
const LANGUAGE_TAG = /^[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8}){0,6}$/;
const SMALL_INTEGER = /^-?\d{1,9}$/;

/** Default cap on remote HTML read (code units); matches the default HEROLD_LIMIT_STRING_LENGTH. */
export const DEFAULT_MAX_HTML_LENGTH = 100_000;
/** Nesting deeper than this is flattened: deep trees only serve to slow down renderers. */
const MAX_NESTING = 32;

export interface SanitizeHtmlOptions {
  /** Input beyond this many UTF-16 code units is ignored (hostile-inputs case 16). */
  maxLength?: number;
}

/**
 * Makes HTML from another server safe to store, serve through the client API and show in a browser.
 * Keeps paragraphs, line breaks, links (http, https and the few other schemes Mastodon allows, with
 * `rel="nofollow noopener noreferrer" target="_blank"`), mention and hashtag markup, lists, quotes,
 * code and inline emphasis. Drops scripts, styles, event handlers, images, iframes, forms, SVG and
 * MathML elements. Links with other schemes (javascript:, data:, relative ...) are replaced by their text.
 */
export function sanitizeRemoteHtml(html: string, options: SanitizeHtmlOptions = {}): string {
  if (typeof html !== "string" || html === "") return "";
  const input = truncateCodeUnits(html, options.maxLength ?? DEFAULT_MAX_HTML_LENGTH).toWellFormed();
  const clean = sanitizeHtml(input, {
    allowedTags: [...ALLOWED_TAGS, ...HEADINGS],
    // A second fence: the transformer below already emits only these.
    allowedAttributes: {
      "*": ["lang"],
      a: ["href", "rel", "target", "class", "translate"],
      span: ["class", "translate"],
      p: ["class"],
      ol: ["start", "reversed"],
      li: ["value"],
    },
    allowedSchemes: [...LINK_SCHEMES],
    allowedSchemesByTag: {},
    allowProtocolRelative: false,
    allowVulnerableTags: false,
    parseStyleAttributes: false,
    disallowedTagsMode: "discard",
    nonTextTags: NON_TEXT_TAGS,
    nestingLimit: MAX_NESTING,
    transformTags: { "*": transformElement },
    // Links whose target failed the checks lost their href in transformElement: drop the tag, keep the text.
    exclusiveFilter: (frame) => (frame.tag === "a" && frame.attribs["href"] === undefined ? "excludeTag" : false),
  });
  return balanceTags(clean).replace(/<(\/?)h[1-6]>/g, (_, close: string) => (close ? "</strong></p>" : "<p><strong>"));
}

/**
 * Closes what is left open and drops closing tags that close nothing, so remote HTML can never leave
 * an element (a link, say) open over the rest of the page it is shown in. Works on sanitize-html's
 * output, where every `<` starts a tag it wrote and attribute values are escaped.
 */
function balanceTags(html: string): string {
  const open: string[] = [];
  const balanced = html.replace(/<(\/?)([a-z0-9]+)[^>]*>/g, (tag, close: string, name: string) => {
    if (name === "br") return tag;
    if (close === "") {
      open.push(name);
      return tag;
    }
    const at = open.lastIndexOf(name);
    if (at === -1) return "";
    return open.splice(at).reverse().map((n) => `</${n}>`).join("");
  });
  return balanced + open.reverse().map((n) => `</${n}>`).join("");
}

/** Builds each element's attributes from scratch, so only what is listed here can pass. Never renames. */
function transformElement(tagName: string, attribs: SanitizeHtml.Attributes): SanitizeHtml.Tag {
  const out: SanitizeHtml.Attributes = {};
  if (HEADINGS.has(tagName)) return { tagName, attribs: out };
  const lang = attribs["lang"];
  if (lang !== undefined && LANGUAGE_TAG.test(lang)) out["lang"] = lang;

  switch (tagName) {
    case "a": {
      const href = safeLinkHref(attribs["href"]);
      // Mastodon shows links it cannot vouch for as their text: without href, exclusiveFilter removes the tag.
      if (href === null) return { tagName, attribs: {} };
      out["href"] = href;
      out["rel"] = LINK_REL;
      out["target"] = "_blank";
      copyClass(attribs, out);
      if (attribs["translate"] === "no") out["translate"] = "no";
      break;
    }
    case "span":
      copyClass(attribs, out);
      if (attribs["translate"] === "no") out["translate"] = "no";
      break;
    case "p":
      copyClass(attribs, out);
      break;
    case "ol": {
      const start = attribs["start"];
      if (start !== undefined && SMALL_INTEGER.test(start)) out["start"] = start;
      if (attribs["reversed"] !== undefined) out["reversed"] = "";
      break;
    }
    case "li": {
      const value = attribs["value"];
      if (value !== undefined && SMALL_INTEGER.test(value)) out["value"] = value;
      break;
    }
  }
  return { tagName, attribs: out };
}

function copyClass(from: SanitizeHtml.Attributes, to: SanitizeHtml.Attributes): void {
  const classes = filterClasses(from["class"]);
  if (classes !== "") to["class"] = classes;
}

/** Keeps only the classes Mastodon's web UI and clients give meaning to; no styling hooks for attackers. */
export function filterClasses(value: string | undefined): string {
  if (value === undefined) return "";
  return value
    .split(/[\t\n\f\r ]+/)
    .filter((c) => SEMANTIC_CLASSES.has(c) || MICROFORMAT_CLASS.test(c))
    .join(" ");
}

/**
 * The href to emit for a remote link, or null when the link must become plain text: unparseable or
 * relative URLs, schemes outside LINK_SCHEMES (javascript:, data:, vbscript:, file: ...), and http(s)
 * URLs with user info (`https://bank.example@evil.example/`). The WHATWG parser sees the scheme the way a
 * browser does (entities are already decoded; tabs, newlines and case are normalised), and the
 * normalised form is returned so no whitespace trick reaches the output.
 */
export function safeLinkHref(raw: string | undefined): string | null {
  if (raw === undefined) return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  const scheme = url.protocol.slice(0, -1).toLowerCase();
  if (!LINK_SCHEMES.includes(scheme)) return null;
  if (url.username !== "" || url.password !== "") return null;
  if ((scheme === "http" || scheme === "https") && url.hostname === "") return null;
  return url.href;
}

/** Escapes text for HTML element content and quoted attribute values (same output as Ruby's ERB::Util.h). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

const HTML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Default cap for names, field names and similar one-line remote strings, in grapheme clusters. */
export const DEFAULT_MAX_TEXT_LENGTH = 500;
/** More code points than this in one grapheme cluster is "Zalgo" text or hidden data, not writing. */
const MAX_CODE_POINTS_PER_CLUSTER = 16;

/**
 * One-line plain text from a remote string: display names, profile field names and values, poll
 * options, emoji names, attachment descriptions. Tags are stripped and entities decoded; control
 * characters and line breaks become spaces; bidi embeddings, overrides and isolates (which can make
 * "gpj.exe" read "exe.jpg") and invisible characters (zero-width spaces, word joiners, BOM, Hangul
 * fillers used for blank names, stray tag characters) are removed; zero-width joiners survive only
 * between visible characters (emoji sequences, Indic and Persian scripts need them); whitespace is
 * collapsed and the result cut to `maxLength` grapheme clusters.
 *
 * The result is text, not HTML: escape it (`escapeHtml`) where it is put into markup.
 */
export function sanitizeRemoteText(value: unknown, maxLength: number = DEFAULT_MAX_TEXT_LENGTH): string {
  if (typeof value !== "string" || value === "" || maxLength <= 0) return "";
  // Bound the parsing work first; tags and entities can only make the text shorter.
  const bounded = truncateCodeUnits(value, maxLength * 16 + 256);
  // Controls become spaces before parsing, so none can join two words or act as a parser hint.
  const text = stripInvisible(htmlToPlainText(bounded.replace(/[\u0000-\u001f\u007f-\u009f]/g, " ")))
    .replace(/\s+/gu, " ")
    .trim();
  let out = "";
  let count = 0;
  for (const cluster of graphemes(text)) {
    if (count === maxLength) break;
    const points = Array.from(cluster);
    out += points.length > MAX_CODE_POINTS_PER_CLUSTER ? points.slice(0, MAX_CODE_POINTS_PER_CLUSTER).join("") : cluster;
    count++;
  }
  return out.trimEnd();
}

/** Removes characters that change how surrounding text is displayed without being visible themselves. */
export function stripInvisible(text: string): string {
  return (
    text
      .toWellFormed()
      // C0/C1 controls and line/paragraph separators read as spaces.
      .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, " ")
      // Bidi embeddings/overrides/isolates, zero-width space, word joiner and invisible operators,
      // deprecated format characters, BOM, Mongolian vowel separator, soft hyphen, combining grapheme
      // joiner, Hangul fillers, Khmer inherent vowels, interlinear annotation marks, invisible musical
      // formatting. Left-to-right/right-to-left marks stay: they cannot reorder letters and RTL text uses them.
      .replace(
        /[\u202a-\u202e\u2066-\u2069\u200b\u2060-\u2064\u206a-\u206f\ufeff\u180e\u00ad\u034f\u115f\u1160\u3164\uffa0\u17b4\u17b5\ufff9-\ufffb\u{1d173}-\u{1d17a}]/gu,
        "",
      )
      // Tag characters are only legitimate inside an emoji flag sequence (🏴 + tags + cancel tag).
      .replace(/(\u{1f3f4}[\u{e0020}-\u{e007e}]{1,8}\u{e007f})|[\u{e0000}-\u{e007f}]/gu, (_, flag: string | undefined) => flag ?? "")
      // Variation selectors supplement: ideographic variants are rare in names; runs of them hide data.
      .replace(/[\u{e0100}-\u{e01ef}]{2,}/gu, "")
      // Joiners only between two visible characters, one at a time.
      .replace(/[\u200c\u200d]{2,}/g, (run) => run[0]!)
      .replace(/(^|\s)[\u200c\u200d]+/gu, "$1")
      .replace(/[\u200c\u200d]+(?=\s|$)/gu, "")
  );
}

/**
 * The URL a verified profile link really points to, for display next to it (hostile-inputs case 15,
 * Mastodon CVE-2023-36462). The serialised WHATWG form is pure ASCII: international host names appear
 * as punycode (no homographs) and bidi or invisible characters in the path are percent-encoded, so the
 * text cannot pretend to be another address. Null for anything that is not a plain http(s) URL.
 */
export function displayUrl(value: unknown): string | null {
  if (typeof value !== "string" || value.length > 4096) return null;
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    return null;
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return null;
  if (url.username !== "" || url.password !== "" || url.hostname === "") return null;
  return url.href;
}

/**
 * A custom emoji's shortcode without the surrounding colons, or null when it is not one Mastodon would
 * accept (`[a-zA-Z0-9_]{2,}`; capped at 64 here). Shortcodes end up in `:name:` text, CSS-free markup and
 * file names elsewhere, so nothing else gets through.
 */
export function emojiShortcode(value: unknown): string | null {
  if (typeof value !== "string") return null;
  const bare = value.replace(/^:|:$/g, "");
  return /^[A-Za-z0-9_]{2,64}$/.test(bare) ? bare : null;
}
