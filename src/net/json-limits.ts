/**
 * JSON parsing with limits on nesting depth and string length.
 *
 * Threat: resource exhaustion from one document (docs/research/hostile-inputs.md case 16 and "10 000-deep nesting,
 * huge strings"). `JSON.parse` itself copes with deep nesting, but everything downstream (JSON-LD
 * processing, recursive walkers, `structuredClone`, our own validators) recurses and would overflow
 * the stack on a 10,000-deep array; a 50 MB string would be copied around and stored.
 *
 * A single iterative scan (no recursion, constant extra memory) measures depth and decoded string
 * length before `JSON.parse` runs, so an over-limit document is refused before any value is built.
 * The scan agrees with `JSON.parse` on string boundaries for every valid document; for invalid ones
 * its counts may be off, but `JSON.parse` then refuses the text anyway.
 */
import { err, ok, type Result } from "../lib/result.ts";

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export type JsonLimitError = "too-deep" | "string-too-long" | "invalid-json";

export interface JsonLimits {
  /** Maximum nesting of arrays and objects; a top-level `{}` has depth 1. */
  readonly maxDepth: number;
  /** Maximum length of any string (keys included), in UTF-16 code units after unescaping. */
  readonly maxStringLength: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LOWER_U = 0x75;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/** Parses `text` as JSON, refusing documents that nest deeper or hold longer strings than `limits`. */
export function parseJsonLimited(text: string, limits: JsonLimits): Result<JsonValue, JsonLimitError> {
  let depth = 0;
  const length = text.length;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      let decoded = 0;
      i++;
      while (i < length) {
        const s = text.charCodeAt(i);
        if (s === QUOTE) break;
        if (s === BACKSLASH) {
          // `\uXXXX` is one code unit, every other escape is two characters for one.
          i += text.charCodeAt(i + 1) === LOWER_U ? 6 : 2;
        } else {
          i++;
        }
        decoded++;
        if (decoded > limits.maxStringLength) {
          return err("string-too-long", `a string is longer than ${limits.maxStringLength} characters`);
        }
      }
    } else if (c === OPEN_BRACKET || c === OPEN_BRACE) {
      depth++;
      if (depth > limits.maxDepth) return err("too-deep", `nesting deeper than ${limits.maxDepth} levels`);
    } else if (c === CLOSE_BRACKET || c === CLOSE_BRACE) {
      depth--;
    }
  }
  try {
    return ok(JSON.parse(text) as JsonValue);
  } catch (error) {
    return err("invalid-json", error instanceof Error ? error.message : "invalid JSON");
  }
}

/** True for a plain JSON object (not an array, not null). */
export function isJsonObject(value: JsonValue): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
