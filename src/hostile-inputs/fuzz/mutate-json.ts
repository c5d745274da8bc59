/**
 * Mutations of ActivityPub documents for the fuzzer (test support). Structural mutations work on a
 * parsed copy of a fixture (wrong types everywhere, missing and renamed keys, swapped ids, URL
 * tricks, hostile HTML and Unicode, oversized lists, deep nesting); textual ones work on the JSON
 * text (10,000-deep nesting, duplicate keys, truncation); byte-level ones on the encoded body
 * (invalid UTF-8, BOM, NUL).
 */
import { XSS_PAYLOADS } from "../active-content.ts";
import type { Rng } from "./random.ts";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Container = Json[] | { [key: string]: Json };

export const AS_TYPES: readonly string[] = [
  "Create", "Update", "Delete", "Follow", "Accept", "Reject", "Undo", "Like", "Announce", "Block", "Flag", "Move", "Add", "Remove",
  "EmojiReact", "Dislike", "Note", "Article", "Page", "Question", "Video", "Event", "Image", "Tombstone", "Person", "Group", "Service",
  "Application", "Organization", "Collection", "OrderedCollection", "OrderedCollectionPage", "Mention", "Hashtag", "Emoji", "Link",
  "PropertyValue", "Key", "Frobnicate", "", "create", "as:Create", "https://www.w3.org/ns/activitystreams#Create", "Undo/Follow",
  "Announce/Create", "__proto__", "constructor", "toString",
];

const WEIRD_STRINGS: readonly string[] = [
  "", " ", "\u0000", "\ud800", "\udfff", "\u202e\u2066evil\u2069", "\u200b\u200c\u200d\ufeff", "ｆｕｌｌｗｉｄｔｈ", "Z\u0351\u0356\u0302\u0300\u0301\u0302\u0303\u0304",
  "javascript:alert(1)", "data:text/html,<script>alert(1)</script>", "vbscript:x", "file:///etc/passwd", "//evil.example/x", "/relative/path",
  "https://", "http://[::1]/", "https://user:pass@fuzz.example/", "https://fuzz.example\\@other.example/", "https://fuzz.example%2F@other.example/",
  "https://FUZZ.example./users/s1", "https://fuzz.example:0443/users/s1", "https://xn--fuzz-9ua.example/", "https://fuzz.example/users/s1#frag",
  "https://fuzz.example/users/s1/../../users/s2", "https://fuzz.example/users/%2e%2e/s2", "as:Public", "Public", "https://www.w3.org/ns/activitystreams#Public",
  "1e309", "-0", "NaN", "null", "true", "[]", "{}", "#", ":emoji:", ":a<b>:", "@carol", "@carol@fuzz.example", "#tag<script>", "2026-13-45T99:99:99Z",
  "+275760-09-13T00:00:00.000Z", "0001-01-01T00:00:00Z", ...XSS_PAYLOADS,
];

const NUMBERS: readonly number[] = [0, -1, 1, 2 ** 31, 2 ** 53, -(2 ** 53), 1e308, -1e308, 0.1, Number.MIN_VALUE, 1e21, 4294967296];

export interface MutationContext {
  /** Ids the mutations may substitute (known actors, local URLs, fixture ids). */
  readonly ids: readonly string[];
  /** Local URLs (accounts, posts) of the instance under test. */
  readonly localIds: readonly string[];
  /** Upper bound for generated strings (the fuzz instance's `maxStringLength`). */
  readonly maxString: number;
}

/** A random JSON value of any type, sometimes large or deep. */
export function randomValue(rng: Rng, ctx: MutationContext, depth = 0): Json {
  const kind = rng.weighted<string>([
    [6, "string"], [3, "id"], [3, "number"], [1, "bool"], [2, "null"], [2, "array"], [2, "object"], [1, "nested-array"], [1, "big-string"], [1, "list"],
  ]);
  switch (kind) {
    case "string":
      return rng.pick(WEIRD_STRINGS);
    case "id":
      return rng.pick(rng.chance(0.3) ? ctx.localIds : ctx.ids);
    case "number":
      return rng.pick(NUMBERS);
    case "bool":
      return rng.chance(0.5);
    case "null":
      return null;
    case "array":
      return depth > 3 ? [] : Array.from({ length: rng.int(0, 3) }, () => randomValue(rng, ctx, depth + 1));
    case "object":
      return depth > 3 ? {} : { id: rng.pick(ctx.ids), type: rng.pick(AS_TYPES), ...(rng.chance(0.5) ? { content: rng.pick(WEIRD_STRINGS) } : {}) };
    case "nested-array": {
      let value: Json = rng.pick(ctx.ids);
      for (let i = rng.int(1, 6); i > 0; i--) value = [value];
      return value;
    }
    case "big-string":
      // Around the configured cap: just below stays, just above is refused at the door.
      return rng.pick(["<p>", "x", "\u00e9", "😀", "<b>"]).repeat(Math.max(1, Math.floor((ctx.maxString + rng.int(-50, 50)) / 2)));
    case "list":
      return Array.from({ length: rng.pick([50, 200, 1000, 5000]) }, (_, i) => (rng.chance(0.5) ? { type: rng.pick(["Hashtag", "Mention", "Emoji", "Note"]), name: `#t${i}`, href: rng.pick(ctx.ids) } : rng.pick(ctx.ids)));
    default:
      return null;
  }
}

interface Slot {
  readonly parent: Container;
  readonly key: string | number;
}

/** Up to 2,000 (parent, key) slots of `root`, breadth first, 8 levels deep. */
function slots(root: Container): Slot[] {
  const out: Slot[] = [];
  const queue: Array<{ node: Container; depth: number }> = [{ node: root, depth: 0 }];
  while (queue.length > 0 && out.length < 2000) {
    const { node, depth } = queue.shift()!;
    const keys: Array<string | number> = Array.isArray(node) ? node.map((_, i) => i) : Object.keys(node);
    for (const key of keys) {
      out.push({ parent: node, key });
      const child = (node as Record<string | number, Json>)[key];
      if (depth < 8 && child !== null && typeof child === "object") queue.push({ node: child as Container, depth: depth + 1 });
    }
  }
  return out;
}

function get(slot: Slot): Json {
  return (slot.parent as Record<string | number, Json>)[slot.key]!;
}

function set(slot: Slot, value: Json): void {
  (slot.parent as Record<string | number, Json>)[slot.key] = value;
}

const FIELDS = ["id", "type", "actor", "object", "target", "to", "cc", "attributedTo", "inReplyTo", "content", "summary", "name", "tag", "attachment", "url", "published", "oneOf", "anyOf", "icon", "endpoints", "publicKey", "inbox", "alsoKnownAs", "movedTo", "quoteUrl", "context", "contentMap", "sensitive", "mediaType", "href", "@context"];

/** Applies 1–`max` structural mutations to `document` in place. Returns their names. */
export function mutateStructure(rng: Rng, document: { [key: string]: Json }, ctx: MutationContext, max = 4): string[] {
  const applied: string[] = [];
  const count = rng.int(1, max);
  for (let i = 0; i < count; i++) {
    const all = slots(document);
    if (all.length === 0) break;
    const slot = rng.pick(all);
    const name = rng.weighted<string>([
      [8, "replace"], [3, "delete"], [2, "rename"], [2, "duplicate"], [3, "type"], [3, "url"], [2, "wrap"], [1, "unwrap"],
      [2, "swap"], [3, "html"], [2, "local"], [1, "field"], [1, "deep"], [1, "embed"],
    ]);
    switch (name) {
      case "replace":
        set(slot, randomValue(rng, ctx));
        break;
      case "delete":
        if (Array.isArray(slot.parent)) slot.parent.splice(slot.key as number, 1);
        else delete slot.parent[slot.key as string];
        break;
      case "rename":
        if (!Array.isArray(slot.parent)) {
          const value = get(slot);
          delete slot.parent[slot.key as string];
          slot.parent[rng.pick([...FIELDS, `${String(slot.key).toUpperCase()}`, `as:${String(slot.key)}`, `${String(slot.key)} `])] = value;
        }
        break;
      case "duplicate":
        set(rng.pick(all), structuredClone(get(slot)));
        break;
      case "type":
        document["type"] = rng.chance(0.8) ? rng.pick(AS_TYPES) : [rng.pick(AS_TYPES), rng.pick(AS_TYPES)];
        break;
      case "url": {
        const value = get(slot);
        if (typeof value === "string" && /^https?:/.test(value)) set(slot, respell(rng, value));
        else set(slot, rng.pick(ctx.ids));
        break;
      }
      case "wrap":
        set(slot, rng.chance(0.5) ? [get(slot)] : [[get(slot)], get(slot)]);
        break;
      case "unwrap": {
        const value = get(slot);
        if (Array.isArray(value)) set(slot, value[0] ?? null);
        break;
      }
      case "swap": {
        const a = rng.pick(["actor", "object", "attributedTo", "id", "target", "inReplyTo"]);
        const b = rng.pick(["actor", "object", "attributedTo", "id", "target", "inReplyTo"]);
        const va = document[a];
        document[a] = document[b] ?? null;
        document[b] = va ?? null;
        break;
      }
      case "html": {
        const target = isObject(document["object"]) ? (document["object"] as { [key: string]: Json }) : document;
        target[rng.pick(["content", "summary", "name", "contentMap"])] = rng.chance(0.8) ? rng.pick(XSS_PAYLOADS) : { en: rng.pick(XSS_PAYLOADS), "de\"><script>": "x" };
        break;
      }
      case "local":
        document[rng.pick(["actor", "object", "attributedTo", "target"])] = rng.pick(ctx.localIds);
        break;
      case "field":
        document[rng.pick(FIELDS)] = randomValue(rng, ctx);
        break;
      case "deep": {
        let value: Json = "leaf";
        for (let d = rng.int(10, 40); d > 0; d--) value = rng.chance(0.5) ? [value] : { x: value };
        set(slot, value);
        break;
      }
      case "embed":
        document["object"] = { ...structuredClone(document), id: `${String(document["id"] ?? rng.pick(ctx.ids))}#inner${rng.int(0, 9)}`, type: rng.pick(AS_TYPES) };
        break;
    }
    applied.push(name);
  }
  return applied;
}

/** A different spelling of a URL: host case and dots, ports, userinfo, encoded slashes, traversal, fragments, schemes. */
export function respell(rng: Rng, url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url;
  }
  const host = parsed.host;
  switch (rng.int(0, 11)) {
    case 0:
      return url.replace(host, host.toUpperCase());
    case 1:
      return url.replace(host, `${parsed.hostname}.${parsed.port ? `:${parsed.port}` : ""}`);
    case 2:
      return url.replace(host, `${host}@${rng.pick(["fuzz.example", "127.0.0.1", "other.example"])}`);
    case 3:
      return url.replace(host, `other.example@${host}`);
    case 4:
      return url.replace(parsed.pathname, parsed.pathname.replace(/\//g, "%2F"));
    case 5:
      return `${url}/../../${rng.pick(["users/s1", "inbox", "etc/passwd"])}`;
    case 6:
      return `${url}#${rng.pick(["main-key", "http://other.example/", "\u202e"])}`;
    case 7:
      return url.replace(/^https?:/, rng.pick(["javascript:", "data:", "ftp:", "HTTPS:", "http:"]));
    case 8:
      return url.replace(host, host.replace(/a/g, "\u0430"));
    case 9:
      return url.replace(host, `${parsed.hostname}:${rng.pick(["0", "65536", "080", "443", ""])}`);
    case 10:
      return url.replace("://", rng.pick([":/\\", ":\\\\", "://\t", ":///"]));
    default:
      return `${url}?${rng.pick(["x=1", "page=true", "%00", "a=" + "b".repeat(5000)])}`;
  }
}

/** Textual mutations of serialised JSON: nesting beyond any limit, duplicate keys, truncation, huge strings. */
export function mutateText(rng: Rng, text: string, ctx: MutationContext): { text: string; name: string } {
  switch (rng.int(0, 5)) {
    case 0: {
      const depth = rng.pick([33, 100, 1000, 10_000]);
      const open = rng.chance(0.5) ? "[" : '{"a":';
      const close = open === "[" ? "]" : "}";
      return { text: text.replace(/^\{/, `{"deep":${open.repeat(depth)}1${close.repeat(depth)},`), name: `deep-${depth}` };
    }
    case 1:
      return { text: text.replace(/^\{/, `{"type":"${rng.pick(AS_TYPES)}","id":"${rng.pick(ctx.ids)}","actor":"${rng.pick(ctx.localIds)}",`), name: "duplicate-keys" };
    case 2:
      return { text: text.slice(0, rng.int(0, text.length)), name: "truncated" };
    case 3:
      return { text: text.replace(/^\{/, `{"huge":"${"h".repeat(ctx.maxString + rng.int(1, 1000))}",`), name: "huge-string" };
    case 4:
      return { text: text.replace(/"content":"/, `"content":"${"\\ud800".repeat(rng.int(1, 20))}`), name: "lone-surrogates" };
    default:
      return { text: `${text}${rng.pick(["", " ", "\n", "garbage", "{}", "]", "\u0000"])}`, name: "trailing" };
  }
}

/** Byte-level damage of an encoded body: invalid UTF-8, a BOM, NUL bytes, flipped bits. */
export function mutateBytes(rng: Rng, bytes: Uint8Array): { bytes: Uint8Array; name: string } {
  const copy = new Uint8Array(bytes);
  switch (rng.int(0, 4)) {
    case 0: {
      const bad = rng.pick([[0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xf8, 0x88, 0x80, 0x80, 0x80]]);
      const at = rng.int(0, copy.length);
      return { bytes: new Uint8Array([...copy.subarray(0, at), ...bad, ...copy.subarray(at)]), name: "invalid-utf8" };
    }
    case 1:
      return { bytes: new Uint8Array([0xef, 0xbb, 0xbf, ...copy]), name: "bom" };
    case 2: {
      if (copy.length > 0) copy[rng.int(0, copy.length - 1)] = 0;
      return { bytes: copy, name: "nul" };
    }
    case 3: {
      if (copy.length > 0) copy[rng.int(0, copy.length - 1)]! ^= 1 << rng.int(0, 7);
      return { bytes: copy, name: "bit-flip" };
    }
    default:
      return { bytes: new Uint8Array(0), name: "empty" };
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
