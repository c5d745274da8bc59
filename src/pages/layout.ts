import { html, type Html } from "./html.ts";

/** What every page shares: where the stylesheet is, the instance's name, the software version. */
export interface Site {
  readonly domain: string;
  readonly stylesheetHref: string;
  /** The public pages' small script (copy buttons); every page works without it. */
  readonly scriptHref: string;
  /** The site's icon (the organisation's avatar, resized; a default one otherwise). */
  readonly faviconHref: string;
  readonly version: string;
}

export interface Alternate {
  readonly type: string;
  readonly href: string;
  readonly title?: string;
}

export interface PageOptions {
  readonly title: string;
  readonly description?: string;
  /** Absolute URL of the canonical page (also `og:url`). */
  readonly canonical?: string;
  readonly alternates?: readonly Alternate[];
  /** Open Graph type: `profile` or `article`; pages without one get no Open Graph tags. */
  readonly ogType?: "profile" | "article";
  /** Absolute same-origin image URL for link previews. */
  readonly ogImage?: string | null;
  /** Extra class on <main> (layout variants). */
  readonly mainClass?: string;
  readonly body: Html;
}

/**
 * The document shell: language, viewport, the one stylesheet, landmarks (banner, main, contentinfo)
 * and a skip link. Nothing is loaded from another origin and nothing inline is needed (the CSP
 * forbids inline styles and scripts).
 */
export function layout(site: Site, page: PageOptions): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${page.title}</title>
${page.description !== undefined && page.description !== "" && html`<meta name="description" content="${page.description}">\n`}<meta name="generator" content="Herold ${site.version}">
<link rel="stylesheet" href="${site.stylesheetHref}">
<link rel="icon" type="image/png" href="${site.faviconHref}">
<script src="${site.scriptHref}" defer></script>
${page.canonical !== undefined && html`<link rel="canonical" href="${page.canonical}">\n`}${(page.alternates ?? []).map(
    (a) => html`<link rel="alternate" type="${a.type}" href="${a.href}"${a.title !== undefined && html` title="${a.title}"`}>\n`,
  )}${page.ogType !== undefined && openGraph(site, page)}</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="site-header"><p><a href="/">${site.domain}</a></p><p class="sign-in"><a href="/app/login">Sign in</a></p></header>
<main id="main"${page.mainClass !== undefined && html` class="${page.mainClass}"`}>
${page.body}
</main>
<footer class="site-footer"><p>Published with Herold ${site.version}, on the Fediverse.</p></footer>
</body>
</html>
`;
}

function openGraph(site: Site, page: PageOptions): Html {
  return html`<meta property="og:type" content="${page.ogType}">
<meta property="og:site_name" content="${site.domain}">
<meta property="og:title" content="${page.title}">
${page.description !== undefined && page.description !== "" && html`<meta property="og:description" content="${page.description}">\n`}${page.canonical !== undefined && html`<meta property="og:url" content="${page.canonical}">\n`}${page.ogImage && html`<meta property="og:image" content="${page.ogImage}">\n`}`;
}

/** A small error page (404, 410, 400) in the same shell, with a way back to the site's start. */
export function errorPage(site: Site, title: string, message: string): Html {
  return layout(site, {
    title,
    body: html`<section class="error" aria-labelledby="error-title"><h1 id="error-title">${title}</h1><p>${message}</p><p><a href="/">Go to the start page of ${site.domain}</a></p></section>`,
  });
}
