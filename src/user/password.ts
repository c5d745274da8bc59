import { argon2, randomBytes, randomInt, scrypt, timingSafeEqual } from "node:crypto";

/**
 * Password hashing with a memory-hard KDF. Node 24 has Argon2 in node:crypto; Argon2id with 19 MiB,
 * 2 passes and 1 lane is OWASP's recommended configuration (Password Storage Cheat Sheet). It used
 * to be 64 MiB and 3 passes: each check in flight then added 65 MiB to the process (VmHWM 67 → 132
 * MiB around one hash, measured): one sign-in was the peak of a role-all process's memory, and the
 * 8 unauthenticated checks the throttle lets run at once could take 512 MiB; now one check adds
 * ~20 MiB (67 → 87 MiB) and takes ~50 ms (docs/adr/0012).
 * Hashes are stored as PHC strings, so algorithm and parameters travel with each hash: raising the cost
 * later only affects new hashes, and `needsRehash` tells when to upgrade an old one on sign-in.
 * scrypt (N=2^17, r=8, p=1, 128 MiB) is the fallback for a runtime without Argon2.
 */
export interface Argon2Params {
  readonly memoryKiB: number;
  readonly passes: number;
  readonly parallelism: number;
}

export const DEFAULT_ARGON2: Argon2Params = { memoryKiB: 19_456, passes: 2, parallelism: 1 };
const TAG_LENGTH = 32;
const SALT_LENGTH = 16;
const SCRYPT = { N: 131_072, r: 8, p: 1 } as const;

const hasArgon2 = typeof argon2 === "function";

function argon2Hash(password: string, salt: Buffer, params: Argon2Params): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    argon2(
      "argon2id",
      { message: password, nonce: salt, parallelism: params.parallelism, tagLength: TAG_LENGTH, memory: params.memoryKiB, passes: params.passes },
      (error, key) => (error ? reject(error) : resolve(Buffer.from(key))),
    ),
  );
}

function scryptHash(password: string, salt: Buffer, N: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password, salt, TAG_LENGTH, { N, r, p, maxmem: 256 * N * r + 1024 * 1024 }, (error, key) => (error ? reject(error) : resolve(key))),
  );
}

const b64 = (buffer: Buffer): string => buffer.toString("base64").replace(/=+$/, "");

export async function hashPassword(password: string, params: Argon2Params = DEFAULT_ARGON2): Promise<string> {
  const salt = randomBytes(SALT_LENGTH);
  if (hasArgon2) {
    const hash = await argon2Hash(password, salt, params);
    return `$argon2id$v=19$m=${params.memoryKiB},t=${params.passes},p=${params.parallelism}$${b64(salt)}$${b64(hash)}`;
  }
  const hash = await scryptHash(password, salt, SCRYPT.N, SCRYPT.r, SCRYPT.p);
  return `$scrypt$ln=${Math.log2(SCRYPT.N)},r=${SCRYPT.r},p=${SCRYPT.p}$${b64(salt)}$${b64(hash)}`;
}

const ARGON2_PHC = /^\$argon2id\$v=19\$m=(\d{1,7}),t=(\d{1,3}),p=(\d{1,2})\$([A-Za-z0-9+/]{16,})\$([A-Za-z0-9+/]{16,})$/;
const SCRYPT_PHC = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]{16,})\$([A-Za-z0-9+/]{16,})$/;

/** Constant-time check of `password` against a stored PHC string; false for malformed hashes. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const a = ARGON2_PHC.exec(stored);
  if (a !== null && hasArgon2) {
    const expected = Buffer.from(a[5]!, "base64");
    const params = { memoryKiB: Number(a[1]), passes: Number(a[2]), parallelism: Number(a[3]) };
    const actual = await argon2Hash(password, Buffer.from(a[4]!, "base64"), params).catch(() => null);
    return actual !== null && actual.length === expected.length && timingSafeEqual(actual, expected);
  }
  const s = SCRYPT_PHC.exec(stored);
  if (s !== null) {
    const expected = Buffer.from(s[5]!, "base64");
    const actual = await scryptHash(password, Buffer.from(s[4]!, "base64"), 2 ** Number(s[1]), Number(s[2]), Number(s[3])).catch(() => null);
    return actual !== null && actual.length === expected.length && timingSafeEqual(actual, expected);
  }
  return false;
}

/** True when a stored hash is weaker than `params` (or another algorithm): re-hash after a successful sign-in. */
export function needsRehash(stored: string, params: Argon2Params = DEFAULT_ARGON2): boolean {
  if (!hasArgon2) return !stored.startsWith("$scrypt$");
  const a = ARGON2_PHC.exec(stored);
  if (a === null) return true;
  return Number(a[1]) < params.memoryKiB || Number(a[2]) < params.passes;
}

/** A hash of a random password, verified against when the sign-in name is unknown, so both cases take as long. */
let dummyHash: Promise<string> | undefined;
export function dummyPasswordHash(): Promise<string> {
  dummyHash ??= hashPassword(randomBytes(16).toString("hex"));
  return dummyHash;
}

/** A readable random password for `herold user create` without --password-stdin (about 100 bits). */
export function generatePassword(): string {
  const alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  let out = "";
  for (let i = 0; i < 20; i++) {
    out += alphabet[randomInt(alphabet.length)];
    if (i % 5 === 4 && i < 19) out += "-";
  }
  return out;
}
