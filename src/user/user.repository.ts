import { sql, type Kysely, type Selectable, type Transaction } from "kysely";
import type { Database } from "../db/database.ts";
import type { DB, MembershipRow, UserRow } from "../db/schema.ts";
import { newId } from "../lib/id.ts";
import { parseRole, type Membership, type Role, type User } from "./user.entity.ts";

/** A membership with the account's username and display name, for menus and checks. */
export interface MembershipWithAccount extends Membership {
  readonly username: string;
  readonly accountName: string;
  readonly actorId: string;
}

function userFromRow(row: Selectable<UserRow>): User {
  return {
    id: row.id,
    email: row.email,
    username: row.username,
    displayName: row.display_name,
    timeZone: row.time_zone,
    createdAt: row.created_at,
  };
}

function membershipFromRow(row: Selectable<MembershipRow>): Membership {
  return { id: row.id, userId: row.user_id, accountId: row.account_id, role: parseRole(row.role) ?? "author", createdAt: row.created_at };
}

/** People and their memberships. The password hash is read only by `findCredentials`. */
export class UserRepository {
  readonly #db: Kysely<DB>;
  readonly #kind: Database["kind"];

  constructor(database: Pick<Database, "db" | "kind">) {
    this.#db = database.db;
    this.#kind = database.kind;
  }

  async count(): Promise<number> {
    const row = await this.#db.selectFrom("users").select((eb) => eb.fn.countAll().as("n")).executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  async findById(id: string): Promise<User | null> {
    const row = await this.#db.selectFrom("users").selectAll().where("id", "=", id).executeTakeFirst();
    return row ? userFromRow(row) : null;
  }

  /** By e-mail address or sign-in name (both stored in lower case). */
  async findCredentials(login: string): Promise<{ user: User; passwordHash: string } | null> {
    const key = login.trim().toLowerCase();
    const row = await this.#db
      .selectFrom("users")
      .selectAll()
      .where((eb) => eb.or([eb("email", "=", key), eb("username", "=", key)]))
      .executeTakeFirst();
    return row ? { user: userFromRow(row), passwordHash: row.password_hash } : null;
  }

  async emailOrUsernameTaken(email: string, username: string | null): Promise<boolean> {
    const keys = [email, ...(username !== null ? [username] : [])];
    const row = await this.#db
      .selectFrom("users")
      .select("id")
      .where((eb) => eb.or([eb("email", "in", keys), eb("username", "in", keys)]))
      .executeTakeFirst();
    return row !== undefined;
  }

  /**
   * Inserts a person and their memberships in one transaction (`herold user create`). A person
   * exists then, so first-run setup is over: its tokens are deleted with it.
   */
  async create(input: NewUserRow, now: string): Promise<User> {
    return await this.#db.transaction().execute(async (trx) => {
      await trx.deleteFrom("setup_tokens").execute();
      return await insertUser(trx, input, now);
    });
  }

  /**
   * First-run setup: inserts the owner only while the table is empty and only by spending a valid
   * setup token, in one transaction. Two browsers racing both see an empty table, but only one commits
   * — SQLite serialises writers, PostgreSQL gets a table lock. The token row is deleted in the same
   * transaction (single use), and so are all other setup tokens: setup is over.
   */
  async createOwner(input: NewUserRow, now: string, setupTokenHash: string): Promise<User | "users-exist" | "bad-token"> {
    return await this.#db.transaction().execute(async (trx) => {
      if (this.#kind === "postgres") await sql`LOCK TABLE users IN EXCLUSIVE MODE`.execute(trx);
      const existing = await trx.selectFrom("users").select("id").limit(1).executeTakeFirst();
      if (existing !== undefined) return "users-exist" as const;
      const spent = await trx.deleteFrom("setup_tokens").where("id", "=", setupTokenHash).where("expires_at", ">", now).executeTakeFirst();
      if (Number(spent.numDeletedRows) !== 1) return "bad-token" as const;
      await trx.deleteFrom("setup_tokens").execute();
      return await insertUser(trx, input, now);
    });
  }

  /** Stores a new setup token's hash; expired ones are dropped on the way. */
  async addSetupToken(tokenHash: string, now: string, expiresAt: string): Promise<void> {
    await this.#db.deleteFrom("setup_tokens").where("expires_at", "<=", now).execute();
    await this.#db.insertInto("setup_tokens").values({ id: tokenHash, created_at: now, expires_at: expiresAt }).execute();
  }

  /** Whether a setup token is valid now (without spending it: the form may still be refused). */
  async hasSetupToken(tokenHash: string, now: string): Promise<boolean> {
    const row = await this.#db.selectFrom("setup_tokens").select("id").where("id", "=", tokenHash).where("expires_at", ">", now).executeTakeFirst();
    return row !== undefined;
  }

  async setPasswordHash(userId: string, passwordHash: string, now: string): Promise<void> {
    await this.#db.updateTable("users").set({ password_hash: passwordHash, updated_at: now }).where("id", "=", userId).execute();
  }

  /**
   * A new password, and every other session of the person ended, in one transaction: whoever knew
   * the old password and signed in somewhere else is out the moment it changes.
   */
  async changePassword(userId: string, passwordHash: string, keepSessionId: string, now: string): Promise<number> {
    return await this.#db.transaction().execute(async (trx) => {
      await trx.updateTable("users").set({ password_hash: passwordHash, updated_at: now }).where("id", "=", userId).execute();
      const ended = await trx.deleteFrom("sessions").where("user_id", "=", userId).where("id", "!=", keepSessionId).executeTakeFirst();
      return Number(ended.numDeletedRows);
    });
  }

  async setTimeZone(userId: string, timeZone: string | null, now: string): Promise<void> {
    await this.#db.updateTable("users").set({ time_zone: timeZone, updated_at: now }).where("id", "=", userId).execute();
  }

  /** Adds or changes a membership (one per person and account). */
  async upsertMembership(userId: string, accountId: string, role: Role, now: string): Promise<void> {
    await this.#db
      .insertInto("memberships")
      .values({ id: newId(), user_id: userId, account_id: accountId, role, created_at: now, updated_at: now })
      .onConflict((oc) => oc.columns(["user_id", "account_id"]).doUpdateSet({ role, updated_at: now }))
      .execute();
  }

  async membership(userId: string, accountId: string): Promise<Membership | null> {
    const row = await this.#db
      .selectFrom("memberships")
      .selectAll()
      .where("user_id", "=", userId)
      .where("account_id", "=", accountId)
      .executeTakeFirst();
    return row ? membershipFromRow(row) : null;
  }

  /** The accounts a person may act for, in the order they were granted. */
  async membershipsOf(userId: string): Promise<MembershipWithAccount[]> {
    const rows = await this.#db
      .selectFrom("memberships")
      .innerJoin("accounts", "accounts.id", "memberships.account_id")
      .innerJoin("actors", "actors.id", "accounts.actor_id")
      .selectAll("memberships")
      .select(["accounts.username", "actors.name as account_name", "accounts.actor_id"])
      .where("memberships.user_id", "=", userId)
      .orderBy("memberships.created_at")
      .orderBy("memberships.id")
      .execute();
    return rows.map((row) => ({ ...membershipFromRow(row), username: row.username, accountName: row.account_name ?? row.username, actorId: row.actor_id }));
  }

  /** People of an account with their roles. */
  async membersOf(accountId: string): Promise<{ user: User; role: Role }[]> {
    const rows = await this.#db
      .selectFrom("memberships")
      .innerJoin("users", "users.id", "memberships.user_id")
      .selectAll("users")
      .select("memberships.role")
      .where("memberships.account_id", "=", accountId)
      .orderBy("memberships.created_at")
      .execute();
    return rows.map((row) => ({ user: userFromRow(row), role: parseRole(row.role) ?? "author" }));
  }
}

export interface NewUserRow {
  readonly email: string;
  readonly username: string | null;
  readonly displayName: string;
  readonly passwordHash: string;
  readonly memberships: readonly { accountId: string; role: Role }[];
}

async function insertUser(trx: Transaction<DB>, input: NewUserRow, now: string): Promise<User> {
  const id = newId();
  await trx
    .insertInto("users")
    .values({
      id,
      email: input.email,
      username: input.username,
      display_name: input.displayName,
      password_hash: input.passwordHash,
      time_zone: null,
      created_at: now,
      updated_at: now,
    })
    .execute();
  for (const m of input.memberships) {
    await trx
      .insertInto("memberships")
      .values({ id: newId(), user_id: id, account_id: m.accountId, role: m.role, created_at: now, updated_at: now })
      .execute();
  }
  const row = await trx.selectFrom("users").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
  return userFromRow(row);
}
