import type { Kysely } from "kysely";
import type { DB } from "../db/schema.ts";
import { fromBool } from "../db/rows.ts";
import { newId } from "../lib/id.ts";
import { actorFromRow, type Actor, type RemoteActorData } from "./actor.entity.ts";

/** Storage of actors (local and remote). Local actors are created by the account repository. */
export class ActorRepository {
  readonly #db: Kysely<DB>;

  constructor(db: Kysely<DB>) {
    this.#db = db;
  }

  async findById(id: string, db: Kysely<DB> = this.#db): Promise<Actor | null> {
    const row = await db.selectFrom("actors").selectAll().where("id", "=", id).executeTakeFirst();
    return row ? actorFromRow(row) : null;
  }

  async findByUri(uri: string): Promise<Actor | null> {
    const row = await this.#db.selectFrom("actors").selectAll().where("uri", "=", uri).executeTakeFirst();
    return row ? actorFromRow(row) : null;
  }

  async findByHandle(username: string, domain: string): Promise<Actor | null> {
    const row = await this.#db
      .selectFrom("actors")
      .selectAll()
      .where("username", "=", username)
      .where("domain", "=", domain.toLowerCase())
      .executeTakeFirst();
    return row ? actorFromRow(row) : null;
  }

  async findManyByIds(ids: readonly string[]): Promise<Map<string, Actor>> {
    const out = new Map<string, Actor>();
    if (ids.length === 0) return out;
    const rows = await this.#db.selectFrom("actors").selectAll().where("id", "in", [...new Set(ids)]).execute();
    for (const row of rows) out.set(row.id, actorFromRow(row));
    return out;
  }

  /** Inserts or refreshes a remote actor from its fetched document; returns the stored actor. */
  async upsertRemote(data: RemoteActorData, now: string, executor: Kysely<DB> = this.#db): Promise<Actor> {
    const values = {
      type: data.type,
      username: data.username,
      domain: data.domain.toLowerCase(),
      name: data.name,
      summary_html: data.summaryHtml,
      url: data.url,
      inbox_url: data.inboxUrl,
      shared_inbox_url: data.sharedInboxUrl,
      outbox_url: data.outboxUrl,
      followers_url: data.followersUrl,
      following_url: data.followingUrl,
      featured_url: data.featuredUrl,
      public_key_id: data.publicKeyId,
      public_key_pem: data.publicKeyPem,
      icon_url: data.iconUrl,
      image_url: data.imageUrl,
      fields_json: JSON.stringify(data.fields),
      also_known_as_json: JSON.stringify(data.alsoKnownAs),
      moved_to_uri: data.movedToUri,
      manually_approves_followers: fromBool(data.manuallyApprovesFollowers),
      discoverable: fromBool(data.discoverable),
      emojis_json: JSON.stringify(data.emojis),
      published_at: data.publishedAt,
      raw_json: data.rawJson,
      fetched_at: now,
      gone_at: null,
      updated_at: now,
    };
    const row = await executor
      .insertInto("actors")
      .values({ id: newId(), uri: data.uri, is_local: 0, created_at: now, ...values })
      .onConflict((oc) => oc.column("uri").doUpdateSet(values).where("actors.is_local", "=", 0))
      .returningAll()
      .executeTakeFirst();
    // A conflicting local actor is never overwritten by a remote document (origin confusion).
    if (row === undefined) throw new Error(`refusing to overwrite local actor ${data.uri}`);
    return actorFromRow(row);
  }

  /**
   * Marks remote actors gone; local and unknown ids are left alone. Returns the ids marked. Only the
   * gone announcer (actor-gone.ts) calls this, so the relations with a gone actor always end with it.
   */
  async markGone(ids: readonly string[], now: string, db: Kysely<DB> = this.#db): Promise<string[]> {
    if (ids.length === 0) return [];
    const rows = await db.updateTable("actors").set({ gone_at: now, updated_at: now }).where("id", "in", [...ids]).where("is_local", "=", 0).returning("id").execute();
    return rows.map((r) => r.id);
  }

  /** The ids among `ids` that are remote actors. */
  async remoteIds(ids: readonly string[], db: Kysely<DB> = this.#db): Promise<string[]> {
    if (ids.length === 0) return [];
    const rows = await db.selectFrom("actors").select("id").where("id", "in", [...ids]).where("is_local", "=", 0).execute();
    return rows.map((r) => r.id);
  }

  /** The document an actor was last stored from (remote actors only). */
  async findRawJson(id: string): Promise<string | null> {
    const row = await this.#db.selectFrom("actors").select("raw_json").where("id", "=", id).executeTakeFirst();
    return row?.raw_json ?? null;
  }

  /** The remote actor whose stored (primary) key has this id; the inbox's key cache reads through this. */
  async findByPublicKeyId(keyId: string): Promise<Actor | null> {
    const row = await this.#db
      .selectFrom("actors")
      .selectAll()
      .where("public_key_id", "=", keyId)
      .where("is_local", "=", 0)
      .orderBy("updated_at", "desc")
      .executeTakeFirst();
    return row ? actorFromRow(row) : null;
  }

  async countLocal(): Promise<number> {
    const row = await this.#db.selectFrom("actors").select((eb) => eb.fn.countAll().as("n")).where("is_local", "=", 1).executeTakeFirst();
    return Number(row?.n ?? 0);
  }
}
