import { isIP } from "node:net";
import type { Kysely } from "kysely";
import type { DB } from "../db/schema.ts";

/**
 * Reads the operator's domain blocks (`domain_blocks`). A block covers the domain and all its
 * subdomains (Mastodon's rule), so blocking `evil.example` also refuses `a.evil.example`. Entries
 * may name a port (`127.0.0.1:4567`, useful on test networks); then only that origin is blocked.
 *
 * Looked up on every request rather than cached: the table is tiny, the lookup is one indexed query,
 * and a block added from the CLI in another process must apply to the very next request.
 */
export class DomainBlocks {
  readonly #db: Kysely<DB>;

  constructor(db: Kysely<DB>) {
    this.#db = db;
  }

  /** True when the host of `url` (a URL or a bare host) is blocked. Unparseable input counts as not blocked: callers refuse it anyway. */
  async isBlocked(url: string | URL): Promise<boolean> {
    return (await this.firstBlocked([url])) !== null;
  }

  /** The first of `urls` whose host is blocked, or null. One query for all of them. */
  async firstBlocked(urls: readonly (string | URL)[]): Promise<string | null> {
    const candidates = new Map<string, string>();
    for (const url of urls) {
      const host = hostOf(url);
      if (host === null) continue;
      for (const candidate of blockCandidates(host)) candidates.set(candidate, host.host);
    }
    if (candidates.size === 0) return null;
    const row = await this.#db.selectFrom("domain_blocks").select("domain").where("domain", "in", [...candidates.keys()]).executeTakeFirst();
    return row === undefined ? null : (candidates.get(row.domain) ?? row.domain);
  }
}

interface Host {
  /** Host name without port, lower case, no trailing dot. */
  readonly name: string;
  /** With port when the URL has a non-default one. */
  readonly host: string;
}

function hostOf(input: string | URL): Host | null {
  let url: URL;
  try {
    url = typeof input === "string" ? new URL(input.includes("://") ? input : `https://${input}`) : input;
  } catch {
    return null;
  }
  const name = url.hostname.toLowerCase().replace(/\.$/, "");
  if (name === "") return null;
  return { name, host: url.port === "" ? name : `${name}:${url.port}` };
}

/** `a.b.example` → `a.b.example`, `b.example`, `example` (plus the host with its port when it has one). */
export function blockCandidates(host: Host): string[] {
  const out = [host.host];
  if (host.host !== host.name) out.push(host.name);
  const bare = host.name.replace(/^\[|\]$/g, "");
  if (isIP(bare) !== 0) return out;
  const labels = host.name.split(".");
  for (let i = 1; i < labels.length; i++) out.push(labels.slice(i).join("."));
  return out;
}
