import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/**
 * CSRF tokens without server-side state:
 * - signed-in forms carry HMAC(instance secret, session id): a synchroniser token bound to the session,
 *   useless in another browser and invalid after sign-out;
 * - the sign-in and setup forms (no session yet) use a signed double submit: a random value in a
 *   cookie and HMAC(secret, value) in the form. An attacker can neither read our cookie nor compute
 *   the HMAC, so a cross-site form post fails even on the same registrable domain.
 * SameSite=Lax cookies and the Origin check in web routes are further layers, not the only one.
 */
export class Csrf {
  readonly #secret: Buffer;

  constructor(secret: Buffer) {
    this.#secret = secret;
  }

  forSession(sessionId: string): string {
    return this.#mac(`session\0${sessionId}`);
  }

  checkSession(sessionId: string, token: unknown): boolean {
    return typeof token === "string" && equal(token, this.forSession(sessionId));
  }

  /** A fresh value for the pre-session cookie. */
  newPreSessionNonce(): string {
    return randomBytes(24).toString("base64url");
  }

  forPreSession(nonce: string): string {
    return this.#mac(`pre-session\0${nonce}`);
  }

  checkPreSession(nonce: string | undefined, token: unknown): boolean {
    if (nonce === undefined || !/^[A-Za-z0-9_-]{32}$/.test(nonce)) return false;
    return typeof token === "string" && equal(token, this.forPreSession(nonce));
  }

  #mac(message: string): string {
    return createHmac("sha256", this.#secret).update(`herold csrf v1\0${message}`).digest("base64url");
  }
}

/** Constant-time string comparison (lengths may leak; tokens have a fixed length). */
export function equal(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
