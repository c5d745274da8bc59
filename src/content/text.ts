import { sanitizeHtml } from "./sanitize-html.ts";

/**
 * Plain-text helpers: HTML (local or remote) turned into text for previews, notifications, e-mail and
 * CLI output, and length handling that never splits a user-perceived character.
 */

const segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });

/** Grapheme clusters ("👩🏽‍💻" and "é" as e + combining accent both count as one), as Mastodon counts. */
export function graphemes(text: string): string[] {
  return Array.from(segmenter.segment(text), (s) => s.segment);
}

export function graphemeCount(text: string): number {
  let count = 0;
  for (const _ of segmenter.segment(text)) count++;
  return count;
}

/** The first `max` grapheme clusters of `text` (all of it when shorter). */
export function truncateGraphemes(text: string, max: number): string {
  if (max <= 0) return "";
  // Fast path: a string with no more code units than the limit cannot have more clusters.
  if (text.length <= max) return text;
  let count = 0;
  let end = 0;
  for (const { segment, index } of segmenter.segment(text)) {
    if (count === max) return text.slice(0, index);
    count++;
    end = index + segment.length;
  }
  return text.slice(0, end);
}

/**
 * Cuts a string to at most `max` UTF-16 code units without leaving half a surrogate pair behind.
 * Used as a cheap bound on work before parsing; precise limits are in graphemes.
 */
export function truncateCodeUnits(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = Math.max(0, max);
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--; // high surrogate whose partner would be cut off
  return text.slice(0, end);
}

/** Tags that end a line or paragraph when HTML is read as text. */
const BLOCK_TAGS = [
  "p", "div", "blockquote", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "dl", "dt", "dd",
  "table", "tr", "section", "article", "header", "footer", "aside", "figure", "figcaption", "details", "summary", "hr",
];

const TEXT_ENTITIES: Record<string, string> = { "&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"' };

/**
 * Reduces HTML to readable plain text: paragraphs become blank lines, `<br>` a line break, list items
 * lines starting with "- ", entities are decoded and every tag is dropped (script/style content too).
 * Whitespace inside `<pre>` is kept; elsewhere it is collapsed the way a browser would show it.
 * Mastodon's hidden link parts (`<span class="invisible">https://</span>`) are kept, so links come out whole.
 *
 * The result is plain text: escape it again before putting it into HTML.
 */
export function htmlToPlainText(html: string): string {
  if (typeof html !== "string" || html === "") return "";
  // NUL and SOH mark line breaks and spaces inside <pre> below, so none may come from the input.
  const input = html.replace(/[\0\u0001]/g, "").toWellFormed();
  let preDepth = 0;
  const transformTags: Record<string, string> = {};
  for (const tag of BLOCK_TAGS) transformTags[tag] = "p";

  const reduced = sanitizeHtml(input, {
    // Only line structure survives; sanitize-html emits these without attributes, so the
    // string replacements below see exactly "<p>", "</p>", "<br />", "<li>" and "</li>".
    allowedTags: ["p", "br", "li"],
    allowedAttributes: {},
    transformTags,
    nonTextTags: ["script", "style", "textarea", "option", "xmp", "noscript", "template", "title", "head"],
    onOpenTag: (name) => {
      if (name === "pre") preDepth++;
    },
    onCloseTag: (name) => {
      if (name === "pre" && preDepth > 0) preDepth--;
    },
    textFilter: (text) =>
      preDepth > 0
        ? text.replace(/\r\n?/g, "\n").replace(/\n/g, "\0").replace(/ /g, "\u0001")
        : text.replace(/[ \t\n\r\f]+/g, " "),
  });

  return (
    reduced
      .replace(/ *(<br \/>|<\/?p>|<\/?li>) */g, "$1")
      .replace(/<br \/>/g, "\n")
      .replace(/<\/?p>/g, "\n\n")
      .replace(/<li>/g, "\n- ")
      .replace(/<\/li>/g, "")
      .replace(/&(?:amp|lt|gt|quot);/g, (entity) => TEXT_ENTITIES[entity] ?? entity)
      .replace(/\n{3,}/g, "\n\n")
      .replace(/^[ \n]+|[ \n]+$/g, "")
      // Only now restore <pre> whitespace, which the collapsing above must not touch.
      .replace(/\0/g, "\n")
      .replace(/\u0001/g, " ")
  );
}

/**
 * A preview of at most `maxChars` grapheme clusters. When the text is longer it is cut, preferably at
 * a word boundary near the end, and "…" is appended (the ellipsis counts towards `maxChars`).
 */
export function excerpt(text: string, maxChars: number): string {
  if (typeof text !== "string" || maxChars <= 0) return "";
  if (text.length <= maxChars || graphemeCount(text) <= maxChars) return text;
  if (maxChars === 1) return "…";
  const cut = truncateGraphemes(text, maxChars - 1);
  // When the cut falls inside a word, back up to the last whitespace if that loses less than a third.
  const atBoundary = /^\s/u.test(text.slice(cut.length));
  const space = atBoundary ? -1 : cut.search(/\s\S*$/u);
  const base = space > 0 && graphemeCount(cut.slice(0, space)) >= ((maxChars - 1) * 2) / 3 ? cut.slice(0, space) : cut;
  return base.trimEnd() + "…";
}
