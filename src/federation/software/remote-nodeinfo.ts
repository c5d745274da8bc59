import { err, ok, type Result } from "../../lib/result.ts";
import { isJsonObject, parseJsonLimited, type JsonObject } from "../../net/json-limits.ts";
import type { DocumentSource } from "../fetch/document-fetcher.ts";

/** What a server's NodeInfo says it runs. `name` is NodeInfo's `[a-z0-9-]+`. */
export interface RemoteSoftware {
  readonly name: string;
  readonly version: string | null;
}

export type NodeInfoError =
  /** The guard, the limits or the network refused or failed the request (the message says which). */
  | "fetch-failed"
  | "http-status"
  | "not-json"
  | "no-nodeinfo-link"
  | "bad-document";

export interface NodeInfoLimits {
  /** Cap on each of the two documents (NodeInfo documents are a few hundred bytes). */
  readonly maxBytes: number;
  /** Deadline for each of the two requests. */
  readonly timeoutMs: number;
  /** Plain http as a second try (dev and test only: config `allowPrivateAddress`). */
  readonly allowHttp: boolean;
}

const SCHEMA_REL = /^https?:\/\/nodeinfo\.diaspora\.software\/ns\/schema\/2\.(\d)$/;
const SOFTWARE_NAME = /^[a-z0-9-]{1,64}$/;
const JSON_LIMITS = { maxDepth: 16, maxStringLength: 10_000 };
const ACCEPT = "application/json";

/**
 * Asks `host` what software it runs: `/.well-known/nodeinfo`, then the newest 2.x document it links
 * to, both through the guarded fetcher (SSRF guard on every connection and redirect, domain blocks,
 * size and time limits). The linked document must be on the same host: a server speaks for itself,
 * and Herold does not fetch third-party URLs on a remote server's say-so. Only the software's name
 * and version are taken; both are checked (name as NodeInfo defines it, version printable and short),
 * since they reach the Insights pages and CSV.
 */
export async function fetchRemoteSoftware(
  host: string,
  documents: Pick<DocumentSource, "fetchJson">,
  limits: NodeInfoLimits,
): Promise<Result<RemoteSoftware, NodeInfoError>> {
  const index = await fetchObject(`https://${host}/.well-known/nodeinfo`, documents, limits, limits.allowHttp ? `http://${host}/.well-known/nodeinfo` : null);
  if (!index.ok) return index;
  const link = newestLink(index.value.document, host, index.value.scheme);
  if (link === null) return err("no-nodeinfo-link", `${host} lists no NodeInfo 2.x document on its own host`);
  const document = await fetchObject(link, documents, limits, null);
  if (!document.ok) return document;
  const software = document.value.document.software;
  if (software === undefined || software === null || typeof software !== "object" || Array.isArray(software)) {
    return err("bad-document", `${link} has no software object`);
  }
  const name = typeof software.name === "string" ? software.name.trim().toLowerCase() : "";
  if (!SOFTWARE_NAME.test(name)) return err("bad-document", `${link} names no software in [a-z0-9-]`);
  const rawVersion = typeof software.version === "string" ? software.version.replace(/[^\x20-\x7e]/g, "").trim().slice(0, 64) : "";
  return ok({ name, version: rawVersion === "" ? null : rawVersion });
}

async function fetchObject(
  url: string,
  documents: Pick<DocumentSource, "fetchJson">,
  limits: NodeInfoLimits,
  fallback: string | null,
): Promise<Result<{ document: JsonObject; scheme: string }, NodeInfoError>> {
  let response = await documents.fetchJson(url, { accept: ACCEPT, maxBytes: limits.maxBytes, timeoutMs: limits.timeoutMs });
  let used = url;
  // Only where plain http is allowed (dev, tests), and only when https found no server at all.
  if (!response.ok && fallback !== null && (response.error === "network" || response.error === "bad-response")) {
    response = await documents.fetchJson(fallback, { accept: ACCEPT, maxBytes: limits.maxBytes, timeoutMs: limits.timeoutMs });
    used = fallback;
  }
  if (!response.ok) return err("fetch-failed", `${used}: ${response.error}: ${response.message}`);
  const { status, body } = response.value;
  if (status !== 200) return err("http-status", `${used} answered ${status}`);
  const parsed = parseJsonLimited(body.toString("utf8"), JSON_LIMITS);
  if (!parsed.ok) return err("not-json", `${used}: ${parsed.error}`);
  if (!isJsonObject(parsed.value)) return err("not-json", `${used} is not a JSON object`);
  return ok({ document: parsed.value, scheme: new URL(used).protocol });
}

/** The href of the highest 2.x schema among `links`, if it is on `host` (and the scheme used). */
function newestLink(index: JsonObject, host: string, scheme: string): string | null {
  if (!Array.isArray(index.links)) return null;
  let best: { minor: number; href: string } | null = null;
  for (const link of index.links) {
    if (link === null || typeof link !== "object" || Array.isArray(link)) continue;
    const match = typeof link.rel === "string" ? SCHEMA_REL.exec(link.rel) : null;
    if (match === null || typeof link.href !== "string") continue;
    let href: URL;
    try {
      href = new URL(link.href);
    } catch {
      continue;
    }
    // A server behind a TLS proxy may list its document as http: it is fetched as https all the same.
    if (scheme === "https:" && href.protocol === "http:") href.protocol = "https:";
    if (href.host !== host || href.protocol !== scheme) continue;
    const minor = Number(match[1]);
    if (best === null || minor > best.minor) best = { minor, href: href.href };
  }
  return best?.href ?? null;
}

/** The UTC day `YYYY-MM-DD` of `at`: NodeInfo is fetched at most once per host and UTC day. */
export function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/** `host` (a name or address, with an optional port) in the form URLs give it, or null if it is none. */
export function normalizeHost(host: string): string | null {
  if (host.length === 0 || host.length > 260 || /[\s/?#@\\]/.test(host)) return null;
  try {
    const url = new URL(`https://${host}`);
    return url.host === host.toLowerCase() ? url.host : null;
  } catch {
    return null;
  }
}
