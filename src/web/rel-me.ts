import type { GuardedHttpClient } from "../net/guarded-client.ts";
import { safeFetch } from "../net/safe-fetch.ts";

/**
 * rel=me link verification (as Mastodon does it): a profile field's link is verified when the linked
 * page links back to the profile with rel="me". The page is fetched through the SSRF guard with a
 * size cap and deadline; only `<a>` and `<link>` start tags are read.
 */
export async function verifyRelMe(
  link: string,
  profileUrls: readonly string[],
  options: { guardedClient: GuardedHttpClient; allowHttp: boolean; timeoutMs?: number },
): Promise<{ verified: boolean; detail: string }> {
  const result = await safeFetch(link, {
    guardedClient: options.guardedClient,
    allowHttp: options.allowHttp,
    headers: { accept: "text/html,application/xhtml+xml;q=0.9" },
    maxBytes: 1_048_576,
    timeoutMs: options.timeoutMs ?? 10_000,
    maxRedirects: 3,
  });
  if (!result.ok) return { verified: false, detail: `could not fetch the page (${result.error})` };
  if (result.value.status !== 200) return { verified: false, detail: `the page answered ${result.value.status}` };
  const type = result.value.headers["content-type"] ?? "";
  if (!/^(text\/html|application\/xhtml\+xml)/i.test(type)) return { verified: false, detail: "the link is not an HTML page" };
  const targets = new Set(profileUrls.map(normalise));
  for (const tag of linkTags(result.value.body.toString("utf8"))) {
    const rels = (tag.rel ?? "").toLowerCase().split(/\s+/);
    if (!rels.includes("me") || tag.href === undefined) continue;
    let href: string;
    try {
      href = new URL(decodeEntities(tag.href), result.value.finalUrl).href;
    } catch {
      continue;
    }
    if (targets.has(normalise(href))) return { verified: true, detail: "links back with rel=me" };
  }
  return { verified: false, detail: "no rel=\"me\" link back to this profile on the page" };
}

function normalise(url: string): string {
  try {
    const u = new URL(url);
    u.hash = "";
    return u.href.replace(/\/$/, "");
  } catch {
    return url;
  }
}

function decodeEntities(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|#39|#x27);/g, (_, e: string) => ({ amp: "&", lt: "<", gt: ">", quot: '"', "#39": "'", "#x27": "'" })[e] ?? _);
}

/** `rel` and `href` of every `<a>` and `<link>` start tag. */
function* linkTags(page: string): Generator<{ rel?: string; href?: string }> {
  const source = page.replace(/<!--[\s\S]*?-->/g, "");
  for (const match of source.matchAll(/<(a|link)\b((?:\s+[^\s"'>/=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'=<>`]+))?)*)\s*\/?>/gi)) {
    const attrs: Record<string, string> = {};
    for (const attr of match[2]!.matchAll(/([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g)) {
      attrs[attr[1]!.toLowerCase()] = attr[2] ?? attr[3] ?? attr[4] ?? "";
    }
    yield { rel: attrs.rel, href: attrs.href };
  }
}
