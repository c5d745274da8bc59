import { emojiShortcode, escapeHtml, sanitizeRemoteHtml, sanitizeRemoteText } from "../content/sanitize.ts";
import { excerpt, htmlToPlainText } from "../content/text.ts";
import { asArray, hrefOf, idOf, idsOf, isObject, localizedString, parseIri, typesOf } from "../content/validate.ts";
import { err, ok, type Result } from "../lib/result.ts";
import type { Card, Poll } from "./post.entity.ts";

/**
 * Reading a post-like object (Note, Article, Page, Question, Video, Event, or a type nobody told us
 * about) from another server's JSON. Everything here is untrusted: each field is validated, every
 * string that can reach HTML is sanitised, and every list is capped while it is read (hostile-inputs
 * cases 14 and 16). Nothing here decides whether the object may be stored: that is the caller's job
 * (who sent it, whether its author matches; see remote-post.service.ts).
 */

export type MediaKind = "image" | "video" | "audio" | "document";

export interface RemoteAttachment {
  readonly kind: MediaKind;
  readonly url: string;
  readonly mediaType: string | null;
  /** Alt text, plain. */
  readonly description: string | null;
  readonly width: number | null;
  readonly height: number | null;
  readonly blurhash: string | null;
}

export interface RemoteMention {
  readonly uri: string;
  /** `user@host` as the author wrote it, when given. */
  readonly handle: string | null;
}

export interface ParsedObject {
  readonly id: string;
  /** The object's own type name (`Note`, `Video`, `Event`, `ChatMessage` …). */
  readonly type: string;
  /** How Herold shows it: natively, or as a card with a link. */
  readonly kind: "note" | "article" | "page" | "question" | "card";
  /** Every id listed in `attributedTo` (or `actor`), in order. */
  readonly attributedTo: readonly string[];
  readonly contentHtml: string | null;
  readonly language: string | null;
  /** Content warning (plain text). */
  readonly summary: string | null;
  /** Title of articles, pages, events, videos. */
  readonly name: string | null;
  readonly sensitive: boolean;
  /** The post's web page, only when it is on the origin of `id` (what lookups by address may match). */
  readonly url: string | null;
  readonly inReplyTo: string | null;
  readonly quote: string | null;
  readonly to: readonly string[];
  readonly cc: readonly string[];
  readonly published: string | null;
  readonly updated: string | null;
  readonly conversation: string | null;
  readonly mentions: readonly RemoteMention[];
  /** Lower case, without `#`. */
  readonly hashtags: readonly string[];
  readonly emojis: readonly { name: string; url: string }[];
  readonly attachments: readonly RemoteAttachment[];
  readonly poll: Poll | null;
  readonly card: Card | null;
}

export interface ParseLimits {
  readonly maxAttachments: number;
  readonly maxTags: number;
  readonly maxPollOptions: number;
  /** Cap on HTML and other long strings, in UTF-16 code units. */
  readonly maxStringLength: number;
}

export type ParseError = "invalid" | "not-a-post";

/** Types that are never posts: actors, activities, collections and the like. */
const NOT_POSTS = new Set([
  "Person", "Service", "Application", "Group", "Organization",
  "Create", "Update", "Delete", "Follow", "Accept", "Reject", "TentativeAccept", "TentativeReject", "Add", "Remove",
  "Like", "Dislike", "Announce", "Undo", "Block", "Flag", "Move", "EmojiReact", "Join", "Leave", "Invite", "Offer",
  "Read", "View", "Listen", "Arrive", "Travel", "Ignore", "Lock", "Resolve", "Activity", "IntransitiveActivity",
  "Tombstone", "Collection", "OrderedCollection", "CollectionPage", "OrderedCollectionPage",
  "Link", "Mention", "Hashtag", "Emoji", "PropertyValue", "Key", "CryptographicKey", "Multikey", "Relationship", "Profile", "Place",
]);

const KINDS: Record<string, ParsedObject["kind"]> = { Note: "note", Article: "article", Page: "page", Question: "question" };
/** Kept as posts with their text, but shown with a card (title, link, image) as Mastodon does. */
const CARD_TYPES = new Set(["Video", "Audio", "Image", "Event"]);

const MAX_TYPES = 8;
const MAX_ADDRESSES = 200;
const MAX_TITLE = 500;
const MAX_SUMMARY = 1000;
const MAX_ALT = 1500;
const MAX_OPTION = 200;
const MAX_HANDLE = 300;
const MAX_TAG = 100;
const MAX_DIMENSION = 100_000;
const MAX_COUNT = 1_000_000_000;
const MEDIA_TYPE = /^[a-z]+\/[a-z0-9.+-]{1,100}$/;
const BLURHASH = /^[0-9A-Za-z#$%*+,\-.:;=?@[\]^_{|}~]{6,100}$/;
const LANGUAGE = /^[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8}){0,6}$/;
const TAG = /^[\p{L}\p{M}\p{N}_\u00b7\u30fb\u200c]+$/u;
const HANDLE = /^@?([^@\s]{1,100})@([^@\s/]{1,200})$/;

/** Reads a post-like object; `invalid` when it has no usable id, `not-a-post` for actors, activities and collections. */
export function parseRemoteObject(json: unknown, limits: ParseLimits): Result<ParsedObject, ParseError> {
  if (!isObject(json)) return err("invalid", "the object is not a JSON object");
  const id = parseIri(json["id"])?.href ?? null;
  if (id === null) return err("invalid", "the object has no valid http(s) id");
  const types = typesOf(json, MAX_TYPES);
  const type = types.find((t) => KINDS[t] !== undefined || CARD_TYPES.has(t)) ?? types[0];
  if (type === undefined) return err("invalid", `object ${id} has no type`);
  if (types.some((t) => NOT_POSTS.has(t))) return err("not-a-post", `object ${id} is a ${type}, not a post`);
  const kind = KINDS[type] ?? "card";

  const maxLength = limits.maxStringLength;
  const content = localizedString(json["content"], json["contentMap"], { maxLength });
  const contentHtml = content === null ? null : toHtml(content.text, json["mediaType"], maxLength);
  const summaryText = localizedString(json["summary"], json["summaryMap"], { maxLength: MAX_SUMMARY * 4 })?.text ?? null;
  const summary = nonEmpty(summaryText === null ? null : sanitizeRemoteText(summaryText, MAX_SUMMARY));
  const nameText = localizedString(json["name"], json["nameMap"], { maxLength: MAX_TITLE * 4 })?.text ?? null;
  const name = nonEmpty(nameText === null ? null : sanitizeRemoteText(nameText, MAX_TITLE));
  const tags = asArray(json["tag"], limits.maxTags).filter(isObject);
  const links = htmlUrls(json["url"]);
  // The post's web address only on its own origin: another server's address is a claim on that
  // server's post (boost or quote "it" by address and you would get this one; issue #10, item 5).
  // A link post's foreign `url` (Friendica, lotide, PeerTube mirrors) is still shown on its card.
  const url = links.find((href) => new URL(href).origin === new URL(id).origin) ?? null;

  const parsed: ParsedObject = {
    id,
    type: /^[A-Za-z][A-Za-z0-9_:-]{0,63}$/.test(type) ? type : "Object",
    kind,
    attributedTo: idsOf(json["attributedTo"] ?? json["actor"], 16),
    contentHtml: nonEmpty(contentHtml),
    language: languageOf(content?.language ?? null, json),
    summary,
    name,
    sensitive: json["sensitive"] === true || summary !== null,
    url,
    inReplyTo: idOf(json["inReplyTo"]),
    quote: idOf(json["quote"]) ?? idOf(json["quoteUrl"]) ?? idOf(json["quoteUri"]) ?? idOf(json["_misskey_quote"]),
    to: idsOf(json["to"], MAX_ADDRESSES),
    cc: idsOf(json["cc"], MAX_ADDRESSES),
    published: dateOf(json["published"]),
    updated: dateOf(json["updated"]),
    conversation: idOf(json["context"]) ?? idOf(json["conversation"]),
    mentions: mentionsOf(tags),
    hashtags: hashtagsOf(tags),
    emojis: emojisOf(tags),
    attachments: attachmentsOf(json["attachment"], limits.maxAttachments),
    poll: kind === "question" ? pollOf(json, limits.maxPollOptions) : null,
    card: kind === "card" || CARD_TYPES.has(type) ? cardOf(json, name, summary, contentHtml, links[0] ?? id) : null,
  };
  if (parsed.contentHtml === null && parsed.name === null && parsed.attachments.length === 0 && parsed.poll === null) {
    return err("invalid", `object ${id} has no content, name, attachment or poll`);
  }
  return ok(parsed);
}

/**
 * Whether the object has an author field at all. Hubzilla and Zap leave it out; a field that is there
 * but unusable (null, [], a number, an author without an id) is not left out: it names someone we
 * cannot check, and stays refused (hostile-inputs case 8).
 */
export function namesAuthor(json: Record<string, unknown>): boolean {
  return json["attributedTo"] !== undefined || json["actor"] !== undefined;
}

/** HTML stays HTML (sanitised); Markdown and plain text (PeerTube, some bridges) become escaped paragraphs. */
function toHtml(text: string, mediaType: unknown, maxLength: number): string {
  if (mediaType === "text/markdown" || mediaType === "text/plain") {
    const paragraphs = text
      .replace(/\r\n?/g, "\n")
      .split(/\n{2,}/)
      .map((p) => p.trim())
      .filter((p) => p !== "")
      .map((p) => `<p>${escapeHtml(p).replace(/\n/g, "<br>")}</p>`)
      .join("");
    // Through the sanitiser as well, so every stored remote HTML has its one canonical form (the
    // fuzzer's invariant: re-sanitising changes nothing). Escaping can grow the text sixfold.
    return sanitizeRemoteHtml(paragraphs, { maxLength: maxLength * 6 });
  }
  return sanitizeRemoteHtml(text, { maxLength });
}

function nonEmpty(text: string | null): string | null {
  return text === null || text.trim() === "" ? null : text;
}

function languageOf(fromMap: string | null, json: Record<string, unknown>): string | null {
  const candidates: unknown[] = [fromMap];
  // Lemmy and PeerTube: `language: {identifier: "fr"}`; Mobilizon: `inLanguage`.
  const language = json["language"];
  candidates.push(isObject(language) ? language["identifier"] : language, json["inLanguage"]);
  for (const candidate of candidates) {
    if (typeof candidate === "string" && LANGUAGE.test(candidate) && candidate.toLowerCase() !== "und") return candidate;
  }
  return null;
}

function dateOf(value: unknown): string | null {
  if (typeof value !== "string" || value.length > 64) return null;
  const time = Date.parse(value);
  if (Number.isNaN(time)) return null;
  const date = new Date(time);
  const year = date.getUTCFullYear();
  return year >= 1970 && year <= 9999 ? date.toISOString() : null;
}

/**
 * The pages people open, best first: a string, a Link, or (PeerTube) a list of Links, the HTML ones
 * before the others.
 */
function htmlUrls(value: unknown): string[] {
  const html: string[] = [];
  const other: string[] = [];
  for (const candidate of asArray(value, 16)) {
    const href = hrefOf(candidate);
    if (href === null) continue;
    const mediaType = isObject(candidate) ? candidate["mediaType"] : undefined;
    (mediaType === undefined || mediaType === "text/html" ? html : other).push(href.href);
  }
  return [...html, ...other];
}

function mentionsOf(tags: readonly Record<string, unknown>[]): RemoteMention[] {
  const out: RemoteMention[] = [];
  for (const tag of tags) {
    if (tag["type"] !== "Mention") continue;
    const uri = parseIri(tag["href"])?.href;
    if (uri === undefined || out.some((m) => m.uri === uri)) continue;
    const name = typeof tag["name"] === "string" && tag["name"].length <= MAX_HANDLE ? HANDLE.exec(tag["name"].trim()) : null;
    out.push({ uri, handle: name ? `${name[1]}@${name[2]}` : null });
  }
  return out;
}

function hashtagsOf(tags: readonly Record<string, unknown>[]): string[] {
  const out: string[] = [];
  for (const tag of tags) {
    if (tag["type"] !== "Hashtag" || typeof tag["name"] !== "string") continue;
    const name = tag["name"].replace(/^[#＃]/, "").normalize("NFKC").toLowerCase();
    if (name.length === 0 || name.length > MAX_TAG || !TAG.test(name) || out.includes(name)) continue;
    out.push(name);
  }
  return out;
}

function emojisOf(tags: readonly Record<string, unknown>[]): { name: string; url: string }[] {
  const out: { name: string; url: string }[] = [];
  for (const tag of tags) {
    if (tag["type"] !== "Emoji") continue;
    const name = emojiShortcode(tag["name"]);
    const icon = asArray(tag["icon"], 4).find(isObject);
    const url = icon ? hrefOf(icon["url"]) : null;
    if (name === null || url === null || out.some((e) => e.name === name)) continue;
    out.push({ name, url: url.href });
  }
  return out;
}

function attachmentsOf(value: unknown, max: number): RemoteAttachment[] {
  const out: RemoteAttachment[] = [];
  for (const item of asArray(value, max)) {
    if (!isObject(item)) continue;
    // Links (Lemmy, PeerTube) carry `href`; Documents carry `url` (a string, a Link or a list of either).
    const href = hrefOf(item) ?? asArray(item["url"], 8).map((u) => hrefOf(u)).find((u) => u !== null) ?? null;
    if (href === null) continue;
    const rawType = typeof item["mediaType"] === "string" ? item["mediaType"].toLowerCase() : null;
    const mediaType = rawType !== null && MEDIA_TYPE.test(rawType) ? rawType : null;
    const description = typeof item["name"] === "string" ? nonEmpty(sanitizeRemoteText(item["name"], MAX_ALT)) : null;
    out.push({
      kind: kindOf(mediaType, item["type"]),
      url: href.href,
      mediaType,
      description,
      width: dimension(item["width"]),
      height: dimension(item["height"]),
      blurhash: typeof item["blurhash"] === "string" && BLURHASH.test(item["blurhash"]) ? item["blurhash"] : null,
    });
  }
  return out;
}

function kindOf(mediaType: string | null, type: unknown): MediaKind {
  const major = mediaType?.split("/")[0];
  if (major === "image" || major === "video" || major === "audio") return major;
  if (type === "Image") return "image";
  if (type === "Video") return "video";
  if (type === "Audio") return "audio";
  return "document";
}

function dimension(value: unknown): number | null {
  return typeof value === "number" && Number.isInteger(value) && value > 0 && value <= MAX_DIMENSION ? value : null;
}

function count(value: unknown): number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0 ? Math.min(value, MAX_COUNT) : 0;
}

function pollOf(json: Record<string, unknown>, maxOptions: number): Poll | null {
  const anyOf = asArray(json["anyOf"], maxOptions);
  const multiple = anyOf.length > 0;
  const options: { name: string; votes: number }[] = [];
  for (const option of multiple ? anyOf : asArray(json["oneOf"], maxOptions)) {
    if (!isObject(option)) continue;
    const name = typeof option["name"] === "string" ? sanitizeRemoteText(option["name"], MAX_OPTION) : "";
    if (name === "") continue;
    const replies = option["replies"];
    const votes = isObject(replies) ? count(replies["totalItems"]) : count(option["_misskey_votes"]);
    options.push({ name, votes });
  }
  if (options.length === 0) return null;
  const voters = json["votersCount"];
  return {
    options,
    multiple,
    endsAt: dateOf(json["endTime"]) ?? dateOf(json["closed"]),
    voters: typeof voters === "number" && Number.isInteger(voters) && voters >= 0 ? Math.min(voters, MAX_COUNT) : null,
  };
}

function cardOf(json: Record<string, unknown>, name: string | null, summary: string | null, contentHtml: string | null, url: string): Card {
  const text = summary ?? (contentHtml === null ? null : nonEmpty(excerpt(htmlToPlainText(contentHtml).replace(/\s+/g, " ").trim(), 500)));
  const image = [...asArray(json["icon"], 8), ...asArray(json["image"], 8)]
    .map((i) => (isObject(i) ? (hrefOf(i["url"]) ?? hrefOf(i)) : hrefOf(i)))
    .find((u) => u !== null);
  return { title: name, summary: text, url, image: image?.href ?? null };
}
