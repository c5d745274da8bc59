/**
 * Content negotiation for the URLs that serve both ActivityPub JSON and HTML (pages, tombstones of
 * deleted posts). Fedify answers JSON when it has the document; a request that still reaches Herold's
 * own routes asking for JSON must not get HTML in its place (a peer would try to parse a web page as an actor). The rule mirrors Fedify's:
 * JSON wins unless HTML is the most preferred type.
 */
const JSON_TYPES = new Set(["application/activity+json", "application/ld+json", "application/json"]);
const HTML_TYPES = new Set(["text/html", "application/xhtml+xml"]);

export function wantsJson(accept: string | undefined): boolean {
  if (accept === undefined || accept.trim() === "") return false;
  const types = accept
    .split(",")
    .map((part, index) => {
      const [type = "", ...params] = part.split(";").map((s) => s.trim().toLowerCase());
      const q = params.map((p) => /^q=([01](?:\.\d{0,3})?)$/.exec(p)?.[1]).find((v) => v !== undefined);
      return { type, q: q === undefined ? 1 : Number(q), index };
    })
    .filter((t) => t.type !== "" && t.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  if (types.length === 0 || HTML_TYPES.has(types[0]!.type)) return false;
  return types.some((t) => JSON_TYPES.has(t.type));
}
