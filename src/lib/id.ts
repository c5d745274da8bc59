import { randomBytes } from "node:crypto";

const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"; // Crockford base32, lower case
let lastTime = 0;
let lastRandom: Uint8Array = new Uint8Array(10);

/**
 * A portable, time-ordered id (ULID layout, lower-case Crockford base32, 26 characters).
 * Ids created later sort after earlier ones as plain text on every engine, which keeps
 * B-tree inserts append-only (random ids made SQLite write ~36 KB per 1 KB row, see limits.md).
 */
export function newId(now: number = Date.now()): string {
  let random: Uint8Array;
  if (now <= lastTime) {
    // Same millisecond (or a clock step back): increment the previous random part to stay monotonic.
    now = lastTime;
    random = increment(lastRandom);
  } else {
    random = randomBytes(10);
  }
  lastTime = now;
  lastRandom = random;
  return encodeTime(now) + encodeRandom(random);
}

function encodeTime(time: number): string {
  let out = "";
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[time % 32] + out;
    time = Math.floor(time / 32);
  }
  return out;
}

function encodeRandom(bytes: Uint8Array): string {
  let bits = 0n;
  for (const b of bytes) bits = (bits << 8n) | BigInt(b);
  let out = "";
  for (let i = 0; i < 16; i++) {
    out = ALPHABET[Number(bits & 31n)] + out;
    bits >>= 5n;
  }
  return out;
}

function increment(bytes: Uint8Array): Uint8Array {
  const next = new Uint8Array(bytes);
  for (let i = next.length - 1; i >= 0; i--) {
    if (next[i]! < 255) {
      next[i]!++;
      return next;
    }
    next[i] = 0;
  }
  return next;
}

/** True for strings shaped like `newId()` output; used to validate ids arriving in URLs. */
export function isId(text: string): boolean {
  return /^[0-9a-hjkmnp-tv-z]{26}$/.test(text);
}
