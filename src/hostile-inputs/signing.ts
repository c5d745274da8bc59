/**
 * Crafted HTTP signatures for the hostile-input suite and the fuzzer (test support, not imported by
 * production code). Unlike the delivery engine's signer (src/delivery/http-signature.ts), these sign
 * exactly the string the caller describes: an absolute `(request-target)`, a query the request does
 * not carry, a header list without `digest`, a Signature-Input without `@target-uri` … so a refusal
 * proves Herold checked *what* was signed, not merely that a signature is present and valid.
 */
import { hash, sign, type KeyObject } from "node:crypto";

export interface CavageCraft {
  readonly privateKey: KeyObject;
  readonly keyId: string;
  /** Names in signing order; default `(request-target) host date digest`. */
  readonly headers?: readonly string[];
  /** Values of the signed headers (lower-case names); `(request-target)` is the full value, e.g. `post /inbox`. */
  readonly values: Readonly<Record<string, string>>;
  /** `algorithm=` value; null leaves the parameter out. Default `rsa-sha256`. */
  readonly algorithm?: string | null;
  /** Raw text appended to the parameter list (e.g. `,created=123`). */
  readonly extra?: string;
  /** Spelling of the `headers` parameter value when it must differ from what was signed. */
  readonly headersParam?: string | null;
}

/** The signing string of draft-cavage-http-signatures-12 for `headers` and `values`. */
export function cavageSigningString(headers: readonly string[], values: Readonly<Record<string, string>>): string {
  return headers.map((name) => `${name}: ${values[name] ?? ""}`).join("\n");
}

/** A `Signature` header value signing exactly what `craft` describes. */
export function craftCavage(craft: CavageCraft): string {
  const headers = craft.headers ?? ["(request-target)", "host", "date", "digest"];
  const signature = sign("sha256", Buffer.from(cavageSigningString(headers, craft.values)), craft.privateKey).toString("base64");
  const parts = [`keyId="${craft.keyId}"`];
  const algorithm = craft.algorithm === undefined ? "rsa-sha256" : craft.algorithm;
  if (algorithm !== null) parts.push(`algorithm="${algorithm}"`);
  const headersParam = craft.headersParam === undefined ? headers.join(" ") : craft.headersParam;
  if (headersParam !== null) parts.push(`headers="${headersParam}"`);
  parts.push(`signature="${signature}"`);
  return parts.join(",") + (craft.extra ?? "");
}

export interface Rfc9421Craft {
  readonly privateKey: KeyObject;
  readonly keyId: string;
  /** Covered component names without quotes, e.g. `@method`, `@target-uri`, `content-digest`. */
  readonly components: readonly string[];
  /** Values of the covered components. */
  readonly values: Readonly<Record<string, string>>;
  /** Seconds since the epoch. */
  readonly created: number;
  readonly label?: string;
  /** Label used in the Signature header when it must differ from Signature-Input's. */
  readonly signatureLabel?: string;
  readonly alg?: string | null;
}

/** `Signature-Input` and `Signature` values (RFC 9421) signing exactly the described components. */
export function craftRfc9421(craft: Rfc9421Craft): { "signature-input": string; signature: string } {
  const label = craft.label ?? "sig1";
  const alg = craft.alg === undefined ? "rsa-v1_5-sha256" : craft.alg;
  const list = `(${craft.components.map((c) => `"${c}"`).join(" ")})`;
  const params = `${list};created=${craft.created};keyid="${craft.keyId}"${alg !== null ? `;alg="${alg}"` : ""}`;
  const base = [...craft.components.map((c) => `"${c}": ${craft.values[c] ?? ""}`), `"@signature-params": ${params}`].join("\n");
  const signature = sign("sha256", Buffer.from(base), craft.privateKey).toString("base64");
  return { "signature-input": `${label}=${params}`, signature: `${craft.signatureLabel ?? label}=:${signature}:` };
}

/** `Digest` (RFC 3230) and `Content-Digest` (RFC 9530) values of `body` with SHA-256. */
export function digests(body: string | Uint8Array): { digest: string; contentDigest: string } {
  const value = hash("sha256", typeof body === "string" ? Buffer.from(body) : body, "base64");
  return { digest: `SHA-256=${value}`, contentDigest: `sha-256=:${value}:` };
}

/** Headers of a draft-cavage POST of `body` to `url` whose Signature is `craft`ed from the real values unless overridden. */
export function cavageRequest(
  url: string,
  body: string,
  key: { keyId: string; privateKey: KeyObject },
  options: {
    now?: Date;
    override?: Readonly<Record<string, string>>;
    headers?: readonly string[];
    algorithm?: string | null;
    extra?: string;
    headersParam?: string | null;
  } = {},
): Record<string, string> {
  const target = new URL(url);
  const values: Record<string, string> = {
    "(request-target)": `post ${target.pathname}${target.search}`,
    host: target.host,
    date: (options.now ?? new Date()).toUTCString(),
    digest: digests(body).digest,
    "content-type": "application/activity+json",
    ...options.override,
  };
  const signature = craftCavage({
    privateKey: key.privateKey,
    keyId: key.keyId,
    values,
    ...(options.headers !== undefined ? { headers: options.headers } : {}),
    ...(options.algorithm !== undefined ? { algorithm: options.algorithm } : {}),
    ...(options.extra !== undefined ? { extra: options.extra } : {}),
    ...(options.headersParam !== undefined ? { headersParam: options.headersParam } : {}),
  });
  return { date: values["date"]!, digest: digests(body).digest, "content-type": "application/activity+json", signature };
}
