/**
 * Which URLs Herold may fetch or deliver to, checked before any connection and again on every redirect hop.
 *
 * Threats:
 * - Scheme tricks (docs/research/hostile-inputs.md case 12; Fedify CVE-2026-62857): `data:`, `file:`, `javascript:`,
 *   `gopher:` and friends reach things that are not a remote server. Only https is allowed, plus http when
 *   `allowHttp` is set (dev/test; production federation is https-only).
 * - Host confusion (case 3; Mastodon CVE-2023-42451): URLs are parsed with the WHATWG parser only, never
 *   with string surgery, so `a.example%2F@b.example`, backslashes, numeric hosts (`2130706433`, `0x7f.1`)
 *   and IDN all mean what a browser thinks they mean. Userinfo is refused outright: it has no legitimate
 *   use in federation and is the classic way to make a URL look like another host.
 * - Literal IP hosts are judged here by the address policy, so `http://169.254.169.254/` is refused
 *   without a connection attempt. Names are judged after resolution by the guarded connector.
 *
 * Normalisation (lower-case host, one trailing dot removed, fragment dropped) gives one spelling per
 * resource, which the id comparisons in fetch-document.ts rely on.
 */
import { isIPv4 } from "node:net";
import { err, ok, type Result } from "../lib/result.ts";
import { isAddressAllowed, type AddressPolicy } from "./address-policy.ts";

export type UrlPolicyError = "forbidden-url" | "forbidden-address";

export interface UrlPolicy {
  /** Allow plain http:. Dev and test only; set it from `allowPrivateAddress`. */
  readonly allowHttp: boolean;
  readonly addressPolicy: AddressPolicy;
  /** Longer URLs are refused (default 8192 characters): nothing legitimate needs more, and ids get stored. */
  readonly maxUrlLength?: number;
}

const DEFAULT_MAX_URL_LENGTH = 8192;

/**
 * Parses `input` as an absolute URL and normalises it: host lower case (the parser does this for http(s)),
 * one trailing dot removed from the host, fragment removed (never sent to a server, so it cannot tell two
 * resources apart). Undefined if it does not parse. Applies no policy; see `checkUrl`.
 */
export function normalizeUrl(input: string | URL): URL | undefined {
  let url: URL;
  try {
    url = new URL(typeof input === "string" ? input : input.href);
  } catch {
    return undefined;
  }
  if (url.hostname.endsWith(".") && !url.hostname.startsWith("[")) url.hostname = url.hostname.slice(0, -1);
  url.hash = "";
  return url;
}

/** Same scheme, host and port, after normalisation. */
export function sameOrigin(a: URL, b: URL): boolean {
  return a.protocol === b.protocol && a.host === b.host;
}

/**
 * Checks that `input` is a URL Herold may request under `policy` and returns its normalised form.
 * `forbidden-address` means the host is an IP literal the address policy refuses (or `localhost`).
 */
export function checkUrl(input: string | URL, policy: UrlPolicy): Result<URL, UrlPolicyError> {
  const text = typeof input === "string" ? input : input.href;
  const maxLength = policy.maxUrlLength ?? DEFAULT_MAX_URL_LENGTH;
  if (text.length > maxLength) return err("forbidden-url", `URL longer than ${maxLength} characters`);
  const url = normalizeUrl(text);
  if (url === undefined) return err("forbidden-url", "not an absolute URL");

  if (url.protocol !== "https:" && !(url.protocol === "http:" && policy.allowHttp)) {
    return err("forbidden-url", `scheme ${url.protocol} is not allowed`);
  }
  if (url.username !== "" || url.password !== "") return err("forbidden-url", "URLs with userinfo are not allowed");
  const host = url.hostname;
  if (host === "") return err("forbidden-url", "URL has no host");
  if (url.port === "0") return err("forbidden-url", "port 0 is not allowed");
  const port = url.port !== "" ? Number(url.port) : url.protocol === "https:" ? 443 : 80;

  if (host.startsWith("[")) {
    if (!isAddressAllowed(policy.addressPolicy, host, port)) return err("forbidden-address", `address ${host} is not allowed`);
    return ok(url);
  }
  if (isIPv4(host)) {
    if (!isAddressAllowed(policy.addressPolicy, host, port)) return err("forbidden-address", `address ${host} is not allowed`);
    return ok(url);
  }
  // The parser turns every numeric spelling of an IPv4 host into a dotted quad, so anything left is a name.
  if (host.endsWith(".") || host.split(".").some((label) => label === "")) {
    return err("forbidden-url", `host ${JSON.stringify(host)} has an empty label`);
  }
  if (!policy.addressPolicy.allowPrivateAddress) {
    // RFC 6761: these names are loopback by definition; refuse without asking the resolver.
    if (host === "localhost" || host.endsWith(".localhost")) return err("forbidden-address", `host ${host} is loopback`);
    // Single-label names resolve through the local search domains, i.e. to internal hosts.
    if (!host.includes(".")) return err("forbidden-url", `host ${JSON.stringify(host)} is not a fully qualified name`);
  }
  return ok(url);
}
