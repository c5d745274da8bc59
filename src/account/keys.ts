import { createPrivateKey, createPublicKey, generateKeyPair, type KeyObject } from "node:crypto";
import { promisify } from "node:util";

const generate = promisify(generateKeyPair);

/** PEM-encoded key pairs of a local account: RSA for HTTP signatures (Mastodon), Ed25519 for object proofs (FEP-8b32). */
export interface GeneratedKeys {
  readonly rsaPublicPem: string;
  readonly rsaPrivatePem: string;
  readonly ed25519PublicPem: string;
  readonly ed25519PrivatePem: string;
}

export async function generateAccountKeys(): Promise<GeneratedKeys> {
  const [rsa, ed] = await Promise.all([
    generate("rsa", {
      modulusLength: 2048,
      publicKeyEncoding: { type: "spki", format: "pem" },
      privateKeyEncoding: { type: "pkcs8", format: "pem" },
    }),
    generate("ed25519", {
      publicKeyEncoding: { type: "spki", format: "pem" },
      privateKeyEncoding: { type: "pkcs8", format: "pem" },
    }),
  ]);
  return {
    rsaPublicPem: rsa.publicKey,
    rsaPrivatePem: rsa.privateKey,
    ed25519PublicPem: ed.publicKey,
    ed25519PrivatePem: ed.privateKey,
  };
}

/** Imported key objects; parsing PEM costs more than a signature, so callers cache these per account. */
export interface SigningKeys {
  readonly keyId: string;
  readonly rsaPrivate: KeyObject;
  readonly rsaPublic: KeyObject;
  readonly ed25519Private: KeyObject;
  readonly ed25519Public: KeyObject;
}

export function importSigningKeys(keyId: string, pems: GeneratedKeys): SigningKeys {
  return {
    keyId,
    rsaPrivate: createPrivateKey(pems.rsaPrivatePem),
    rsaPublic: createPublicKey(pems.rsaPublicPem),
    ed25519Private: createPrivateKey(pems.ed25519PrivatePem),
    ed25519Public: createPublicKey(pems.ed25519PublicPem),
  };
}
