import type { Account } from "./account.entity.ts";
import type { AccountRepository } from "./account.repository.ts";
import { importSigningKeys, type SigningKeys } from "./keys.ts";

/** Signing keys as node:crypto KeyObjects and as WebCrypto CryptoKeys (what Fedify takes). */
export interface LoadedKeys extends SigningKeys {
  readonly rsaPair: CryptoKeyPair;
  readonly ed25519Pair: CryptoKeyPair;
}

/**
 * Loads private keys from the database once per account and keeps them imported. Queue messages
 * carry only an account id; workers sign with keys from here (no secrets travel through the queue).
 */
export class SigningKeyStore {
  readonly #accounts: AccountRepository;
  readonly #rsaKeyId: (username: string) => string;
  readonly #cache = new Map<string, Promise<LoadedKeys | null>>();

  constructor(accounts: AccountRepository, rsaKeyId: (username: string) => string) {
    this.#accounts = accounts;
    this.#rsaKeyId = rsaKeyId;
  }

  get(account: Pick<Account, "id" | "username">): Promise<LoadedKeys | null> {
    let entry = this.#cache.get(account.id);
    if (entry === undefined) {
      entry = this.#load(account);
      this.#cache.set(account.id, entry);
      entry.then((keys) => keys === null && this.#cache.delete(account.id), () => this.#cache.delete(account.id));
    }
    return entry;
  }

  async #load(account: Pick<Account, "id" | "username">): Promise<LoadedKeys | null> {
    const pems = await this.#accounts.loadKeyPems(account.id);
    if (pems === null) return null;
    const keys = importSigningKeys(this.#rsaKeyId(account.username), pems);
    const rsaAlgorithm = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" } as const;
    const rsaPair: CryptoKeyPair = {
      privateKey: keys.rsaPrivate.toCryptoKey(rsaAlgorithm, true, ["sign"]) as CryptoKey,
      publicKey: keys.rsaPublic.toCryptoKey(rsaAlgorithm, true, ["verify"]) as CryptoKey,
    };
    const ed25519Pair: CryptoKeyPair = {
      privateKey: keys.ed25519Private.toCryptoKey("Ed25519", true, ["sign"]) as CryptoKey,
      publicKey: keys.ed25519Public.toCryptoKey("Ed25519", true, ["verify"]) as CryptoKey,
    };
    return { ...keys, rsaPair, ed25519Pair };
  }
}
