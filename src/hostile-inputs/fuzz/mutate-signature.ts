/**
 * Signature header mutations for the fuzzer (test support): draft-cavage `Signature` and RFC 9421
 * `Signature-Input`/`Signature` with duplicate or missing parameters, empty or partial `headers`,
 * unknown algorithms, case variants, several signatures, absolute `(request-target)`, query
 * variants, truncated or garbled base64, wrong and respelled key ids, clock skew and digest tricks.
 * A share of cases is signed genuinely, so mutated documents also get past the door.
 */
import type { KeyObject } from "node:crypto";
import { cavageSigningString, craftRfc9421, digests } from "../signing.ts";
import { sign } from "node:crypto";
import { respell } from "./mutate-json.ts";
import type { Rng } from "./random.ts";

export interface SigningInput {
  /** The inbox URL as the instance sees it (its public origin). */
  readonly url: string;
  readonly body: Uint8Array;
  readonly keyId: string;
  readonly privateKey: KeyObject;
  /** Another actor's key id (for "wrong key id" cases). */
  readonly otherKeyId: string;
  /** Herold's own actor URL (a "local" key id is always forged). */
  readonly localKeyId: string;
  readonly now: Date;
}

export interface SignedCase {
  readonly name: string;
  /** Whether the signature is expected to verify (the door may still refuse the body). */
  readonly genuine: boolean;
  /** URL to POST to (query variants change it). */
  readonly url: string;
  readonly headers: Record<string, string>;
}

const SIGNED = ["(request-target)", "host", "date", "digest"];

export function signedCase(rng: Rng, input: SigningInput): SignedCase {
  const target = new URL(input.url);
  const base = {
    "(request-target)": `post ${target.pathname}${target.search}`,
    host: target.host,
    date: input.now.toUTCString(),
    digest: digests(input.body).digest,
  };
  const cavage = (options: { values?: Partial<typeof base>; headers?: readonly string[]; params?: (p: Record<string, string>) => string; keyId?: string; key?: KeyObject } = {}) => {
    const values = { ...base, ...options.values };
    const headers = options.headers ?? SIGNED;
    const signature = sign("sha256", Buffer.from(cavageSigningString(headers, values)), options.key ?? input.privateKey).toString("base64");
    const params: Record<string, string> = { keyId: options.keyId ?? input.keyId, algorithm: "rsa-sha256", headers: headers.join(" "), signature };
    const header = options.params ? options.params(params) : Object.entries(params).map(([k, v]) => `${k}="${v}"`).join(",");
    return { date: values.date, digest: digests(input.body).digest, signature: header, "content-type": "application/activity+json" };
  };
  const rfc = (options: { components?: string[]; created?: number; label?: string; signatureLabel?: string; alg?: string | null; uri?: string; keyId?: string } = {}) => {
    const values = { "@method": "POST", "@target-uri": options.uri ?? input.url, "content-digest": digests(input.body).contentDigest };
    const signed = craftRfc9421({
      privateKey: input.privateKey,
      keyId: options.keyId ?? input.keyId,
      components: options.components ?? ["@method", "@target-uri", "content-digest"],
      values,
      created: options.created ?? Math.floor(input.now.getTime() / 1000),
      ...(options.label !== undefined ? { label: options.label } : {}),
      ...(options.signatureLabel !== undefined ? { signatureLabel: options.signatureLabel } : {}),
      ...(options.alg !== undefined ? { alg: options.alg } : {}),
    });
    return { "content-type": "application/activity+json", "content-digest": values["content-digest"], date: input.now.toUTCString(), ...signed };
  };
  const quoted = (p: Record<string, string>, order = Object.keys(p)) => order.map((k) => `${k}="${p[k]}"`).join(",");
  const skew = (seconds: number) => new Date(input.now.getTime() + seconds * 1000).toUTCString();

  const name = rng.weighted<string>([
    [30, "genuine-cavage"], [10, "genuine-rfc9421"], [2, "skew-inside"], [3, "skew-outside"], [2, "duplicate-keyid"], [2, "duplicate-signature"],
    [2, "missing-headers"], [2, "empty-headers"], [2, "headers-without-digest"], [1, "headers-without-date"], [1, "headers-without-target"],
    [2, "unknown-algorithm"], [2, "param-case"], [1, "header-name-case"], [2, "several-signatures"], [2, "absolute-target"],
    [2, "query-signed-not-sent"], [2, "query-sent-not-signed"], [2, "truncated-base64"], [2, "garbled-base64"], [2, "other-key-id"],
    [2, "respelled-key-id"], [1, "local-key-id"], [1, "unknown-key-id"], [2, "digest-mismatch"], [1, "digest-sha512-only"],
    [1, "digest-missing"], [1, "signature-missing"], [2, "rfc-missing-component"], [1, "rfc-label-mismatch"], [1, "rfc-created-skew"],
    [1, "rfc-unknown-alg"], [1, "rfc-other-uri"], [1, "rfc-duplicate-label"], [1, "rfc-garbage-input"], [1, "unknown-param"],
  ]);
  let url = input.url;
  let headers: Record<string, string>;
  let genuine = false;
  switch (name) {
    case "genuine-cavage":
      headers = cavage({ params: (p) => quoted(p, rng.chance(0.3) ? ["signature", "headers", "algorithm", "keyId"] : Object.keys(p)) });
      genuine = true;
      break;
    case "genuine-rfc9421":
      headers = rfc();
      genuine = true;
      break;
    case "skew-inside":
      headers = cavage({ values: { date: skew(rng.int(-3000, 3000)) } });
      genuine = true;
      break;
    case "skew-outside":
      headers = cavage({ values: { date: skew(rng.pick([-1, 1]) * rng.int(3700, 864_000)) } });
      break;
    case "duplicate-keyid":
      headers = cavage({ params: (p) => `${quoted(p)},keyId="${rng.chance(0.5) ? input.otherKeyId : input.keyId}"` });
      break;
    case "duplicate-signature":
      headers = cavage({ params: (p) => `signature="${p["signature"]!.slice(4)}AAAA",${quoted(p)}` });
      break;
    case "missing-headers":
      headers = cavage({ headers: ["date"], params: (p) => quoted(p, ["keyId", "algorithm", "signature"]) });
      break;
    case "empty-headers":
      headers = cavage({ headers: ["date"], params: (p) => quoted({ ...p, headers: "" }) });
      break;
    case "headers-without-digest":
      headers = cavage({ headers: ["(request-target)", "host", "date"] });
      break;
    case "headers-without-date":
      headers = cavage({ headers: ["(request-target)", "host", "digest"] });
      break;
    case "headers-without-target":
      headers = cavage({ headers: ["host", "date", "digest"] });
      break;
    case "unknown-algorithm":
      headers = cavage({ params: (p) => quoted({ ...p, algorithm: rng.pick(["rsa-sha1", "hmac-sha256", "ed25519", "", "none", "RSA-SHA512"]) }) });
      break;
    case "param-case":
      headers = cavage({ params: (p) => quoted(p).replace(rng.pick(["keyId=", "signature=", "headers=", "algorithm="]), (m) => (rng.chance(0.5) ? m.toUpperCase() : m.toLowerCase())) });
      break;
    case "header-name-case":
      headers = cavage({ headers: ["(Request-Target)", "Host", "Date", "Digest"] });
      break;
    case "several-signatures":
      headers = cavage();
      headers["signature"] = `${headers["signature"]}, ${cavage({ keyId: input.otherKeyId })["signature"]}`;
      break;
    case "absolute-target":
      headers = cavage({ values: { "(request-target)": `post ${input.url}` } });
      break;
    case "query-signed-not-sent":
      headers = cavage({ values: { "(request-target)": `post ${target.pathname}?page=1` } });
      break;
    case "query-sent-not-signed":
      headers = cavage();
      url = `${input.url}?${rng.pick(["page=1", "x=%2F%2F", "a=b&a=c"])}`;
      genuine = true; // draft-cavage compares the path; the inbox gives the query no meaning
      break;
    case "truncated-base64":
      headers = cavage({ params: (p) => quoted({ ...p, signature: p["signature"]!.slice(0, rng.int(0, p["signature"]!.length - 1)) }) });
      break;
    case "garbled-base64":
      headers = cavage({ params: (p) => quoted({ ...p, signature: p["signature"]!.replace(/[A-Za-z]/g, (c) => (rng.chance(0.05) ? rng.pick(["!", "*", "-", "_", "=", " "]) : c)) }) });
      break;
    case "other-key-id":
      headers = cavage({ keyId: input.otherKeyId });
      break;
    case "respelled-key-id":
      headers = cavage({ keyId: respell(rng, input.keyId).replace(/"/g, "") });
      break;
    case "local-key-id":
      headers = cavage({ keyId: input.localKeyId });
      break;
    case "unknown-key-id":
      headers = cavage({ keyId: `${new URL(input.keyId).origin}/keys/${rng.int(0, 1e9)}` });
      break;
    case "digest-mismatch":
      headers = cavage({ values: { digest: digests(`${rng.int(0, 1e9)}`).digest } });
      headers["digest"] = headers["digest"]!;
      break;
    case "digest-sha512-only":
      headers = cavage();
      headers["digest"] = `SHA-512=${Buffer.alloc(64, 7).toString("base64")}`;
      break;
    case "digest-missing": {
      const { digest: _digest, ...rest } = cavage();
      headers = rest;
      break;
    }
    case "signature-missing": {
      const { signature: _signature, ...rest } = cavage();
      headers = rest;
      break;
    }
    case "rfc-missing-component":
      headers = rfc({ components: rng.pick([["@method", "content-digest"], ["@target-uri", "content-digest"], ["@method", "@target-uri"], []]) });
      break;
    case "rfc-label-mismatch":
      headers = rfc({ signatureLabel: "sig2" });
      break;
    case "rfc-created-skew":
      headers = rfc({ created: Math.floor(input.now.getTime() / 1000) + rng.pick([-1, 1]) * rng.int(3700, 864_000) });
      break;
    case "rfc-unknown-alg":
      headers = rfc({ alg: rng.pick(["hmac-sha256", "ecdsa-p256-sha256", "", "rsa-pss-sha512"]) });
      break;
    case "rfc-other-uri":
      headers = rfc({ uri: `${input.url}x` });
      break;
    case "rfc-duplicate-label": {
      headers = rfc();
      headers["signature-input"] = `${headers["signature-input"]}, ${headers["signature-input"]}`;
      break;
    }
    case "rfc-garbage-input":
      headers = rfc();
      headers["signature-input"] = rng.pick(["sig1=", "sig1=(", 'sig1=("@method";created=1', "sig1=()", "=()", "sig1=(\"@method\" \"@target-uri\" \"content-digest\");keyid=1"]);
      break;
    default:
      headers = cavage({ params: (p) => `${quoted(p)},${rng.pick(["nonce", "created", "expires", "KeyID", "x"])}="1"` });
      break;
  }
  return { name, genuine, url, headers };
}
