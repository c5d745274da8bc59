import type { Kysely, Selectable, Updateable } from "kysely";
import type { AccountRow, ActorRow, DB } from "../db/schema.ts";
import { fromBool, parseJson, toBool } from "../db/rows.ts";
import { newId } from "../lib/id.ts";
import type { Account, AccountType, ProfileField } from "./account.entity.ts";
import type { GeneratedKeys } from "./keys.ts";

export interface NewAccount {
  readonly username: string;
  readonly type: AccountType;
  readonly name: string;
  readonly summaryHtml: string;
  readonly uri: string;
  readonly url: string;
  readonly domain: string;
  readonly inboxUrl: string;
  readonly sharedInboxUrl: string;
  readonly outboxUrl: string;
  readonly followersUrl: string;
  readonly followingUrl: string;
  readonly featuredUrl: string;
  readonly keyId: string;
  readonly keys: GeneratedKeys;
}

export interface ProfileUpdate {
  readonly name?: string;
  readonly summaryHtml?: string;
  readonly fields?: readonly ProfileField[];
  readonly manuallyApprovesFollowers?: boolean;
  readonly discoverable?: boolean;
  readonly iconUrl?: string | null;
  readonly imageUrl?: string | null;
  readonly type?: AccountType;
  readonly alsoKnownAs?: readonly string[];
}

type Joined = Omit<Selectable<AccountRow>, "rsa_private_pem" | "ed25519_private_pem" | "time_zone"> & Pick<Selectable<ActorRow>, "uri" | "type" | "name" | "summary_html" | "fields_json"
  | "manually_approves_followers" | "discoverable" | "icon_url" | "image_url" | "also_known_as_json" | "moved_to_uri">;

/** Local accounts: an `accounts` row (keys) joined with its `actors` row (profile). */
export class AccountRepository {
  readonly #db: Kysely<DB>;

  constructor(db: Kysely<DB>) {
    this.#db = db;
  }

  async create(input: NewAccount, now: string): Promise<Account> {
    return await this.#db.transaction().execute(async (trx) => {
      const actorId = newId();
      await trx
        .insertInto("actors")
        .values({
          id: actorId,
          uri: input.uri,
          is_local: 1,
          type: input.type,
          username: input.username,
          domain: input.domain,
          name: input.name,
          summary_html: input.summaryHtml,
          url: input.url,
          inbox_url: input.inboxUrl,
          shared_inbox_url: input.sharedInboxUrl,
          outbox_url: input.outboxUrl,
          followers_url: input.followersUrl,
          following_url: input.followingUrl,
          featured_url: input.featuredUrl,
          public_key_id: input.keyId,
          public_key_pem: input.keys.rsaPublicPem,
          published_at: now,
          created_at: now,
          updated_at: now,
        })
        .execute();
      await trx
        .insertInto("accounts")
        .values({
          id: newId(),
          actor_id: actorId,
          username: input.username,
          rsa_public_pem: input.keys.rsaPublicPem,
          rsa_private_pem: input.keys.rsaPrivatePem,
          ed25519_public_pem: input.keys.ed25519PublicPem,
          ed25519_private_pem: input.keys.ed25519PrivatePem,
          created_at: now,
          updated_at: now,
        })
        .execute();
      const row = await this.#select(trx).where("accounts.actor_id", "=", actorId).executeTakeFirstOrThrow();
      return toAccount(row);
    });
  }

  async findByUsername(username: string): Promise<Account | null> {
    const row = await this.#select(this.#db).where("accounts.username", "=", username.toLowerCase()).executeTakeFirst();
    return row ? toAccount(row) : null;
  }

  async findById(id: string, db: Kysely<DB> = this.#db): Promise<Account | null> {
    const row = await this.#select(db).where("accounts.id", "=", id).executeTakeFirst();
    return row ? toAccount(row) : null;
  }

  /** The IANA zone in which the account's insights count days and hours (migration 0017; "UTC" unless set). */
  async timeZone(accountId: string, db: Kysely<DB> = this.#db): Promise<string | null> {
    const row = await db.selectFrom("accounts").select("time_zone").where("id", "=", accountId).executeTakeFirst();
    return row?.time_zone ?? null;
  }

  /** Sets the account's zone (the caller validates it and recounts the insights rollups in the same transaction). */
  async setTimeZone(accountId: string, timeZone: string, db: Kysely<DB> = this.#db): Promise<void> {
    await db.updateTable("accounts").set({ time_zone: timeZone }).where("id", "=", accountId).execute();
  }

  async findByActorId(actorId: string): Promise<Account | null> {
    const row = await this.#select(this.#db).where("accounts.actor_id", "=", actorId).executeTakeFirst();
    return row ? toAccount(row) : null;
  }

  async list(): Promise<Account[]> {
    const rows = await this.#select(this.#db).orderBy("accounts.created_at").execute();
    return rows.map(toAccount);
  }

  async count(): Promise<number> {
    const row = await this.#db.selectFrom("accounts").select((eb) => eb.fn.countAll().as("n")).executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /** The only read of private keys: used by the signing key store, never serialised anywhere. */
  async loadKeyPems(accountId: string): Promise<GeneratedKeys | null> {
    const row = await this.#db
      .selectFrom("accounts")
      .select(["rsa_public_pem", "rsa_private_pem", "ed25519_public_pem", "ed25519_private_pem"])
      .where("id", "=", accountId)
      .executeTakeFirst();
    if (!row) return null;
    return {
      rsaPublicPem: row.rsa_public_pem,
      rsaPrivatePem: row.rsa_private_pem,
      ed25519PublicPem: row.ed25519_public_pem,
      ed25519PrivatePem: row.ed25519_private_pem,
    };
  }

  async updateProfile(accountId: string, update: ProfileUpdate, now: string, db: Kysely<DB> = this.#db): Promise<Account | null> {
    const account = await this.findById(accountId, db);
    if (!account) return null;
    const set: Updateable<ActorRow> = { updated_at: now };
    if (update.name !== undefined) set.name = update.name;
    if (update.summaryHtml !== undefined) set.summary_html = update.summaryHtml;
    if (update.fields !== undefined) set.fields_json = JSON.stringify(update.fields);
    if (update.manuallyApprovesFollowers !== undefined) set.manually_approves_followers = fromBool(update.manuallyApprovesFollowers);
    if (update.discoverable !== undefined) set.discoverable = fromBool(update.discoverable);
    if (update.iconUrl !== undefined) set.icon_url = update.iconUrl;
    if (update.imageUrl !== undefined) set.image_url = update.imageUrl;
    if (update.type !== undefined) set.type = update.type;
    if (update.alsoKnownAs !== undefined) set.also_known_as_json = JSON.stringify(update.alsoKnownAs);
    await db.updateTable("actors").set(set).where("id", "=", account.actorId).execute();
    return await this.findById(accountId, db);
  }

  #select(db: Kysely<DB>) {
    return db
      .selectFrom("accounts")
      .innerJoin("actors", "actors.id", "accounts.actor_id")
      .select([
        "accounts.id", "accounts.actor_id", "accounts.username", "accounts.rsa_public_pem",
        "accounts.ed25519_public_pem", "accounts.created_at", "accounts.updated_at",
        "actors.uri", "actors.type", "actors.name", "actors.summary_html", "actors.fields_json",
        "actors.manually_approves_followers", "actors.discoverable", "actors.icon_url", "actors.image_url",
        "actors.also_known_as_json", "actors.moved_to_uri",
      ]);
  }
}

function toAccount(row: Joined): Account {
  return {
    id: row.id,
    actorId: row.actor_id,
    username: row.username,
    type: row.type as AccountType,
    uri: row.uri,
    name: row.name ?? row.username,
    summaryHtml: row.summary_html ?? "",
    fields: parseJson(row.fields_json, []),
    manuallyApprovesFollowers: toBool(row.manually_approves_followers),
    discoverable: toBool(row.discoverable),
    iconUrl: row.icon_url,
    imageUrl: row.image_url,
    alsoKnownAs: parseJson(row.also_known_as_json, []),
    movedTo: row.moved_to_uri,
    rsaPublicPem: row.rsa_public_pem,
    ed25519PublicPem: row.ed25519_public_pem,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
