import { truncateCodeUnits } from "./text.ts";

/**
 * Reading ActivityStreams values from untrusted JSON. Every property of a remote object may be missing,
 * a single value, an array, an object where a string was expected, or absurdly large (hostile-inputs
 * "wrong types everywhere" and case 16). These helpers turn such values into what the federation code
 * wants, or into null / [] — they never throw. Limits are parameters: the callers pass the configured ones.
 */

/** The special collection meaning "everyone". */
export const AS_PUBLIC = "https://www.w3.org/ns/activitystreams#Public";
/** The compact forms some servers send (Mastodon accepts these three spellings). */
const PUBLIC_ADDRESSES = new Set([AS_PUBLIC, "as:Public", "Public"]);

/** Default cap for IRIs; longer ones are not ids anyone needs, only ways to fill storage. */
export const MAX_IRI_LENGTH = 4096;
/** Language map entries examined before giving up (a map with 100,000 keys is an attack, not a translation). */
const MAX_LANGUAGE_ENTRIES = 64;
const LANGUAGE_TAG = /^[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8}){0,6}$/;

/** A JSON object (not null, not an array). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * ActivityStreams lets any property be one value or an array: undefined and null give [], a single
 * value gives [value], an array gives at most its first `max` elements.
 */
export function asArray(value: unknown, max: number): unknown[] {
  if (value === undefined || value === null) return [];
  const limit = Math.max(0, Math.floor(max));
  if (Array.isArray(value)) return value.length > limit ? value.slice(0, limit) : value;
  return limit > 0 ? [value] : [];
}

/**
 * The id of a reference: the string itself, or the string `id` of an embedded object. Null for
 * anything else, for strings that are not absolute IRIs, and for strings with whitespace or control
 * characters (they would compare differently from how a URL parser reads them).
 */
export function idOf(value: unknown, maxLength: number = MAX_IRI_LENGTH): string | null {
  const id = typeof value === "string" ? value : isObject(value) ? value["id"] : undefined;
  if (typeof id !== "string" || id.length === 0 || id.length > maxLength) return null;
  if (/[\u0000-\u0020\u007f-\u009f]/.test(id) || !URL.canParse(id)) return null;
  return id;
}

/** Ids of a one-or-many reference property (`to`, `cc`, `attributedTo` ...), invalid entries dropped, duplicates removed. */
export function idsOf(value: unknown, max: number, maxLength: number = MAX_IRI_LENGTH): string[] {
  const ids: string[] = [];
  for (const item of asArray(value, max)) {
    const id = idOf(item, maxLength);
    if (id !== null && !ids.includes(id)) ids.push(id);
  }
  return ids;
}

/**
 * An http(s) URL fit to fetch or compare: absolute, no user info (`https://trusted.example@evil.example`),
 * no whitespace, control characters or backslashes (which the WHATWG parser silently rewrites, so the
 * string and the URL would disagree about the host). Null otherwise.
 */
export function parseIri(value: unknown, maxLength: number = MAX_IRI_LENGTH): URL | null {
  if (typeof value !== "string" || value.length === 0 || value.length > maxLength) return null;
  if (/[\u0000-\u0020\u007f-\u009f\\]/.test(value)) return null;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return null;
  if (url.username !== "" || url.password !== "" || url.hostname === "") return null;
  return url;
}

/** The `href` of a Link (or a plain URL string), as in `url` properties; null unless it is a safe http(s) URL. */
export function hrefOf(value: unknown, maxLength: number = MAX_IRI_LENGTH): URL | null {
  if (typeof value === "string") return parseIri(value, maxLength);
  if (isObject(value)) return parseIri(value["href"], maxLength);
  return null;
}

/** Whether an address (string or object with `id`) is the public collection, in any of its spellings. */
export function isPublicAddress(value: unknown): boolean {
  const id = typeof value === "string" ? value : isObject(value) ? value["id"] : undefined;
  return typeof id === "string" && PUBLIC_ADDRESSES.has(id);
}

/** Whether a one-or-many address property (`to`, `cc`) includes the public collection among its first `max` entries. */
export function hasPublicAddress(value: unknown, max: number): boolean {
  return asArray(value, max).some(isPublicAddress);
}

/** The `type` of an object as a list (it may be one string or several), at most `max` entries. */
export function typesOf(value: unknown, max: number): string[] {
  if (!isObject(value)) return [];
  return asArray(value["type"], max).filter((t): t is string => typeof t === "string" && t.length > 0 && t.length <= 256);
}

export interface LocalizedOptions {
  /** Preferred language (BCP 47, e.g. "de" or "pt-BR"); matched exactly, then case-insensitively, then by primary subtag. */
  readonly language?: string | null;
  /** Longer text is cut to this many UTF-16 code units (never inside a surrogate pair). */
  readonly maxLength: number;
}

export interface LocalizedString {
  readonly text: string;
  /** The language the text was taken from, when known. */
  readonly language: string | null;
}

/**
 * A natural-language property with its language map (`content`/`contentMap`, `name`/`nameMap`,
 * `summary`/`summaryMap`): the requested language from the map if present, else the plain value,
 * else the first string in the map. Null when there is no string at all.
 */
export function localizedString(value: unknown, languageMap: unknown, options: LocalizedOptions): LocalizedString | null {
  const entries = languageEntries(languageMap);
  const wanted = options.language ?? null;
  if (wanted !== null && entries.length > 0) {
    const lower = wanted.toLowerCase();
    const primary = lower.split("-")[0];
    const match =
      entries.find(([lang]) => lang === wanted) ??
      entries.find(([lang]) => lang.toLowerCase() === lower) ??
      entries.find(([lang]) => lang.toLowerCase().split("-")[0] === primary);
    if (match !== undefined) return result(match[1], match[0], options.maxLength);
  }
  if (typeof value === "string") {
    const same = entries.find(([, text]) => text === value);
    return result(value, same?.[0] ?? null, options.maxLength);
  }
  const first = entries[0];
  return first === undefined ? null : result(first[1], first[0], options.maxLength);
}

/** `localizedString` without the language. */
export function stringOf(value: unknown, languageMap: unknown, options: LocalizedOptions): string | null {
  return localizedString(value, languageMap, options)?.text ?? null;
}

function languageEntries(map: unknown): [string, string][] {
  if (!isObject(map)) return [];
  const entries: [string, string][] = [];
  let examined = 0;
  // for...in stops early; Object.entries would first copy every key of a hostile map.
  for (const key in map) {
    if (++examined > MAX_LANGUAGE_ENTRIES) break;
    if (!Object.hasOwn(map, key)) continue;
    const text = map[key];
    if (typeof text === "string" && LANGUAGE_TAG.test(key)) entries.push([key, text]);
  }
  return entries;
}

function result(text: string, language: string | null, maxLength: number): LocalizedString {
  return { text: truncateCodeUnits(text, Math.max(0, Math.floor(maxLength))).toWellFormed(), language };
}
