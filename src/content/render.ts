import { escapeHtml } from "./sanitize.ts";
import { graphemeCount } from "./text.ts";

/**
 * Local posts are written as plain text and stored as the HTML Mastodon would produce for the same
 * text (Mastodon's TextFormatter): clients and other servers get markup they already know, and masto.js
 * checks details such as a plain post being exactly `<p>text</p>`.
 *
 * Entity detection follows Mastodon's Extractor (twitter-text with Mastodon's own mention and hashtag
 * rules); URL detection is a simpler equivalent of twitter-text's URL grammar (see extractUrls).
 */

export interface MentionHandle {
  readonly username: string;
  /** The host as written, with `:port` when one was written (`localhost:3000`). */
  readonly host: string;
}

export interface ResolvedMention {
  /** The actor id, for the ActivityPub `tag` array and addressing. */
  readonly uri: string;
  /** The profile page people click on. */
  readonly url: string;
}

/** Looks up `@username@host` (WebFinger, local database). Null when there is no such account or it cannot be reached. */
export type ResolveMention = (handle: MentionHandle) => Promise<ResolvedMention | null>;

export interface RenderOptions {
  /** This server's origin: hashtag links point to `{origin}/tags/{tag}`; a bare `@user` means a user here. */
  readonly origin: URL | string;
  readonly resolveMention: ResolveMention;
  /** Distinct handles looked up per post; the rest stay plain text (default 50). */
  readonly maxMentions?: number;
}

export interface RenderedPost {
  readonly html: string;
  readonly mentions: { readonly uri: string; readonly url: string; readonly handle: string }[];
  /** Hashtags as written (first spelling wins when the same tag appears twice). */
  readonly hashtags: string[];
  readonly links: string[];
}

export type Entity =
  | { readonly kind: "url"; readonly start: number; readonly end: number; readonly url: string }
  | { readonly kind: "mention"; readonly start: number; readonly end: number; readonly username: string; readonly host: string | null }
  | { readonly kind: "hashtag"; readonly start: number; readonly end: number; readonly tag: string };

/** Mastodon reserves this many characters for any URL, however long (StatusLengthValidator). */
export const URL_CHARACTERS = 23;
const DEFAULT_MAX_MENTIONS = 50;
const LOOKUP_CONCURRENCY = 4;

/**
 * Renders a local plain-text post: blank lines separate paragraphs, single newlines become `<br />`,
 * URLs, hashtags and resolvable mentions become links, everything else is escaped.
 * "Hello" renders exactly `<p>Hello</p>`. Errors thrown by `resolveMention` propagate.
 */
export async function renderLocalPost(text: string, options: RenderOptions): Promise<RenderedPost> {
  const source = normaliseSource(text);
  if (source === "") return { html: "", mentions: [], hashtags: [], links: [] };

  const origin = new URL(options.origin).origin;
  const localHost = new URL(origin).host;
  const entities = extractEntities(source);
  const resolved = await resolveMentions(entities, localHost, options.resolveMention, options.maxMentions ?? DEFAULT_MAX_MENTIONS);

  // Mastodon shows `@user` alone unless two mentioned accounts share the username.
  const hostsByUsername = new Map<string, Set<string>>();
  for (const entity of entities) {
    if (entity.kind !== "mention") continue;
    const host = (entity.host ?? localHost).toLowerCase();
    if (resolved.get(handleKey(entity.username, host)) == null) continue;
    const key = entity.username.toLowerCase();
    hostsByUsername.set(key, (hostsByUsername.get(key) ?? new Set()).add(host));
  }

  const mentions: { uri: string; url: string; handle: string }[] = [];
  const hashtags: string[] = [];
  const links: string[] = [];
  const seenUris = new Set<string>();
  const seenTags = new Set<string>();

  let html = "";
  let position = 0;
  for (const entity of entities) {
    html += escapeHtml(source.slice(position, entity.start));
    position = entity.end;
    const written = source.slice(entity.start, entity.end);
    switch (entity.kind) {
      case "url":
        html += linkHtml(entity.url);
        if (!links.includes(entity.url)) links.push(entity.url);
        break;
      case "hashtag": {
        html += `<a href="${escapeHtml(`${origin}/tags/${encodeURIComponent(entity.tag)}`)}" class="mention hashtag" rel="tag">#<span>${escapeHtml(entity.tag)}</span></a>`;
        const key = normaliseTag(entity.tag);
        if (!seenTags.has(key)) {
          seenTags.add(key);
          hashtags.push(entity.tag);
        }
        break;
      }
      case "mention": {
        const host = entity.host ?? localHost;
        const account = resolved.get(handleKey(entity.username, host));
        if (account == null) {
          html += escapeHtml(written);
          break;
        }
        const ambiguous = (hostsByUsername.get(entity.username.toLowerCase())?.size ?? 0) > 1;
        const shown = ambiguous ? `${entity.username}@${host}` : entity.username;
        html += `<span class="h-card" translate="no"><a href="${escapeHtml(account.url)}" class="u-url mention">@<span>${escapeHtml(shown)}</span></a></span>`;
        if (!seenUris.has(account.uri)) {
          seenUris.add(account.uri);
          mentions.push({ uri: account.uri, url: account.url, handle: `${entity.username}@${host}` });
        }
        break;
      }
    }
  }
  html += escapeHtml(source.slice(position));

  return { html: paragraphs(html), mentions, hashtags, links };
}

/**
 * The length Mastodon checks against its character limit: the content warning plus the text, in
 * grapheme clusters, where every URL counts as 23 characters and a mention only as `@username`
 * (its `@host` part is free).
 */
export function countCharacters(text: string, spoilerText: string = ""): number {
  const source = normaliseSource(text);
  let countable = "";
  if (source !== "") {
    const entities = removeOverlaps([...extractUrls(source), ...extractMentions(source)]);
    let position = 0;
    for (const entity of entities) {
      countable += source.slice(position, entity.start);
      countable += entity.kind === "url" ? "x".repeat(URL_CHARACTERS) : entity.kind === "mention" ? `@${entity.username}` : "";
      position = entity.end;
    }
    countable += source.slice(position);
  }
  return graphemeCount(spoilerText.trim() + countable);
}

/** URLs, mentions and hashtags in the order they appear, overlaps resolved in favour of the earlier one. */
export function extractEntities(text: string): Entity[] {
  return removeOverlaps([...extractUrls(text), ...extractMentions(text), ...extractHashtags(text)]);
}

function normaliseSource(text: string): string {
  if (typeof text !== "string") return "";
  // Mastodon strips the text before saving and formats \r\n as \n.
  return text.toWellFormed().replace(/\r\n?/g, "\n").trim();
}

function removeOverlaps(entities: Entity[]): Entity[] {
  const sorted = [...entities].sort((a, b) => a.start - b.start);
  const kept: Entity[] = [];
  for (const entity of sorted) {
    const previous = kept.at(-1);
    if (previous !== undefined && entity.start < previous.end) continue;
    kept.push(entity);
  }
  return kept;
}

// --- URLs -----------------------------------------------------------------------------------------

/** Schemes Mastodon's patched twitter-text links with `scheme://`. */
const URL_START = /(?<![A-Za-z0-9@＠$#＃])(?:https?|dat|dweb|ipfs|ipns|ssb|gopher|gemini):\/\//giu;
/** Longer URLs are cut here: no real link is this long, and unbounded scans make "https://" x 10,000 quadratic. */
const MAX_URL_BODY = 4096;
/** Controls and bidi overrides end a URL too: inside one they would make its shown text lie about it. */
const URL_BODY = new RegExp(`[^\\s<>\\u0000-\\u001f\\u007f-\\u009f\\u202a-\\u202e\\u2066-\\u2069]{0,${MAX_URL_BODY}}`, "uy");
const HOST_LABEL = "[\\p{L}\\p{M}\\p{N}](?:[\\p{L}\\p{M}\\p{N}-]*[\\p{L}\\p{M}\\p{N}])?";
const AUTHORITY = new RegExp(`^${HOST_LABEL}(?:\\.${HOST_LABEL})*(?::\\d{1,5})?`, "u");
/** Characters that end a sentence rather than a URL (twitter-text's "valid URL path ending" rule). */
const TRAILING = new Set([..."!?*\"'「」;:,.$%[]~|@("]);

/**
 * `scheme://host[:port][/path][?query][#fragment]` not preceded by a letter, digit, @, $ or #. The host
 * must look like a public name (a dot and an alphabetic or punycode top-level label, or IPv4), as
 * twitter-text demands a known TLD; trailing punctuation and unbalanced closing parentheses are left out.
 */
function extractUrls(text: string): Entity[] {
  const found: Entity[] = [];
  URL_START.lastIndex = 0;
  for (let match = URL_START.exec(text); match !== null; match = URL_START.exec(text)) {
    const start = match.index;
    const afterScheme = start + match[0].length;
    URL_BODY.lastIndex = afterScheme;
    const body = URL_BODY.exec(text)?.[0] ?? "";
    const authority = AUTHORITY.exec(body)?.[0];
    if (authority === undefined) continue;
    let candidate = authority;
    const rest = body.slice(authority.length);
    if (/^[/?#]/.test(rest)) candidate += trimTrailing(rest);
    const url = text.slice(start, afterScheme) + candidate;
    if (!plausibleUrl(url)) continue;
    found.push({ kind: "url", start, end: start + url.length, url });
    URL_START.lastIndex = start + url.length;
  }
  return found;
}

function trimTrailing(path: string): string {
  let opens = 0;
  let closes = 0;
  for (const c of path) {
    if (c === "(") opens++;
    else if (c === ")") closes++;
  }
  let end = path.length;
  while (end > 0) {
    const last = path[end - 1]!;
    if (TRAILING.has(last)) {
      if (last === "(") opens--;
      end--;
    } else if (last === ")" && closes > opens) {
      closes--;
      end--;
    } else {
      break;
    }
  }
  return path.slice(0, end);
}

function plausibleUrl(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  const host = parsed.hostname;
  if (/^\d{1,3}(?:\.\d{1,3}){3}$/.test(host)) return true;
  const labels = host.split(".");
  if (labels.length < 2) return false;
  const tld = labels.at(-1) ?? "";
  return /^[a-z]{2,63}$/.test(tld) || /^xn--[a-z0-9-]{1,59}$/.test(tld);
}

const URL_PREFIX = /^(?:https?:\/\/(?:www\.)?|xmpp:)/;
const DISPLAY_LENGTH = 30;

/** Mastodon's shortened link: scheme and `www.` hidden, 30 characters shown, the rest hidden behind an ellipsis. */
function linkHtml(url: string): string {
  const prefix = URL_PREFIX.exec(url)?.[0] ?? "";
  const rest = Array.from(url.slice(prefix.length));
  const display = rest.slice(0, DISPLAY_LENGTH).join("");
  const suffix = rest.slice(DISPLAY_LENGTH).join("");
  const cutoff = rest.length > DISPLAY_LENGTH;
  return (
    `<a href="${escapeHtml(url)}" target="_blank" rel="nofollow noopener noreferrer" translate="no">` +
    `<span class="invisible">${escapeHtml(prefix)}</span>` +
    `<span class="${cutoff ? "ellipsis" : ""}">${escapeHtml(display)}</span>` +
    `<span class="invisible">${escapeHtml(suffix)}</span></a>`
  );
}

// --- Mentions -------------------------------------------------------------------------------------

const WORD = "\\p{L}\\p{M}\\p{Nd}\\p{Pc}";
/**
 * Mastodon's Account::MENTION_RE: ASCII usernames, Unicode host labels, not after `=`, `/` or a word
 * character; plus a port after the host (`@user@localhost:3000`: development and test servers; issue
 * #10, item 12). A port is digits without a leading zero, not followed by a word character, so the
 * colon of prose (`@bob@example.com: hi`, `…:30pm`) stays text.
 */
const MENTION = new RegExp(
  `(?<![=/${WORD}])@([A-Za-z0-9_]+(?:[.-]+[A-Za-z0-9_]+)*)(?:@([${WORD}]+(?:[.-]+[${WORD}]+)*)(?::([1-9][0-9]{0,4})(?![${WORD}]))?)?`,
  "gu",
);
const MAX_PORT = 65535;
/** twitter-text's end_mention_match: a mention followed by another @, a Latin accent or :// is not one. */
const MENTION_END = /^(?:[@＠\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u00ff\u0100-\u024f\u0253\u0254\u0256\u0257\u0259\u025b\u0263\u0268\u026f\u0272\u0289\u028b\u02bb\u0300-\u036f\u1e00-\u1eff]|:\/\/)/u;

function extractMentions(text: string): Entity[] {
  const found: Entity[] = [];
  for (const match of text.matchAll(MENTION)) {
    const [written, username, host, port] = match;
    // A number that is no port (above 65535) is prose after the handle, like any other colon.
    const withPort = port !== undefined && Number(port) <= MAX_PORT;
    const end = match.index + written.length - (port !== undefined && !withPort ? port.length + 1 : 0);
    if (MENTION_END.test(text.slice(end, end + 3))) continue;
    found.push({ kind: "mention", start: match.index, end, username: username!, host: host === undefined ? null : withPort ? `${host}:${port}` : host });
  }
  return found;
}

function handleKey(username: string, host: string): string {
  return `${username.toLowerCase()}@${host.toLowerCase()}`;
}

async function resolveMentions(
  entities: Entity[],
  localHost: string,
  resolve: ResolveMention,
  max: number,
): Promise<Map<string, ResolvedMention | null>> {
  const pending = new Map<string, MentionHandle>();
  for (const entity of entities) {
    if (entity.kind !== "mention") continue;
    const host = entity.host ?? localHost;
    const key = handleKey(entity.username, host);
    if (!pending.has(key) && pending.size < max) pending.set(key, { username: entity.username, host });
  }
  const results = new Map<string, ResolvedMention | null>();
  const queue = [...pending];
  const worker = async (): Promise<void> => {
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      const [key, handle] = next;
      results.set(key, checkResolved(await resolve(handle)));
    }
  };
  await Promise.all(Array.from({ length: Math.min(LOOKUP_CONCURRENCY, queue.length) }, worker));
  return results;
}

/** The resolver's answer came from another server: only http(s) links are put into our HTML. */
function checkResolved(account: ResolvedMention | null): ResolvedMention | null {
  if (account == null || typeof account.uri !== "string" || typeof account.url !== "string") return null;
  const url = httpUrl(account.url) ?? httpUrl(account.uri);
  if (url === null || httpUrl(account.uri) === null) return null;
  return { uri: account.uri, url };
}

function httpUrl(text: string): string | null {
  try {
    const url = new URL(text);
    return (url.protocol === "https:" || url.protocol === "http:") && url.username === "" && url.password === "" ? url.href : null;
  } catch {
    return null;
  }
}

// --- Hashtags -------------------------------------------------------------------------------------

const SEPARATORS = "_\\u00b7\\u30fb\\u200c";
const ALPHA = "\\p{Alphabetic}";
/** After the start or whitespace, `#` or `＃`, then the longest run of characters a tag may contain. */
const HASHTAG_RUN = new RegExp(`(?<=^|\\s)[#＃]([${WORD}${ALPHA}${SEPARATORS}]+)`, "gu");
const IS_WORD = new RegExp(`^[${WORD}${ALPHA}]$`, "u");
const IS_ALPHA_OR_SEPARATOR = new RegExp(`^[${ALPHA}${SEPARATORS}]$`, "u");
const IS_ALPHA = new RegExp(`^[${ALPHA}]$`, "u");

function extractHashtags(text: string): Entity[] {
  const found: Entity[] = [];
  for (const match of text.matchAll(HASHTAG_RUN)) {
    let tag = hashtagName(match[1]!);
    if (tag === null) continue;
    let end = match.index + 1 + tag.length;
    // "#tagshttps://..." : the URL's scheme is not part of the tag (Mastodon's Extractor does the same).
    if (text.startsWith("://", end)) {
      const scheme = /^(.+)(https?)$/u.exec(tag);
      if (scheme !== null) {
        tag = scheme[1]!;
        end -= scheme[2]!.length;
      }
    }
    found.push({ kind: "hashtag", start: match.index, end, tag });
  }
  return found;
}

/**
 * The tag Mastodon's Tag::HASHTAG_RE finds at the start of `run`, computed without its regular
 * expression: that pattern backtracks quadratically ("#a" and 100,000 "·" took 27 s in V8).
 * Its first alternative is a word character, then word characters and separators (`_`, `·`, `・`,
 * ZWNJ) with a letter or separator somewhere inside, ending on a word character; the match ends at the
 * run's last word character. The second is word characters only with at least one letter. So `#123`
 * is no tag, `#foo·bar` is one. (Letter-like symbols such as Ⓐ count as word characters here.)
 */
function hashtagName(run: string): string | null {
  const chars = Array.from(run);
  if (IS_WORD.test(chars[0] ?? "")) {
    let lastWord = chars.length - 1;
    while (lastWord > 0 && !IS_WORD.test(chars[lastWord]!)) lastWord--;
    for (let i = 1; i < lastWord; i++) {
      if (IS_ALPHA_OR_SEPARATOR.test(chars[i]!)) return chars.slice(0, lastWord + 1).join("");
    }
  }
  let end = 0;
  let letter = false;
  while (end < chars.length && IS_WORD.test(chars[end]!)) {
    if (IS_ALPHA.test(chars[end]!)) letter = true;
    end++;
  }
  return letter ? chars.slice(0, end).join("") : null;
}

/** Same tag, different spelling: `#Café`, `#café`, `#ＣＡＦÉ`. How tags are stored (`post_tags`). */
export function normaliseTag(tag: string): string {
  return tag.normalize("NFKC").toLowerCase();
}

const TAG_NAME = /^[\p{L}\p{M}\p{N}_\u00b7\u30fb\u200c]{1,100}$/u;

/**
 * A hashtag named in a URL or typed by someone, as stored (`normaliseTag`), without its `#`; null
 * when it cannot be a hashtag (the characters remote-object.ts accepts from peers, at most 100).
 */
export function hashtagKey(name: string): string | null {
  const key = normaliseTag(name.replace(/^[#＃]/, ""));
  return TAG_NAME.test(key) ? key : null;
}

// --- Paragraphs -----------------------------------------------------------------------------------

/** Rails' simple_format as Mastodon uses it: `\n\n+` separates paragraphs, `\n` inside one is a line break. */
function paragraphs(html: string): string {
  return html
    .split(/\n{2,}/)
    .map((paragraph) => paragraph.replace(/^\n+|\n+$/g, ""))
    .filter((paragraph) => paragraph.trim() !== "")
    .map((paragraph) => `<p>${paragraph.replace(/\n/g, "<br />")}</p>`)
    .join("");
}
