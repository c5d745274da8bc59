import { sign, type KeyObject } from "node:crypto";
import type { SignHook } from "../../net/safe-fetch.ts";

export interface GetSigningKey {
  readonly keyId: string;
  readonly privateKey: KeyObject;
}

/**
 * A draft-cavage (HTTP Signatures draft 12) signer for GETs, as a `safeFetch` sign hook, so each
 * redirect hop is signed for its own URL. Signs `(request-target) host date accept`, what Mastodon
 * signs on its fetches; RSA-SHA256 with a node:crypto KeyObject (no WebCrypto import per request).
 *
 * `withQuery: false` leaves the query string out of `(request-target)`: GoToSocial signs with it and
 * retries without it after a 401, because verifiers disagree (draft 12 includes it, some servers
 * compare only the path). The document fetcher does the same double knock.
 *
 * Outbound POST deliveries are signed by the delivery engine's own hot-path signer; this one is
 * only for fetches.
 */
export function signGetHook(key: () => Promise<GetSigningKey> | GetSigningKey, options: { withQuery: boolean; now: () => Date }): SignHook {
  return async ({ method, url, headers }) => {
    const { keyId, privateKey } = await key();
    const date = options.now().toUTCString();
    const target = `${method.toLowerCase()} ${url.pathname}${options.withQuery ? url.search : ""}`;
    const accept = headers["accept"] ?? "";
    const signed = ["(request-target)", "host", "date", ...(accept !== "" ? ["accept"] : [])];
    const lines = [`(request-target): ${target}`, `host: ${url.host}`, `date: ${date}`, ...(accept !== "" ? [`accept: ${accept}`] : [])];
    const signature = sign("sha256", Buffer.from(lines.join("\n")), privateKey).toString("base64");
    return {
      date,
      signature: `keyId="${keyId}",algorithm="rsa-sha256",headers="${signed.join(" ")}",signature="${signature}"`,
    };
  };
}
