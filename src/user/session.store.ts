import { createHash, randomBytes } from "node:crypto";
import type { Kysely } from "kysely";
import type { DB } from "../db/schema.ts";
import type { Clock } from "../lib/time.ts";
import type { User } from "./user.entity.ts";

/** A signed-in browser. `id` is the SHA-256 of the cookie token; the token itself is never stored. */
export interface Session {
  readonly id: string;
  readonly user: User;
  /** The local account this browser currently acts for (checked against memberships on every use). */
  readonly accountId: string | null;
  readonly expiresAt: string;
}

export interface SessionOptions {
  /** A session ends this long after it was last used (default 14 days)… */
  readonly idleMs?: number;
  /** …and at the latest this long after sign-in (default 90 days). */
  readonly absoluteMs?: number;
}

const DAY = 86_400_000;
/** `last_seen_at` and the sliding expiry are written at most this often per session. */
const TOUCH_INTERVAL_MS = 5 * 60_000;

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/**
 * Sessions in the database, so the web and worker roles and several web processes share them and
 * "sign out everywhere" is one DELETE. Looking a token up by its hash needs no constant-time
 * comparison: an attacker who can time the index lookup learns bits of a SHA-256, not of the token.
 */
export class SessionStore {
  readonly #db: Kysely<DB>;
  readonly #clock: Clock;
  readonly #idleMs: number;
  readonly #absoluteMs: number;

  constructor(db: Kysely<DB>, clock: Clock, options: SessionOptions = {}) {
    this.#db = db;
    this.#clock = clock;
    this.#idleMs = options.idleMs ?? 14 * DAY;
    this.#absoluteMs = options.absoluteMs ?? 90 * DAY;
  }

  /** Starts a session; returns the token for the cookie (32 random bytes, base64url). */
  async create(userId: string, accountId: string | null): Promise<{ token: string; expiresAt: string }> {
    const token = randomBytes(32).toString("base64url");
    const now = this.#clock.now();
    const expiresAt = new Date(now.getTime() + this.#idleMs).toISOString();
    await this.#db
      .insertInto("sessions")
      .values({ id: hashToken(token), user_id: userId, account_id: accountId, created_at: now.toISOString(), last_seen_at: now.toISOString(), expires_at: expiresAt })
      .execute();
    return { token, expiresAt };
  }

  /** The live session for a cookie token, or null; extends the idle expiry while the session is used. */
  async lookup(token: string): Promise<Session | null> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
    const id = hashToken(token);
    const row = await this.#db
      .selectFrom("sessions")
      .innerJoin("users", "users.id", "sessions.user_id")
      .select([
        "sessions.id", "sessions.account_id", "sessions.created_at as session_created_at", "sessions.last_seen_at", "sessions.expires_at",
        "users.id as user_id", "users.email", "users.username", "users.display_name", "users.time_zone", "users.created_at",
      ])
      .where("sessions.id", "=", id)
      .executeTakeFirst();
    if (row === undefined) return null;
    const now = this.#clock.now();
    if (row.expires_at <= now.toISOString()) {
      await this.#db.deleteFrom("sessions").where("id", "=", id).execute();
      return null;
    }
    let expiresAt = row.expires_at;
    if (now.getTime() - Date.parse(row.last_seen_at) > TOUCH_INTERVAL_MS) {
      const absolute = Date.parse(row.session_created_at) + this.#absoluteMs;
      expiresAt = new Date(Math.min(now.getTime() + this.#idleMs, absolute)).toISOString();
      await this.#db.updateTable("sessions").set({ last_seen_at: now.toISOString(), expires_at: expiresAt }).where("id", "=", id).execute();
    }
    return {
      id: row.id,
      accountId: row.account_id,
      expiresAt,
      user: { id: row.user_id, email: row.email, username: row.username, displayName: row.display_name, timeZone: row.time_zone, createdAt: row.created_at },
    };
  }

  async setAccount(sessionId: string, accountId: string): Promise<void> {
    await this.#db.updateTable("sessions").set({ account_id: accountId }).where("id", "=", sessionId).execute();
  }

  async delete(sessionId: string): Promise<void> {
    await this.#db.deleteFrom("sessions").where("id", "=", sessionId).execute();
  }

  /** "Sign out everywhere": every session of the person, this one included. Returns how many ended. */
  async deleteAllOf(userId: string): Promise<number> {
    const result = await this.#db.deleteFrom("sessions").where("user_id", "=", userId).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async countOf(userId: string): Promise<number> {
    const row = await this.#db.selectFrom("sessions").select((eb) => eb.fn.countAll().as("n")).where("user_id", "=", userId).executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  async purgeExpired(): Promise<number> {
    const result = await this.#db.deleteFrom("sessions").where("expires_at", "<=", this.#clock.now().toISOString()).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
