import { hash, sign, type KeyObject } from "node:crypto";

/**
 * HTTP signatures for outgoing deliveries: the hot path of a fan-out, so written against node:crypto
 * directly. One RSA-2048 signature (≈ 0.3 ms) is the largest CPU cost per recipient; the body and its
 * digests are prepared once per activity (`prepareBody`) and shared by every recipient. Signatures
 * are computed on libuv's thread pool (`sign` with a callback), so the event loop keeps sending,
 * receiving and claiming jobs while other cores sign: measured in `npm run bench -- fanout`.
 *
 * - draft-cavage-http-signatures-12, as Mastodon signs: `(request-target) host date digest`,
 *   `algorithm="rsa-sha256"`, `Digest: SHA-256=…` (RFC 3230). What every peer accepts.
 * - RFC 9421 HTTP Message Signatures: `("@method" "@target-uri" "content-digest")` with `created`,
 *   `keyid` and `alg="rsa-v1_5-sha256"`, `Content-Digest: sha-256=:…:` (RFC 9530). Accepted by
 *   Mastodon ≥ 4.4; used when a peer refused the draft signature (double-knocking, sender.ts).
 *
 * Fedify's `verifyRequest` accepts both (http-signature.test.ts).
 */
export type SignatureSpec = "draft-cavage-http-signatures-12" | "rfc9421";

export const SIGNATURE_SPECS: readonly SignatureSpec[] = ["draft-cavage-http-signatures-12", "rfc9421"];

/** What Herold tries first with a server it knows nothing about. */
export const DEFAULT_SIGNATURE_SPEC: SignatureSpec = "draft-cavage-http-signatures-12";

export function otherSpec(spec: SignatureSpec): SignatureSpec {
  return spec === "rfc9421" ? "draft-cavage-http-signatures-12" : "rfc9421";
}

export function isSignatureSpec(text: string | null | undefined): text is SignatureSpec {
  return text === "draft-cavage-http-signatures-12" || text === "rfc9421";
}

/** A request body with both digest headers, computed once and reused for every recipient. */
export interface SignableBody {
  readonly bytes: Buffer;
  /** `Digest` header value (RFC 3230), for draft-cavage. */
  readonly digest: string;
  /** `Content-Digest` header value (RFC 9530), for RFC 9421. */
  readonly contentDigest: string;
}

export function prepareBody(bytes: Buffer): SignableBody {
  const sha256 = hash("sha256", bytes, "base64");
  return { bytes, digest: `SHA-256=${sha256}`, contentDigest: `sha-256=:${sha256}:` };
}

/** An imported private key and the id peers dereference to find its public half. */
export interface SigningKey {
  readonly keyId: string;
  /** RSA private key (PKCS#1 v1.5 with SHA-256 is what both specs use here). */
  readonly privateKey: KeyObject;
}

export interface SignInput {
  readonly method: string;
  readonly url: URL;
  readonly body: SignableBody;
  readonly key: SigningKey;
  /** Signature time (`Date` header, `created`). */
  readonly now: Date;
}

/** Header names are lower case; values are ready to send. Includes `host`, which both specs cover. */
export type SignedHeaders = Record<string, string>;

/** The bytes to sign and how the headers are made from their signature: one builder per spec. */
interface PendingSignature {
  readonly data: Buffer;
  headers(signature: Buffer): SignedHeaders;
}

/** Signs on the thread pool: what every delivery uses. */
export async function signRequest(spec: SignatureSpec, input: SignInput): Promise<SignedHeaders> {
  const pending = prepare(spec, input);
  return pending.headers(await rsaSha256(pending.data, input.key.privateKey));
}

/** Signs on the calling thread: for tests and tools that sign a single request synchronously. */
export function signRequestSync(spec: SignatureSpec, input: SignInput): SignedHeaders {
  const pending = prepare(spec, input);
  return pending.headers(sign("sha256", pending.data, input.key.privateKey));
}

function prepare(spec: SignatureSpec, input: SignInput): PendingSignature {
  return spec === "rfc9421" ? prepareRfc9421(input) : prepareCavage(input);
}

/** draft-cavage-http-signatures-12 over `(request-target) host date digest`. */
function prepareCavage({ method, url, body, key, now }: SignInput): PendingSignature {
  const host = url.host;
  const date = now.toUTCString();
  const signingString =
    `(request-target): ${method.toLowerCase()} ${url.pathname}${url.search}\n` +
    `host: ${host}\n` +
    `date: ${date}\n` +
    `digest: ${body.digest}`;
  const keyId = quotable(key.keyId);
  return {
    data: Buffer.from(signingString),
    headers: (signature) => ({
      host,
      date,
      digest: body.digest,
      signature: `keyId="${keyId}",algorithm="rsa-sha256",headers="(request-target) host date digest",signature="${signature.toString("base64")}"`,
    }),
  };
}

/** RFC 9421 over `@method`, `@target-uri` and `content-digest`, label `sig1`. */
function prepareRfc9421({ method, url, body, key, now }: SignInput): PendingSignature {
  const created = Math.floor(now.getTime() / 1000);
  // The signature parameters are serialised once and used verbatim both in the signature base and
  // in Signature-Input, so the verifier rebuilds exactly the bytes that were signed.
  const parameters = `("@method" "@target-uri" "content-digest");created=${created};keyid=${sfString(key.keyId)};alg="rsa-v1_5-sha256"`;
  const signatureBase =
    `"@method": ${method.toUpperCase()}\n` +
    `"@target-uri": ${url.href}\n` +
    `"content-digest": ${body.contentDigest}\n` +
    `"@signature-params": ${parameters}`;
  return {
    data: Buffer.from(signatureBase),
    headers: (signature) => ({
      host: url.host,
      // Not covered, but some proxies and older peers expect a Date on every request.
      date: now.toUTCString(),
      "content-digest": body.contentDigest,
      "signature-input": `sig1=${parameters}`,
      signature: `sig1=:${signature.toString("base64")}:`,
    }),
  };
}

/** RSASSA-PKCS1-v1_5 with SHA-256, computed on the thread pool. */
function rsaSha256(data: Buffer, privateKey: KeyObject): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    sign("sha256", data, privateKey, (error, signature) => (error ? reject(error) : resolve(signature)));
  });
}

/** RFC 8941 sf-string: printable ASCII with `\` and `"` escaped. Key ids are our own URLs, so ASCII. */
function sfString(text: string): string {
  if (!/^[\x20-\x7e]*$/.test(text)) throw new TypeError(`key id is not printable ASCII: ${JSON.stringify(text)}`);
  return `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/** The draft's quoted strings have no escaping at all: a key id with a quote cannot be expressed. */
function quotable(text: string): string {
  if (text.includes('"') || /[\r\n]/.test(text)) throw new TypeError(`key id cannot be put in a Signature header: ${JSON.stringify(text)}`);
  return text;
}
