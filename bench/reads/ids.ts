import { randomFillSync } from "node:crypto";

const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"; // Crockford base32, lower case, as src/lib/id.ts

/**
 * An id in `newId()`'s layout (src/lib/id.ts: 10 characters of milliseconds, 16 of randomness) for a
 * given instant. The generator writes tables out of one global time order (all posts, then all
 * interactions, …), and `newId()` clamps a time earlier than the last one it made to that last
 * one, so it cannot mint past ids; this can, and every id still sorts by its row's own timestamp.
 */
export function idAt(ms: number): string {
  let time = "";
  for (let t = ms, i = 0; i < 10; i++) {
    time = ALPHABET[t % 32] + time;
    t = Math.floor(t / 32);
  }
  return time + randomPart();
}

/** The instant an id was minted for (the inverse of `idAt`'s first ten characters). */
export function timeOfId(id: string): number {
  let ms = 0;
  for (const char of id.slice(0, 10)) ms = ms * 32 + ALPHABET.indexOf(char);
  return ms;
}

const pool = new Uint8Array(16 * 1024);
let offset = pool.length;

function randomPart(): string {
  if (offset + 16 > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  let out = "";
  for (let i = 0; i < 16; i++) out += ALPHABET[pool[offset + i]! & 31];
  offset += 16;
  return out;
}
