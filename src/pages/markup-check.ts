/**
 * Test support: small, strict readers for the markup the pages produce, used to check the rules
 * the pages promise — nothing is loaded from another origin, no inline style or script, feeds are
 * well-formed XML. Not a general HTML parser: good enough for markup Herold writes itself.
 */

export interface Tag {
  readonly name: string;
  readonly attributes: ReadonlyMap<string, string>;
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", "#39": "'" };

export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+\d*);/gi, (whole, name: string) => {
    if (name.startsWith("#x") || name.startsWith("#X")) return String.fromCodePoint(parseInt(name.slice(2), 16));
    if (name.startsWith("#") && name !== "#39") return String.fromCodePoint(parseInt(name.slice(1), 10));
    return ENTITIES[name] ?? whole;
  });
}

/** Every start tag with its attributes (values decoded), skipping comments. */
export function startTags(html: string): Tag[] {
  const tags: Tag[] = [];
  const source = html.replace(/<!--[\s\S]*?-->/g, "");
  for (const match of source.matchAll(/<([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^\s"'>/=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'=<>`]+))?)*)\s*\/?>/g)) {
    const attributes = new Map<string, string>();
    for (const attr of match[2]!.matchAll(/([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g)) {
      attributes.set(attr[1]!.toLowerCase(), decodeEntities(attr[2] ?? attr[3] ?? attr[4] ?? ""));
    }
    tags.push({ name: match[1]!.toLowerCase(), attributes });
  }
  return tags;
}

/**
 * Problems that would make a browser load something from another origin, or that the CSP would
 * block: resource URLs (src, srcset, poster, data, action, formaction, link href, base href,
 * og:image, CSS url()) on another origin, inline style/script, meta refresh, and links to other
 * origins that would leak the page as Referer or `window.opener`.
 */
export function foreignReferences(html: string, pageUrl: string): string[] {
  const origin = new URL(pageUrl).origin;
  const problems: string[] = [];
  const check = (what: string, value: string) => {
    let url: URL;
    try {
      url = new URL(value.trim(), pageUrl);
    } catch {
      problems.push(`${what}: unparseable URL ${JSON.stringify(value)}`);
      return;
    }
    if (url.origin !== origin) problems.push(`${what}: ${url.href} is not on ${origin}`);
  };
  for (const tag of startTags(html)) {
    const a = tag.attributes;
    if (tag.name === "script") problems.push("script element");
    if (tag.name === "style") problems.push("style element");
    if (a.has("style")) problems.push(`inline style on <${tag.name}>`);
    for (const name of a.keys()) if (name.startsWith("on")) problems.push(`event handler ${name} on <${tag.name}>`);
    if (tag.name === "meta" && (a.get("http-equiv") ?? "").toLowerCase() === "refresh") problems.push("meta refresh");
    if (tag.name === "meta" && /^(og|twitter):image/.test(a.get("property") ?? a.get("name") ?? "")) check("meta image", a.get("content") ?? "");
    for (const name of ["src", "poster", "data", "action", "formaction", "background"]) {
      const value = a.get(name);
      if (value !== undefined) check(`<${tag.name} ${name}>`, value);
    }
    const srcset = a.get("srcset");
    if (srcset !== undefined) for (const candidate of srcset.split(",")) check(`<${tag.name} srcset>`, candidate.trim().split(/\s+/)[0] ?? "");
    const href = a.get("href");
    if (href !== undefined) {
      if (tag.name === "a" || tag.name === "area") {
        // Following a link is the visitor's choice, not a load; it must not hand over the page.
        const target = new URL(href, pageUrl);
        const rel = (a.get("rel") ?? "").split(/\s+/);
        if (target.origin !== origin && !(rel.includes("noopener") && rel.includes("noreferrer"))) {
          problems.push(`<a href=${target.href}> to another origin without rel="noopener noreferrer"`);
        }
        if (!/^https?:$/.test(target.protocol)) problems.push(`<a href> with scheme ${target.protocol}`);
      } else {
        check(`<${tag.name} href>`, href);
      }
    }
  }
  return problems;
}

/** url(...) and @import references in a stylesheet that leave `origin`. */
export function foreignCssReferences(css: string, pageUrl: string): string[] {
  const origin = new URL(pageUrl).origin;
  const problems: string[] = [];
  const body = css.replace(/\/\*[\s\S]*?\*\//g, "");
  for (const match of body.matchAll(/url\(\s*(?:"([^"]*)"|'([^']*)'|([^)]*))\s*\)/gi)) {
    const value = (match[1] ?? match[2] ?? match[3] ?? "").trim();
    if (value.startsWith("data:")) continue;
    if (new URL(value, pageUrl).origin !== origin) problems.push(`url(${value})`);
  }
  for (const match of body.matchAll(/@import\s+([^;]+);/gi)) problems.push(`@import ${match[1]}`);
  return problems;
}

export interface XmlElement {
  readonly name: string;
  readonly attributes: ReadonlyMap<string, string>;
  readonly children: XmlElement[];
  text: string;
}

/**
 * A minimal, strict XML reader: XML declaration, elements, attributes, text, CDATA and the five
 * predefined plus numeric entities. Throws on anything not well-formed (unclosed or mismatched tags,
 * unquoted attributes, bare `&` or `<`, text outside the root, characters XML 1.0 forbids).
 */
export function parseXml(source: string): XmlElement {
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/.test(source)) throw new Error("character not allowed in XML 1.0");
  let rest = source.replace(/^\uFEFF?<\?xml[^?]*\?>\s*/, "");
  if (rest.length === source.length && source.startsWith("<?")) throw new Error("malformed XML declaration");
  const stack: XmlElement[] = [];
  let root: XmlElement | null = null;
  const checkText = (text: string) => {
    if (/<|&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/.test(text)) throw new Error(`bad character data: ${JSON.stringify(text.slice(0, 40))}`);
  };
  while (rest.length > 0) {
    const lt = rest.indexOf("<");
    const text = lt === -1 ? rest : rest.slice(0, lt);
    if (text !== "") {
      checkText(text);
      const parent = stack.at(-1);
      if (parent === undefined) {
        if (text.trim() !== "") throw new Error("text outside the root element");
      } else parent.text += decodeEntities(text);
    }
    if (lt === -1) break;
    rest = rest.slice(lt);
    if (rest.startsWith("<!--")) {
      const end = rest.indexOf("-->");
      if (end === -1) throw new Error("unterminated comment");
      rest = rest.slice(end + 3);
      continue;
    }
    if (rest.startsWith("<![CDATA[")) {
      const end = rest.indexOf("]]>");
      const parent = stack.at(-1);
      if (end === -1 || parent === undefined) throw new Error("bad CDATA section");
      parent.text += rest.slice(9, end);
      rest = rest.slice(end + 3);
      continue;
    }
    const close = /^<\/([A-Za-z_][\w.:-]*)\s*>/.exec(rest);
    if (close) {
      const open = stack.pop();
      if (open === undefined || open.name !== close[1]) throw new Error(`mismatched </${close[1]}>`);
      rest = rest.slice(close[0].length);
      continue;
    }
    const start = /^<([A-Za-z_][\w.:-]*)((?:\s+[A-Za-z_][\w.:-]*\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*(\/?)>/.exec(rest);
    if (!start) throw new Error(`malformed tag at ${JSON.stringify(rest.slice(0, 40))}`);
    const attributes = new Map<string, string>();
    for (const attr of start[2]!.matchAll(/([A-Za-z_][\w.:-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
      const value = attr[2] ?? attr[3] ?? "";
      checkText(value);
      if (attributes.has(attr[1]!)) throw new Error(`duplicate attribute ${attr[1]}`);
      attributes.set(attr[1]!, decodeEntities(value));
    }
    const element: XmlElement = { name: start[1]!, attributes, children: [], text: "" };
    const parent = stack.at(-1);
    if (parent !== undefined) parent.children.push(element);
    else if (root === null) root = element;
    else throw new Error("more than one root element");
    if (start[3] !== "/") stack.push(element);
    rest = rest.slice(start[0].length);
  }
  if (stack.length > 0) throw new Error(`unclosed <${stack.at(-1)!.name}>`);
  if (root === null) throw new Error("no root element");
  return root;
}

export function child(element: XmlElement, name: string): XmlElement | undefined {
  return element.children.find((c) => c.name === name);
}

export function children(element: XmlElement, name: string): XmlElement[] {
  return element.children.filter((c) => c.name === name);
}
