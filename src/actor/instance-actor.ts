import { createPrivateKey, createPublicKey, generateKeyPair, type KeyObject } from "node:crypto";
import { promisify } from "node:util";
import type { Kysely } from "kysely";
import type { Urls } from "../app/urls.ts";
import type { DB } from "../db/schema.ts";
import type { Clock } from "../lib/time.ts";

const generate = promisify(generateKeyPair);

/** The instance actor's signing material, imported once per process. */
export interface InstanceActorKeys {
  /** `<origin>/actor#main-key`. */
  readonly keyId: string;
  readonly privateKey: KeyObject;
  readonly publicKeyPem: string;
}

const ROW_ID = "main";

/**
 * The instance actor: an `Application` at `/actor` that signs what the server fetches on its own
 * behalf (actor documents, keys, objects). Peers with authorized fetch (GoToSocial always, Mastodon
 * in secure mode) refuse unsigned GETs; signing them with an account's key would leak which account
 * looked at what, so the server has its own identity, as Mastodon's `/actor` does.
 *
 * Its RSA key pair lives in the `instance_actor` table (migration 0002), created on first use. Two
 * processes starting at once may both generate a pair; the insert keeps the first and both read it
 * back, so every process signs with the same key.
 *
 * WebFinger finds it as `acct:<domain>@<domain>` (Mastodon's convention); see instance-actor.routes.ts.
 */
export class InstanceActor {
  readonly #db: Kysely<DB>;
  readonly #urls: Urls;
  readonly #domain: string;
  readonly #clock: Clock;
  #keys: Promise<InstanceActorKeys> | undefined;

  constructor(deps: { db: Kysely<DB>; urls: Urls; domain: string; clock: Clock }) {
    this.#db = deps.db;
    this.#urls = deps.urls;
    this.#domain = deps.domain;
    this.#clock = deps.clock;
  }

  get uri(): string {
    return this.#urls.instanceActor();
  }

  get keyId(): string {
    return `${this.uri}#main-key`;
  }

  /** `preferredUsername`, and the user part of its WebFinger handle. */
  get username(): string {
    return this.#domain;
  }

  /** Loads (or creates) the key pair; cached for the life of the process. */
  keys(): Promise<InstanceActorKeys> {
    if (this.#keys === undefined) {
      const loading = this.#load();
      this.#keys = loading;
      loading.catch(() => {
        if (this.#keys === loading) this.#keys = undefined; // a database hiccup must not stick
      });
    }
    return this.#keys;
  }

  /** The actor document served at `/actor` (compact JSON-LD, written by hand: no JSON-LD processing per request). */
  async document(): Promise<Record<string, unknown>> {
    const keys = await this.keys();
    const inbox = this.#urls.sharedInbox();
    return {
      "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
      id: this.uri,
      type: "Application",
      preferredUsername: this.username,
      name: this.#domain,
      summary: "The server's own actor; it signs requests made on behalf of the whole server.",
      url: this.#urls.origin,
      // Activities addressed to the instance actor (relay answers, say) arrive at the shared inbox.
      inbox,
      endpoints: { sharedInbox: inbox },
      manuallyApprovesFollowers: true,
      discoverable: false,
      indexable: false,
      publicKey: { id: this.keyId, owner: this.uri, publicKeyPem: keys.publicKeyPem },
    };
  }

  async #load(): Promise<InstanceActorKeys> {
    let row = await this.#read();
    if (row === undefined) {
      const pair = await generate("rsa", {
        modulusLength: 2048,
        publicKeyEncoding: { type: "spki", format: "pem" },
        privateKeyEncoding: { type: "pkcs8", format: "pem" },
      });
      await this.#db
        .insertInto("instance_actor")
        .values({ id: ROW_ID, rsa_public_pem: pair.publicKey, rsa_private_pem: pair.privateKey, created_at: this.#clock.now().toISOString() })
        .onConflict((oc) => oc.column("id").doNothing())
        .execute();
      row = await this.#read();
      if (row === undefined) throw new Error("instance actor key pair could not be stored");
    }
    // Parsing checks the stored PEMs once at start instead of at the first signature.
    createPublicKey(row.rsa_public_pem);
    return { keyId: this.keyId, privateKey: createPrivateKey(row.rsa_private_pem), publicKeyPem: row.rsa_public_pem };
  }

  #read() {
    return this.#db.selectFrom("instance_actor").select(["rsa_public_pem", "rsa_private_pem"]).where("id", "=", ROW_ID).executeTakeFirst();
  }
}
