import { hash, verify, type KeyObject } from "node:crypto";
import type { SignatureSpec } from "../http-signature.ts";

/**
 * A fast HTTP-signature verifier for the loopback peers of tests and benchmarks (test support, not
 * used by production code: Herold's inbox verifies with Fedify). It checks what a real peer checks —
 * body digest, time window, covered components, RSA-SHA256 signature with a cached public key — with
 * node:crypto, so that 1,000 simulated servers in one process are not the bottleneck of a benchmark.
 * http-signature.test.ts holds it to Fedify's verdicts in both directions.
 *
 * Supports draft-cavage-http-signatures-12 and RFC 9421 (as Herold and Fedify produce them:
 * plain component identifiers, `rsa-v1_5-sha256`).
 */
export interface SignedRequestParts {
  readonly method: string;
  /** Path and query as sent on the request line. */
  readonly path: string;
  /** `http://host:port` as the receiver is addressed (for `@target-uri`). */
  readonly origin: string;
  /** Lower-case names, as node:http delivers them. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
}

export type VerifyResult = { readonly ok: true; readonly keyId: string; readonly spec: SignatureSpec } | { readonly ok: false; readonly reason: string };

export type PublicKeyLookup = ReadonlyMap<string, KeyObject> | ((keyId: string) => KeyObject | undefined);

const WINDOW_MS = 3600_000;

export function verifySignedRequest(parts: SignedRequestParts, keys: PublicKeyLookup, now: Date = new Date(), windowMs = WINDOW_MS): VerifyResult {
  const lookup = typeof keys === "function" ? keys : (id: string) => keys.get(id);
  return header(parts, "signature-input") !== undefined ? verifyRfc9421(parts, lookup, now, windowMs) : verifyCavage(parts, lookup, now, windowMs);
}

function verifyCavage(parts: SignedRequestParts, lookup: (id: string) => KeyObject | undefined, now: Date, windowMs: number): VerifyResult {
  const signatureHeader = header(parts, "signature");
  if (signatureHeader === undefined) return fail("no Signature header");
  const params = new Map<string, string>();
  for (const match of signatureHeader.matchAll(/([A-Za-z]+)="([^"]*)"/g)) params.set(match[1]!, match[2]!);
  const keyId = params.get("keyId");
  const signature = params.get("signature");
  const names = (params.get("headers") ?? "date").toLowerCase().split(/\s+/);
  if (keyId === undefined || signature === undefined) return fail("Signature lacks keyId or signature");
  if (!names.includes("(request-target)") || !names.includes("date")) return fail("(request-target) and date must be signed");
  const hasBody = parts.method !== "GET" && parts.method !== "HEAD";
  if (hasBody) {
    if (!names.includes("digest")) return fail("digest must be signed");
    const digest = header(parts, "digest") ?? "";
    const sha256 = /(?:^|,)\s*sha-256=([^,]+)/i.exec(digest)?.[1]?.trim();
    if (sha256 !== hash("sha256", parts.body, "base64")) return fail("Digest does not match the body");
  }
  const date = Date.parse(header(parts, "date") ?? "");
  if (!(Math.abs(date - now.getTime()) <= windowMs)) return fail("Date outside the time window");
  const lines: string[] = [];
  for (const name of names) {
    if (name === "(request-target)") lines.push(`(request-target): ${parts.method.toLowerCase()} ${parts.path}`);
    else {
      const value = header(parts, name);
      if (value === undefined) return fail(`signed header ${name} missing`);
      lines.push(`${name}: ${value}`);
    }
  }
  const key = lookup(keyId);
  if (key === undefined) return fail(`unknown key ${keyId}`);
  const valid = verify("sha256", Buffer.from(lines.join("\n")), key, Buffer.from(signature, "base64"));
  return valid ? { ok: true, keyId, spec: "draft-cavage-http-signatures-12" } : fail("signature does not verify");
}

function verifyRfc9421(parts: SignedRequestParts, lookup: (id: string) => KeyObject | undefined, now: Date, windowMs: number): VerifyResult {
  const inputs = splitDictionary(header(parts, "signature-input") ?? "");
  const signatures = splitDictionary(header(parts, "signature") ?? "");
  let last = "no usable signature";
  for (const [label, input] of inputs) {
    const value = signatures.get(label);
    const sig = value === undefined ? undefined : /^:([A-Za-z0-9+/=]*):$/.exec(value)?.[1];
    if (sig === undefined) {
      last = `no signature for ${label}`;
      continue;
    }
    const parsed = /^\(([^)]*)\)(.*)$/.exec(input);
    if (parsed === null) {
      last = "malformed Signature-Input";
      continue;
    }
    const components = [...parsed[1]!.matchAll(/"([^"]+)"(;[^\s]*)?/g)].map((m) => ({ name: m[1]!, params: m[2] }));
    const params = new Map<string, string>();
    for (const match of parsed[2]!.matchAll(/;([a-z]+)=("(?:[^"\\]|\\.)*"|[^;]*)/g)) {
      params.set(match[1]!, match[2]!.startsWith('"') ? match[2]!.slice(1, -1).replace(/\\(.)/g, "$1") : match[2]!);
    }
    const keyId = params.get("keyid");
    const created = Number(params.get("created"));
    const alg = params.get("alg") ?? "rsa-v1_5-sha256";
    if (keyId === undefined || !Number.isInteger(created)) {
      last = "keyid and created are required";
      continue;
    }
    if (alg !== "rsa-v1_5-sha256") {
      last = `unsupported alg ${alg}`;
      continue;
    }
    if (!(Math.abs(created * 1000 - now.getTime()) <= windowMs)) {
      last = "created outside the time window";
      continue;
    }
    if (components.some((c) => c.params !== undefined)) {
      last = "component parameters are not supported";
      continue;
    }
    const names = components.map((c) => c.name);
    const hasBody = parts.method !== "GET" && parts.method !== "HEAD";
    if (!names.includes("@method") || !(names.includes("@target-uri") || names.includes("@request-target") || names.includes("@path"))) {
      last = "method and target must be covered";
      continue;
    }
    if (hasBody) {
      if (!names.includes("content-digest")) {
        last = "content-digest must be covered";
        continue;
      }
      const digest = header(parts, "content-digest") ?? "";
      const sha256 = /(?:^|,)\s*sha-256=:([^:]+):/i.exec(digest)?.[1];
      if (sha256 !== hash("sha256", parts.body, "base64")) {
        last = "Content-Digest does not match the body";
        continue;
      }
    }
    const lines: string[] = [];
    let missing: string | undefined;
    for (const name of names) {
      const value = componentValue(parts, name);
      if (value === undefined) {
        missing = name;
        break;
      }
      lines.push(`"${name}": ${value}`);
    }
    if (missing !== undefined) {
      last = `component ${missing} missing`;
      continue;
    }
    lines.push(`"@signature-params": ${input}`);
    const key = lookup(keyId);
    if (key === undefined) {
      last = `unknown key ${keyId}`;
      continue;
    }
    if (verify("sha256", Buffer.from(lines.join("\n")), key, Buffer.from(sig, "base64"))) return { ok: true, keyId, spec: "rfc9421" };
    last = "signature does not verify";
  }
  return fail(last);
}

function componentValue(parts: SignedRequestParts, name: string): string | undefined {
  const path = parts.path;
  const query = path.includes("?") ? path.slice(path.indexOf("?")) : "";
  switch (name) {
    case "@method":
      return parts.method.toUpperCase();
    case "@target-uri":
      return parts.origin + path;
    case "@authority":
      return (header(parts, "host") ?? new URL(parts.origin).host).toLowerCase();
    case "@scheme":
      return new URL(parts.origin).protocol.slice(0, -1);
    case "@path":
      return query === "" ? path : path.slice(0, path.indexOf("?"));
    case "@query":
      return query === "" ? "?" : query;
    case "@request-target":
      return path;
    default:
      return name.startsWith("@") ? undefined : header(parts, name);
  }
}

/** Top-level members of an RFC 8941 dictionary, split on commas outside strings and lists. */
function splitDictionary(text: string): Map<string, string> {
  const members = new Map<string, string>();
  let depth = 0;
  let quoted = false;
  let start = 0;
  const push = (end: number): void => {
    const member = text.slice(start, end).trim();
    const eq = member.indexOf("=");
    if (eq > 0) members.set(member.slice(0, eq), member.slice(eq + 1));
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === "\\") i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === "(") depth++;
    else if (c === ")") depth--;
    else if (c === "," && depth === 0) {
      push(i);
      start = i + 1;
    }
  }
  push(text.length);
  return members;
}

function header(parts: SignedRequestParts, name: string): string | undefined {
  const value = parts.headers[name];
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value.join(", ") : value;
}

function fail(reason: string): VerifyResult {
  return { ok: false, reason };
}
