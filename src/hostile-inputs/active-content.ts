/**
 * XSS payload classes (hostile-inputs case 14; Mastodon CVE-2023-36459 and CVE-2023-42452) and a
 * checker for rendered pages (test support, not imported by production code).
 *
 * The checker reads every start tag of a page Herold rendered and fails on anything a browser could
 * run or that would make it contact another server: script elements with inline code or a foreign
 * source, event-handler attributes, dangerous elements, javascript:/vbscript:/data: URLs in any
 * URL-bearing attribute, and images from other origins (no hot-linking: visitors' addresses stay here).
 */

/** One payload per class; each carries the marker `XSS` so tests can find where it ended up. */
export const XSS_PAYLOADS: readonly string[] = [
  `<script>alert("XSS")</script>`,
  `<img src=x onerror=alert("XSS")>`,
  `<a href="javascript:alert('XSS')">XSS link</a>`,
  `<a href="jAvAsCrIpT&colon;alert('XSS')">XSS entity scheme</a>`,
  `<a href="java&#x09;script:alert('XSS')">XSS tab in scheme</a>`,
  `<a href=" &#14;javascript:alert('XSS')">XSS control before scheme</a>`,
  `<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgnWFNTJyk8L3NjcmlwdD4=">XSS data</a>`,
  `<a href="vbscript:msgbox('XSS')">XSS vb</a>`,
  `<a href="//evil.example/XSS">XSS protocol-relative</a>`,
  `<a href="https://ok.example/" onclick="alert('XSS')" style="position:fixed;inset:0">XSS handler on a good link</a>`,
  `<svg onload=alert("XSS")><circle r=1 /></svg>`,
  `<math><mtext><table><mglyph><style><img src=x onerror=alert("XSS")></style></mglyph></table></mtext></math>`,
  `<noscript><p title="</noscript><img src=x onerror=alert('XSS')>"></noscript>`,
  `<iframe srcdoc="<script>alert('XSS')</script>"></iframe>`,
  `<object data="javascript:alert('XSS')"></object><embed src="javascript:alert('XSS')">`,
  `<style>@import 'https://evil.example/XSS.css';</style><p style="background:url(javascript:alert('XSS'))">XSS style</p>`,
  `<form action="javascript:alert('XSS')"><button formaction="javascript:alert('XSS')">XSS</button><input autofocus onfocus=alert('XSS')></form>`,
  `</p></div></article><script>alert("XSS")</script><div>`,
  `<!--<script>alert("XSS")</script>--><![CDATA[<script>alert("XSS")</script>]]>`,
  `<template><script>alert("XSS")</script></template><textarea></textarea><script>alert("XSS")</script>`,
  `<base href="https://evil.example/"><meta http-equiv="refresh" content="0;url=javascript:alert('XSS')">`,
  `<a href="https://ok.example@evil.example/">XSS userinfo</a><img src="https://evil.example/XSS.png">`,
  `<p class="invisible h-card ellipsis x-evil" data-x="XSS" id="XSS" lang="en&quot; onmouseover=&quot;alert(1)">XSS attributes</p>`,
  `<scr<script>ipt>alert("XSS")</scr</script>ipt>`,
  `"><script>alert("XSS")</script>`,
  `'" onmouseover="alert('XSS')`,
];

export interface ActiveContent {
  readonly tag: string;
  readonly problem: string;
}

const DANGEROUS_ELEMENTS = new Set(["iframe", "frame", "frameset", "object", "embed", "applet", "svg", "math", "style", "base", "template", "noscript", "portal"]);
const URL_ATTRIBUTES = new Set(["href", "src", "action", "formaction", "data", "poster", "srcset", "xlink:href", "background", "cite", "ping"]);
const SAFE_SCHEMES = ["http", "https", "mailto", "dat", "dweb", "ipfs", "ipns", "ssb", "gopher", "xmpp", "magnet", "gemini"];

/** Problems in `page`, rendered by Herold for `origin`. */
export function activeContent(page: string, origin: string): ActiveContent[] {
  const problems: ActiveContent[] = [];
  const tagPattern = /<([a-zA-Z][a-zA-Z0-9:-]*)((?:\s+[^\s"'>/=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'=<>`]+))?)*)\s*\/?>/g;
  for (const match of page.matchAll(tagPattern)) {
    const tag = match[0];
    const name = match[1]!.toLowerCase();
    const attributes = [...match[2]!.matchAll(/([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g)].map((a) => ({
      name: a[1]!.toLowerCase(),
      value: decode(a[2] ?? a[3] ?? a[4] ?? ""),
    }));
    if (name === "script") {
      const src = attributes.find((a) => a.name === "src")?.value;
      const closesAt = page.indexOf("</script>", (match.index ?? 0) + tag.length);
      const inline = closesAt === -1 ? "?" : page.slice((match.index ?? 0) + tag.length, closesAt);
      if (src === undefined || !sameOrigin(src, origin) || inline.trim() !== "") problems.push({ tag, problem: "script element that is not Herold's own" });
      continue;
    }
    if (DANGEROUS_ELEMENTS.has(name)) problems.push({ tag, problem: `<${name}> element` });
    if (name === "meta" && attributes.some((a) => a.name === "http-equiv")) problems.push({ tag, problem: "meta http-equiv" });
    for (const attribute of attributes) {
      if (/^on/.test(attribute.name)) problems.push({ tag, problem: `event handler ${attribute.name}` });
      if (attribute.name === "srcdoc" || attribute.name === "style") problems.push({ tag, problem: `${attribute.name} attribute` });
      if (URL_ATTRIBUTES.has(attribute.name)) {
        const scheme = /^\s*([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(attribute.value.replace(/[\u0000-\u0020]/g, ""))?.[1]?.toLowerCase();
        if (scheme !== undefined && !SAFE_SCHEMES.includes(scheme)) problems.push({ tag, problem: `${scheme}: URL in ${attribute.name}` });
        if (attribute.value.startsWith("//")) problems.push({ tag, problem: `protocol-relative URL in ${attribute.name}` });
      }
      if ((name === "img" || name === "source" || name === "video" || name === "audio") && (attribute.name === "src" || attribute.name === "srcset") && !sameOrigin(attribute.value, origin)) {
        problems.push({ tag, problem: "image or media from another origin (hot-linking)" });
      }
    }
    if ((name === "form" || name === "link") && !sameOrigin(attributes.find((a) => a.name === "action" || a.name === "href")?.value ?? "/", origin)) {
      problems.push({ tag, problem: `<${name}> pointing at another origin` });
    }
    if (name === "a") {
      const href = attributes.find((a) => a.name === "href")?.value;
      const target = attributes.find((a) => a.name === "target")?.value;
      if (href !== undefined && !sameOrigin(href, origin) && target !== undefined && target !== "_self") {
        const rel = attributes.find((a) => a.name === "rel")?.value ?? "";
        if (!/\bnoopener\b/.test(rel) && !/\bnoreferrer\b/.test(rel)) problems.push({ tag, problem: "external link opening a window without noopener" });
      }
    }
  }
  return problems;
}

function sameOrigin(url: string, origin: string): boolean {
  if (url.startsWith("/") && !url.startsWith("//") && !url.startsWith("/\\")) return true;
  if (url.startsWith("#") || url.startsWith("?")) return true;
  try {
    return new URL(url).origin === origin;
  } catch {
    return false;
  }
}

function decode(value: string): string {
  return value
    .replace(/&#(\d+);?/g, (_, n: string) => String.fromCodePoint(Number(n)))
    .replace(/&#x([0-9a-f]+);?/gi, (_, n: string) => String.fromCodePoint(Number.parseInt(n, 16)))
    .replace(/&colon;/gi, ":")
    .replace(/&tab;/gi, "\t")
    .replace(/&newline;/gi, "\n")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
}
