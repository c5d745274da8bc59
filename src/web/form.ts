import type { Context } from "hono";

/** Typed reads of a parsed form body (urlencoded or multipart); absent or non-text fields read as "". */
export interface Form {
  text(name: string, maxLength?: number): string;
  has(name: string): boolean;
  file(name: string): File | null;
  all(name: string): string[];
}

export async function readForm(c: Context): Promise<Form> {
  const body = await c.req.parseBody({ all: true });
  const first = (name: string): unknown => {
    const value = body[name];
    return Array.isArray(value) ? value[0] : value;
  };
  return {
    text: (name, maxLength = 10_000) => {
      const value = first(name);
      return typeof value === "string" ? value.slice(0, maxLength) : "";
    },
    has: (name) => body[name] !== undefined,
    file: (name) => {
      const value = first(name);
      return value instanceof File && value.size > 0 ? value : null;
    },
    all: (name) => {
      const value = body[name];
      const list = Array.isArray(value) ? value : value === undefined ? [] : [value];
      return list.filter((v): v is string => typeof v === "string");
    },
  };
}

/**
 * A same-origin path to return to after a form, or the fallback. Decoded first, so `/%2F%2Fevil`
 * and `/\evil` cannot become protocol-relative redirects (open redirect, docs/research/hostile-inputs.md 21).
 */
export function safeReturnPath(value: string, fallback: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(value);
  } catch {
    return fallback;
  }
  if (!/^\/app(?:[/?#]|$)/.test(decoded) || /[\\\s]|\/\/|\/\.\.?(?:\/|$)/.test(decoded)) return fallback;
  return new URL(value, "http://x").pathname === new URL(decoded, "http://x").pathname ? value : fallback;
}
