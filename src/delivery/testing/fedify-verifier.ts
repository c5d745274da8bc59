/**
 * Receiver-side verification with Fedify's `verifyRequest` (test support): the verifier Fedify-based
 * peers run, fed with the sending account's published key.
 */
import { verifyRequest } from "@fedify/fedify/sig";
import type { DocumentLoader } from "@fedify/vocab";
import { offlineContextLoader } from "../../federation/context-loader.ts";
import { toInstant } from "../../federation/temporal.ts";
import type { Clock } from "../../lib/time.ts";
import type { SignedRequestParts, VerifyResult } from "./verify.ts";

/** A document loader that serves exactly one key document, as the key id would dereference. */
export function keyDocumentLoader(keyId: string, owner: string, publicKeyPem: string): DocumentLoader {
  return async (url: string) => {
    if (url !== keyId) throw new Error(`unexpected fetch of ${url}`);
    return {
      contextUrl: null,
      documentUrl: url,
      document: { "@context": "https://w3id.org/security/v1", id: keyId, type: "CryptographicKey", owner, publicKeyPem },
    };
  };
}

export function fedifyVerifier(documentLoader: DocumentLoader, clock?: Clock): (parts: SignedRequestParts) => Promise<VerifyResult> {
  return async (parts) => {
    const headers = new Headers();
    for (const [name, value] of Object.entries(parts.headers)) {
      if (value === undefined) continue;
      headers.set(name, Array.isArray(value) ? value.join(", ") : value);
    }
    const request = new Request(parts.origin + parts.path, { method: parts.method, headers, body: new Uint8Array(parts.body) });
    const key = await verifyRequest(request, {
      documentLoader,
      contextLoader: offlineContextLoader,
      ...(clock !== undefined ? { currentTime: toInstant(clock.now().toISOString()) } : {}),
    });
    if (key === null || key.id === null) return { ok: false, reason: "Fedify's verifyRequest refused the signature" };
    return { ok: true, keyId: key.id.href, spec: headers.has("signature-input") ? "rfc9421" : "draft-cavage-http-signatures-12" };
  };
}
