import { createPublicKey } from "node:crypto";
import type { ProfileField } from "../account/account.entity.ts";
import { emojiShortcode, sanitizeRemoteHtml, sanitizeRemoteText } from "../content/sanitize.ts";
import { asArray, hrefOf, idOf, idsOf, isObject, parseIri, stringOf, typesOf } from "../content/validate.ts";
import { err, ok, type Result } from "../lib/result.ts";
import type { RemoteActorData } from "./actor.entity.ts";

/** The actor types of ActivityStreams; others (Forgejo's `Repository`, …) are accepted when the document has an inbox. */
export const ACTOR_TYPES: readonly string[] = ["Person", "Organization", "Service", "Group", "Application"];

/** A public key an actor document lists, checked to belong to it. */
export interface ParsedKey {
  /** Normalised (`URL.href`): the form key ids take in signatures after parsing. */
  readonly id: string;
  readonly pem: string;
  readonly algorithm: "rsa" | "ed25519";
}

export interface ParsedActor {
  readonly data: RemoteActorData;
  /** Every usable key in `publicKey`; `data.publicKeyId`/`publicKeyPem` hold the first RSA one. */
  readonly keys: readonly ParsedKey[];
}

export interface ActorParseLimits {
  /** Longest string read from the document (config `limits.maxStringLength`). */
  readonly maxStringLength: number;
  /** Most emoji read from `tag` (config `limits.maxTags`). */
  readonly maxTags: number;
}

const MAX_FIELDS = 16;
const MAX_ALIASES = 20;
const MAX_KEYS = 8;
const MAX_NAME = 100;
const MAX_FIELD_NAME = 255;
const MAX_USERNAME = 255;
const MAX_IRI = 2048;

/**
 * Reads a remote actor document (plain JSON, any actor type) into `RemoteActorData`, never throwing.
 *
 * What makes a document acceptable:
 * - its `id` equals `requestedId` (Fedify GHSA-8863-8468-7hq7: a URL must not be able to answer for
 *   another actor; fragments are ignored, as they are never sent);
 * - it has a type and an inbox on the actor's own origin; a shared inbox, outbox or collection on
 *   another origin is dropped (an actor cannot direct deliveries or collection reads elsewhere);
 * - keys count only if their id is on the actor's origin and their `owner`, when given, is the actor.
 *
 * Every string that can reach HTML is sanitised here (names, summary, profile fields, emoji names);
 * URLs are kept only when they are plain http(s) without user info. Images are stored as the remote
 * URLs; the pages never hot-link them.
 */
export function parseRemoteActor(document: unknown, requestedId: string, limits: ActorParseLimits): Result<ParsedActor, "invalid"> {
  if (!isObject(document)) return err("invalid", "actor document is not a JSON object");
  const idText = idOf(document["id"], MAX_IRI);
  const id = parseIri(idText, MAX_IRI);
  if (idText === null || id === null) return err("invalid", "actor document has no valid http(s) id");
  const requested = parseIri(requestedId, MAX_IRI);
  if (requested === null) return err("invalid", `requested actor id ${JSON.stringify(requestedId.slice(0, 200))} is not an http(s) URL`);
  if (withoutFragment(id) !== withoutFragment(requested)) {
    return err("invalid", `actor document id ${id.href} differs from the requested id ${requested.href}`);
  }
  const types = typesOf(document, 4);
  const type = types.find((t) => ACTOR_TYPES.includes(t)) ?? types[0];
  if (type === undefined) return err("invalid", `actor document ${id.href} has no type`);
  if (type === "Tombstone") return err("invalid", `${id.href} is a Tombstone, not an actor`);

  // The inbox must be on the actor's origin, or the document is refused; any other link on another
  // origin is dropped (never used), so an actor cannot direct deliveries or reads at another server.
  const sameOrigin = (field: string, value: unknown): Result<string | null, "invalid"> => {
    const text = idOf(value, MAX_IRI);
    if (text === null) return ok(null);
    const url = parseIri(text, MAX_IRI);
    if (url === null) return ok(null);
    if (url.origin !== id.origin) {
      return field === "inbox" ? err("invalid", `actor ${id.href} has its inbox on another origin (${url.origin})`) : ok(null);
    }
    return ok(url.href);
  };
  const endpoints = isObject(document["endpoints"]) ? document["endpoints"] : {};
  const links: Record<string, Result<string | null, "invalid">> = {
    inbox: sameOrigin("inbox", document["inbox"]),
    sharedInbox: sameOrigin("shared inbox", endpoints["sharedInbox"]),
    outbox: sameOrigin("outbox", document["outbox"]),
    followers: sameOrigin("followers collection", document["followers"]),
    following: sameOrigin("following collection", document["following"]),
    featured: sameOrigin("featured collection", document["featured"]),
  };
  for (const result of Object.values(links)) if (!result.ok) return result;
  const link = (name: string): string | null => {
    const result = links[name];
    return result !== undefined && result.ok ? result.value : null;
  };
  const inbox = link("inbox");
  if (inbox === null) return err("invalid", `actor ${id.href} has no inbox`);

  const keys = parseKeys(document["publicKey"], id);
  const primary = keys.find((k) => k.algorithm === "rsa") ?? keys[0] ?? null;
  const max = limits.maxStringLength;
  const name = sanitizeRemoteText(stringOf(document["name"], document["nameMap"], { maxLength: MAX_NAME * 8 }) ?? "", MAX_NAME);
  const summary = stringOf(document["summary"], document["summaryMap"], { maxLength: max });
  const summaryHtml = summary === null ? "" : sanitizeRemoteHtml(summary, { maxLength: max });

  const data: RemoteActorData = {
    uri: id.href,
    type,
    username: usernameOf(document["preferredUsername"], id),
    domain: id.host.toLowerCase(),
    name: name === "" ? null : name,
    summaryHtml: summaryHtml === "" ? null : summaryHtml,
    url: profileUrlOf(document["url"]),
    inboxUrl: inbox,
    sharedInboxUrl: link("sharedInbox"),
    outboxUrl: link("outbox"),
    followersUrl: link("followers"),
    followingUrl: link("following"),
    featuredUrl: link("featured"),
    publicKeyId: primary?.id ?? null,
    publicKeyPem: primary?.pem ?? null,
    iconUrl: imageUrlOf(document["icon"]),
    imageUrl: imageUrlOf(document["image"]),
    fields: fieldsOf(document["attachment"], max),
    alsoKnownAs: idsOf(document["alsoKnownAs"], MAX_ALIASES, MAX_IRI).filter((alias) => parseIri(alias, MAX_IRI) !== null),
    movedToUri: parseIri(idOf(document["movedTo"], MAX_IRI), MAX_IRI)?.href ?? null,
    // Only a real JSON true counts: `{"@value": "False"}` (Kroeg) or "true" strings are not opt-ins.
    manuallyApprovesFollowers: document["manuallyApprovesFollowers"] === true,
    discoverable: document["discoverable"] === true,
    emojis: emojisOf(document["tag"], limits.maxTags),
    publishedAt: isoDate(document["published"]),
    rawJson: JSON.stringify(document),
  };
  return ok({ data, keys });
}

/** True when an embedded object looks like an actor: a known actor type, or an inbox plus a key or username. */
export function looksLikeActor(value: unknown): boolean {
  if (!isObject(value)) return false;
  if (typesOf(value, 4).some((t) => ACTOR_TYPES.includes(t))) return true;
  return idOf(value["inbox"]) !== null && (value["publicKey"] !== undefined || typeof value["preferredUsername"] === "string");
}

function withoutFragment(url: URL): string {
  const copy = new URL(url.href);
  copy.hash = "";
  return copy.href;
}

function parseKeys(value: unknown, actorId: URL): ParsedKey[] {
  const keys: ParsedKey[] = [];
  for (const entry of asArray(value, MAX_KEYS)) {
    if (!isObject(entry)) continue;
    const keyUrl = parseIri(idOf(entry["id"], MAX_IRI), MAX_IRI);
    if (keyUrl === null || keyUrl.origin !== actorId.origin) continue;
    const owner = entry["owner"];
    if (owner !== undefined && idOf(owner, MAX_IRI) !== null && parseIri(idOf(owner, MAX_IRI), MAX_IRI)?.href !== actorId.href) continue;
    const pem = entry["publicKeyPem"];
    if (typeof pem !== "string" || pem.length > 16_384) continue;
    let algorithm: ParsedKey["algorithm"];
    try {
      const type = createPublicKey(pem).asymmetricKeyType;
      if (type !== "rsa" && type !== "ed25519") continue;
      algorithm = type;
    } catch {
      continue;
    }
    if (!keys.some((k) => k.id === keyUrl.href)) keys.push({ id: keyUrl.href, pem: pem.trim(), algorithm });
  }
  return keys;
}

/** `preferredUsername` when it is a plausible user part of a handle; otherwise derived from the id. */
function usernameOf(value: unknown, id: URL): string {
  if (typeof value === "string") {
    const name = sanitizeRemoteText(value, MAX_USERNAME);
    if (name !== "" && !/[\s@/\\]/u.test(name)) return name;
  }
  const segments = id.pathname.split("/").filter((s) => s !== "" && !s.startsWith("@"));
  const last = segments.at(-1);
  if (last !== undefined) {
    const decoded = sanitizeRemoteText(safeDecode(last), MAX_USERNAME);
    if (decoded !== "" && !/[\s@/\\]/u.test(decoded)) return decoded;
  }
  return id.hostname;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** The profile page: a string, a Link, or an array of Links (PeerTube), preferring text/html. */
function profileUrlOf(value: unknown): string | null {
  const items = asArray(value, 8);
  const html = items.find((item) => isObject(item) && typeof item["mediaType"] === "string" && item["mediaType"].startsWith("text/html"));
  for (const item of html !== undefined ? [html, ...items] : items) {
    const url = hrefOf(item, MAX_IRI);
    if (url !== null) return url.href;
  }
  return null;
}

/** The first usable image URL of `icon`/`image`: a URL string, an Image whose `url` is a string, a Link or a list of them. */
function imageUrlOf(value: unknown): string | null {
  for (const item of asArray(value, 4)) {
    if (typeof item === "string") {
      const url = parseIri(item, MAX_IRI);
      if (url !== null) return url.href;
      continue;
    }
    if (!isObject(item)) continue;
    for (const candidate of asArray(item["url"], 4)) {
      const url = hrefOf(candidate, MAX_IRI);
      if (url !== null) return url.href;
    }
    const href = hrefOf(item, MAX_IRI);
    if (href !== null) return href.href;
  }
  return null;
}

/** Profile fields: `attachment` entries of type PropertyValue, names as text, values as sanitised HTML. */
function fieldsOf(value: unknown, maxStringLength: number): ProfileField[] {
  const fields: ProfileField[] = [];
  for (const item of asArray(value, 64)) {
    if (fields.length >= MAX_FIELDS) break;
    if (!isObject(item) || !typesOf(item, 4).includes("PropertyValue")) continue;
    const name = sanitizeRemoteText(item["name"], MAX_FIELD_NAME);
    if (name === "") continue;
    const raw = typeof item["value"] === "string" ? item["value"] : "";
    fields.push({ name, value: sanitizeRemoteHtml(raw, { maxLength: Math.min(maxStringLength, 10_000) }) });
  }
  return fields;
}

/** Custom emoji from `tag` (type Emoji): shortcode and image URL. */
function emojisOf(value: unknown, max: number): { name: string; url: string }[] {
  const emojis: { name: string; url: string }[] = [];
  for (const item of asArray(value, max)) {
    if (!isObject(item) || !typesOf(item, 4).includes("Emoji")) continue;
    const name = emojiShortcode(item["name"]);
    const url = imageUrlOf(item["icon"]);
    if (name !== null && url !== null && !emojis.some((e) => e.name === name)) emojis.push({ name, url });
  }
  return emojis;
}

function isoDate(value: unknown): string | null {
  if (typeof value !== "string" || value.length > 64) return null;
  const time = Date.parse(value);
  return Number.isNaN(time) ? null : new Date(time).toISOString();
}
