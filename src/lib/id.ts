import { randomFillSync } from "node:crypto";

const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"; // Crockford base32, lower case
let lastTime = 0;
let lastRandom: Uint8Array = new Uint8Array(10);

/**
 * A portable, time-ordered id (ULID layout, lower-case Crockford base32, 26 characters).
 * Ids created later sort after earlier ones as plain text on every engine, which keeps
 * B-tree inserts append-only (random ids made SQLite write ~36 KB per 1 KB row, see docs/research/limits.md).
 */
export function newId(now: number = Date.now()): string {
  let random: Uint8Array;
  if (now <= lastTime) {
    // Same millisecond (or a clock step back): increment the previous random part to stay monotonic.
    now = lastTime;
    random = increment(lastRandom);
  } else {
    random = freshRandom();
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

// Random bytes are drawn 4 KiB at a time: one system call per ~400 ids instead of one per id
// (ids are made on every inbound activity, job and row).
const POOL_SIZE = 4096;
const pool = new Uint8Array(POOL_SIZE);
let poolOffset = POOL_SIZE;

function freshRandom(): Uint8Array {
  if (poolOffset + 10 > POOL_SIZE) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const bytes = pool.slice(poolOffset, poolOffset + 10);
  poolOffset += 10;
  return bytes;
}

/** 80 bits as 16 base32 characters, most significant first; two 40-bit halves fit a double exactly. */
function encodeRandom(bytes: Uint8Array): string {
  let out = "";
  for (const half of [0, 5]) {
    let value = 0;
    for (let i = half; i < half + 5; i++) value = value * 256 + bytes[i]!;
    let chars = "";
    for (let i = 0; i < 8; i++) {
      chars = ALPHABET[value % 32]! + chars;
      value = Math.floor(value / 32);
    }
    out += chars;
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

/**
 * The smallest id of the millisecond `time`: every id made before it sorts below, every one made at
 * or after it does not. A cursor for "created before this instant" on lists paged by id.
 */
export function idFloor(time: number): string {
  return encodeTime(time) + "0".repeat(16);
}

/** True for strings shaped like `newId()` output; used to validate ids arriving in URLs. */
export function isId(text: string): boolean {
  return /^[0-9a-hjkmnp-tv-z]{26}$/.test(text);
}
