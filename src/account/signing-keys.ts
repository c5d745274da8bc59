import { LoadingLru } from "../lib/lru.ts";
import type { Account } from "./account.entity.ts";
import type { AccountRepository } from "./account.repository.ts";
import { importSigningKeys, type SigningKeys } from "./keys.ts";

/** Signing keys as node:crypto KeyObjects and as WebCrypto CryptoKeys (what Fedify takes). */
export interface LoadedKeys extends SigningKeys {
  /** The account's actor (`actors.id`): what a delivery signs as. */
  readonly actorId: string;
  readonly rsaPair: CryptoKeyPair;
  readonly ed25519Pair: CryptoKeyPair;
}

/** Accounts whose imported keys stay in memory; a busier instance re-imports the least recently used. */
const DEFAULT_CAPACITY = 1_024;

/**
 * Loads private keys from the database once per account and keeps them imported (in the one
 * generic LRU, src/lib/lru.ts: bounded, concurrent loads shared, failures and missing rows not kept).
 * Queue messages carry only an account id; workers sign with keys from here (no secrets travel
 * through the queue), so the delivery engine needs no cache of its own on top of this one.
 */
export class SigningKeyStore {
  readonly #accounts: AccountRepository;
  readonly #rsaKeyId: (username: string) => string;
  readonly #cache: LoadingLru<string, LoadedKeys>;

  constructor(accounts: AccountRepository, rsaKeyId: (username: string) => string, capacity = DEFAULT_CAPACITY) {
    this.#accounts = accounts;
    this.#rsaKeyId = rsaKeyId;
    this.#cache = new LoadingLru(capacity, (accountId) => this.#load(accountId));
  }

  get(account: Pick<Account, "id">): Promise<LoadedKeys | null> {
    return this.#cache.get(account.id);
  }

  /** How many accounts' keys are held (for tests of the bound). */
  get size(): number {
    return this.#cache.size;
  }

  async #load(accountId: string): Promise<LoadedKeys | null> {
    const [account, pems] = await Promise.all([this.#accounts.findById(accountId), this.#accounts.loadKeyPems(accountId)]);
    if (account === null || pems === null) return null;
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
    return { ...keys, actorId: account.actorId, rsaPair, ed25519Pair };
  }
}
