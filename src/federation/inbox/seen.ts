import { hash } from "node:crypto";

/**
 * Top-level members that prove an activity instead of saying anything (a Linked Data signature, an
 * FEP-8b32 proof): a sender that signs each delivery anew still sends the same activity.
 */
const PROOFS = new Set(["signature", "proof"]);

/**
 * The content half of the inbox's idempotency key (`inbox_seen`: id + digest): SHA-256 of the
 * activity as canonical JSON (members sorted by name, no whitespace), so a redelivery with its members
 * in another order is the same activity, and different activities under one reused id are not.
 */
export function activityDigest(json: Readonly<Record<string, unknown>>): string {
  const parts: string[] = [];
  write(json, parts, true);
  return hash("sha256", parts.join(""), "base64");
}

function write(value: unknown, parts: string[], top: boolean): void {
  if (Array.isArray(value)) {
    parts.push("[");
    value.forEach((item, i) => {
      if (i > 0) parts.push(",");
      write(item, parts, false);
    });
    parts.push("]");
    return;
  }
  if (value !== null && typeof value === "object") {
    const names = Object.keys(value)
      .filter((name) => !(top && PROOFS.has(name)))
      .sort();
    parts.push("{");
    names.forEach((name, i) => {
      if (i > 0) parts.push(",");
      parts.push(JSON.stringify(name), ":");
      write((value as Record<string, unknown>)[name], parts, false);
    });
    parts.push("}");
    return;
  }
  parts.push(JSON.stringify(value) ?? "null");
}
