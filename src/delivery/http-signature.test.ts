import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { describe, test } from "node:test";
import { verifyRequest } from "@fedify/fedify/sig";
import type { DocumentLoader } from "@fedify/vocab";
import { offlineContextLoader } from "../federation/context-loader.ts";
import { toInstant } from "../federation/temporal.ts";
import { prepareBody, signRequest, signRequestSync, SIGNATURE_SPECS, type SignatureSpec } from "./http-signature.ts";
import { verifySignedRequest } from "./testing/verify.ts";

// Fedify's verifier is the oracle here: it is what Hollo, Ghost and other Fedify servers run, and it
// was written without looking at this signer.
const ACTOR = "https://herold.example/users/acme";
const KEY_ID = `${ACTOR}#main-key`;
const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const other = generateKeyPairSync("rsa", { modulusLength: 2048 });
const publicKeyPem = publicKey.export({ type: "spki", format: "pem" }).toString();

/** Serves the key document for KEY_ID the way an actor's key is published. */
const documentLoader: DocumentLoader = async (url: string) => {
  if (url !== KEY_ID) throw new Error(`unexpected fetch of ${url}`);
  return {
    contextUrl: null,
    documentUrl: url,
    document: { "@context": "https://w3id.org/security/v1", id: KEY_ID, type: "CryptographicKey", owner: ACTOR, publicKeyPem },
  };
};

const NOW = new Date("2026-03-01T12:00:00.000Z");
const INBOX = new URL("https://peer.example/users/bob/inbox");
const BODY = Buffer.from(JSON.stringify({ id: "https://herold.example/users/acme/activities/1", type: "Create", actor: ACTOR }));

async function signedRequest(spec: SignatureSpec, options: { body?: Buffer; sentBody?: Buffer; key?: typeof privateKey; url?: URL } = {}): Promise<Request> {
  const url = options.url ?? INBOX;
  const body = prepareBody(options.body ?? BODY);
  const headers = await signRequest(spec, { method: "POST", url, body, key: { keyId: KEY_ID, privateKey: options.key ?? privateKey }, now: NOW });
  return new Request(url, {
    method: "POST",
    headers: { ...headers, "content-type": "application/activity+json" },
    body: new Uint8Array(options.sentBody ?? body.bytes),
  });
}

const verify = (request: Request, now: Date = NOW) =>
  verifyRequest(request, { documentLoader, contextLoader: offlineContextLoader, currentTime: toInstant(now.toISOString()) });

for (const spec of SIGNATURE_SPECS) {
  describe(`${spec} signatures`, () => {
    test("Fedify's verifyRequest accepts them and finds our key", async () => {
      const key = await verify(await signedRequest(spec));
      assert.ok(key, "verified");
      assert.equal(key.id?.href, KEY_ID);
      assert.equal(key.ownerId?.href, ACTOR);
    });

    test("the headers name the spec's parts", async () => {
      const request = await signedRequest(spec);
      assert.equal(request.headers.get("host"), "peer.example");
      if (spec === "rfc9421") {
        assert.match(request.headers.get("signature-input")!, /^sig1=\("@method" "@target-uri" "content-digest"\);created=\d+;keyid="[^"]+";alg="rsa-v1_5-sha256"$/);
        assert.match(request.headers.get("content-digest")!, /^sha-256=:[A-Za-z0-9+/]+=*:$/);
      } else {
        assert.match(request.headers.get("signature")!, /headers="\(request-target\) host date digest"/);
        assert.match(request.headers.get("digest")!, /^SHA-256=[A-Za-z0-9+/]+=*$/);
        assert.equal(request.headers.get("date"), NOW.toUTCString());
      }
    });

    test("Fedify refuses them when the body was changed in transit", async () => {
      assert.equal(await verify(await signedRequest(spec, { sentBody: Buffer.from('{"type":"Delete"}') })), null);
    });

    test("Fedify refuses them when signed by another key", async () => {
      assert.equal(await verify(await signedRequest(spec, { key: other.privateKey })), null);
    });

    test("Fedify refuses them two hours later (replay window)", async () => {
      assert.equal(await verify(await signedRequest(spec), new Date(NOW.getTime() + 2 * 3600_000)), null);
    });

    test("Fedify refuses them when replayed to another inbox", async () => {
      const request = await signedRequest(spec);
      const moved = new Request("https://peer.example/users/eve/inbox", {
        method: "POST",
        headers: request.headers,
        body: BODY,
      });
      assert.equal(await verify(moved), null);
    });

    test("signing on the thread pool and on the calling thread give the same headers", async () => {
      // RSASSA-PKCS1-v1_5 is deterministic: the same bytes and key give the same signature.
      const input = { method: "POST", url: INBOX, body: prepareBody(BODY), key: { keyId: KEY_ID, privateKey }, now: NOW };
      assert.deepEqual(await signRequest(spec, input), signRequestSync(spec, input));
    });

    // The test verifier (bench peers, loopback receivers) must agree with Fedify on both outcomes.
    test("the test verifier agrees with Fedify", async () => {
      const keys = new Map([[KEY_ID, publicKey]]);
      const good = await signedRequest(spec);
      const ok = await verifySignedRequest(toParts(good, BODY), keys, NOW);
      assert.deepEqual(ok, { ok: true, keyId: KEY_ID, spec });
      const bad = await verifySignedRequest(toParts(await signedRequest(spec, { sentBody: Buffer.from("{}") }), Buffer.from("{}")), keys, NOW);
      assert.equal(bad.ok, false);
      const wrongKey = await verifySignedRequest(toParts(await signedRequest(spec, { key: other.privateKey }), BODY), keys, NOW);
      assert.equal(wrongKey.ok, false);
    });
  });
}

test("draft-cavage signs the query string as part of the request target", async () => {
  const url = new URL("https://peer.example/inbox?shard=2");
  const request = await signedRequest("draft-cavage-http-signatures-12", { url });
  const keys = new Map([[KEY_ID, publicKey]]);
  assert.equal((await verifySignedRequest(toParts(request, BODY), keys, NOW)).ok, true);
  const parts = toParts(request, BODY);
  assert.equal((await verifySignedRequest({ ...parts, path: "/inbox" }, keys, NOW)).ok, false);
});

test("the test verifier accepts Fedify's own RFC 9421 and draft signatures", async () => {
  const { signRequest: fedifySign } = await import("@fedify/fedify/sig");
  const cryptoKey = privateKey.toCryptoKey({ name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, true, ["sign"]) as CryptoKey;
  const keys = new Map([[KEY_ID, publicKey]]);
  for (const spec of SIGNATURE_SPECS) {
    const unsigned = new Request(INBOX, { method: "POST", headers: { "content-type": "application/activity+json" }, body: BODY });
    const signed = await fedifySign(unsigned, cryptoKey, new URL(KEY_ID), { spec, currentTime: toInstant(NOW.toISOString()) });
    const result = await verifySignedRequest(toParts(signed, BODY), keys, NOW);
    assert.deepEqual(result, { ok: true, keyId: KEY_ID, spec }, spec);
  }
});

function toParts(request: Request, body: Buffer) {
  const url = new URL(request.url);
  return {
    method: request.method,
    path: url.pathname + url.search,
    origin: url.origin,
    headers: Object.fromEntries(request.headers),
    body,
  };
}
