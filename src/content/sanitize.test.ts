import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  displayUrl,
  emojiShortcode,
  escapeHtml,
  filterClasses,
  LINK_SCHEMES,
  safeLinkHref,
  sanitizeRemoteHtml,
  sanitizeRemoteText,
  stripInvisible,
} from "./sanitize.ts";

const ALLOWED: Record<string, readonly string[]> = {
  p: ["class", "lang"],
  br: ["lang"],
  span: ["class", "translate", "lang"],
  a: ["href", "rel", "target", "class", "translate", "lang"],
  del: ["lang"], s: ["lang"], pre: ["lang"], blockquote: ["lang"], code: ["lang"], b: ["lang"], strong: ["lang"],
  u: ["lang"], i: ["lang"], em: ["lang"], ul: ["lang"], ol: ["start", "reversed", "lang"], li: ["value", "lang"],
  ruby: ["lang"], rt: ["lang"], rp: ["lang"],
};

/**
 * The property every output must have, whatever went in: every `<` starts an allowed tag with only
 * allowed, double-quoted attributes; hrefs use an allowed scheme; no raw `"` or `<` inside values.
 * A browser parsing such a string can only build the allowed elements.
 */
function assertSafe(html: string, input: string): void {
  const tag = /<(\/?)([a-z0-9]+)((?:\s[a-z-]+(?:="[^"<>]*")?)*)\s*(\/?)>/gy;
  const open: string[] = [];
  let index = 0;
  while (index < html.length) {
    const next = html.indexOf("<", index);
    const text = html.slice(index, next === -1 ? html.length : next);
    assert.ok(!text.includes(">"), `raw > in text of ${JSON.stringify(html)} from ${JSON.stringify(input)}`);
    assert.ok(!/&(?![a-z]+;|#\d+;|#x[0-9a-f]+;)/i.test(text), `bare & in ${JSON.stringify(html)}`);
    if (next === -1) break;
    tag.lastIndex = next;
    const match = tag.exec(html);
    assert.ok(match, `unparseable markup at ${next} in ${JSON.stringify(html)} from ${JSON.stringify(input)}`);
    const [whole, close, name, attributes] = match;
    if (name !== "br") {
      if (close) assert.equal(open.pop(), name, `unbalanced </${name}> in ${JSON.stringify(html)} from ${JSON.stringify(input)}`);
      else open.push(name!);
    }
    const allowed = ALLOWED[name!];
    assert.ok(allowed, `tag <${name}> in ${JSON.stringify(html)} from ${JSON.stringify(input)}`);
    for (const [, attribute, value] of attributes!.matchAll(/\s([a-z-]+)(?:="([^"]*)")?/g)) {
      assert.ok(allowed.includes(attribute!), `attribute ${attribute} on <${name}> in ${JSON.stringify(html)} from ${JSON.stringify(input)}`);
      if (attribute === "href") {
        const decoded = value!.replace(/&amp;/g, "&").replace(/&quot;/g, '"').replace(/&lt;/g, "<").replace(/&gt;/g, ">");
        const scheme = new URL(decoded).protocol.slice(0, -1);
        assert.ok(LINK_SCHEMES.includes(scheme), `scheme ${scheme} in ${JSON.stringify(html)}`);
      }
      if (attribute === "rel") assert.equal(value, "nofollow noopener noreferrer");
      if (attribute === "target") assert.equal(value, "_blank");
    }
    index = next + whole.length;
  }
  assert.deepEqual(open, [], `left open in ${JSON.stringify(html)} from ${JSON.stringify(input)}`);
  assert.ok(!/javascript:|vbscript:|data:/i.test(html.replace(/>[^<]*</g, "><")), `dangerous scheme in markup: ${html}`);
}

function clean(html: string): string {
  const out = sanitizeRemoteHtml(html);
  assertSafe(out, html);
  return out;
}

describe("sanitizeRemoteHtml: XSS payload classes", () => {
  const cases: [string, string, string][] = [
    ["script element", "<p>hi<script>alert(1)</script></p>", "<p>hi</p>"],
    ["script, upper case and spaced", "<SCRIPT >alert(1)</SCRIPT >ok", "ok"],
    ["script split across attributes", '<scr<script>ipt>alert(1)</script>', "ipt&gt;alert(1)"],
    ["img onerror", "<img src=x onerror=alert(1)>after", "after"],
    ["event handler on allowed tag", '<p onclick="alert(1)" onmouseover=alert(1)>x</p>', "<p>x</p>"],
    ["body onload", "<body onload=alert(1)>x</body>", "x"],
    ["javascript: link", '<a href="javascript:alert(1)">x</a>', "x"],
    ["JavaScript: upper case", '<a href="JaVaScRiPt:alert(1)">x</a>', "x"],
    ["javascript: with entity tab", '<a href="jav&#x09;ascript:alert(1)">x</a>', "x"],
    ["javascript: with decimal entities", '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>', "x"],
    ["javascript: with newline", '<a href="java\nscript:alert(1)">x</a>', "x"],
    ["javascript: with leading whitespace and control", '<a href=" \u0001javascript:alert(1)">x</a>', "x"],
    ["javascript: with &colon;", '<a href="javascript&colon;alert(1)">x</a>', "x"],
    ["data: link", '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>', "x"],
    ["vbscript: link", '<a href="vbscript:msgbox(1)">x</a>', "x"],
    ["file: link", '<a href="file:///etc/passwd">x</a>', "x"],
    ["relative link (Mastodon unlinks)", '<a href="/admin">x</a>', "x"],
    ["protocol-relative link", '<a href="//evil.example/">x</a>', "x"],
    ["link with user info", '<a href="https://bank.example@evil.example/">x</a>', "x"],
    ["unquoted href breaking out", "<a href=https://example.org/ onmouseover=alert(1)>x</a>",
      '<a href="https://example.org/" rel="nofollow noopener noreferrer" target="_blank">x</a>'],
    ["quote breaking attribute", '<a href="https://example.org/"onclick="alert(1)">x</a>',
      '<a href="https://example.org/" rel="nofollow noopener noreferrer" target="_blank">x</a>'],
    ["entity-encoded quote in href", '<a href="https://example.org/&quot;onmouseover=&quot;alert(1)">x</a>',
      '<a href="https://example.org/%22onmouseover=%22alert(1)" rel="nofollow noopener noreferrer" target="_blank">x</a>'],
    ["svg with script", '<svg><script>alert(1)</script><a xlink:href="javascript:alert(1)">x</a></svg>', "x"],
    ["svg onload", "<svg/onload=alert(1)>", ""],
    ["svg animate href", '<svg><a><animate attributeName="href" values="javascript:alert(1)"/><text>x</text></a></svg>', "x"],
    ["svg/style namespace confusion", "<svg><p><style><img src=x onerror=alert(1)></style></p></svg>", "<p></p>"],
    ["math/mglyph namespace confusion", "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>", ""],
    ["math with href", '<math href="javascript:alert(1)"><mi>x</mi></math>', "x"],
    ["noscript mutation", '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>', ""],
    ["style element", "<style>*{background:url(javascript:alert(1))}</style>ok", "ok"],
    ["style attribute with expression()", '<p style="width:expression(alert(1))">x</p>', "<p>x</p>"],
    ["iframe", '<iframe src="https://evil.example/"></iframe>ok', "ok"],
    ["iframe srcdoc", '<iframe srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;"></iframe>', ""],
    ["iframe fallback markup", "<iframe><img src=x onerror=alert(1)></iframe>", ""],
    ["object/embed", '<object data="javascript:alert(1)"></object><embed src="x.swf">', ""],
    ["form and button", '<form action="https://evil.example"><input name=p><button formaction="javascript:alert(1)">go</button></form>', "go"],
    ["meta refresh", '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">', ""],
    ["base href", '<base href="https://evil.example/">', ""],
    ["link stylesheet", '<link rel="stylesheet" href="https://evil.example/x.css">', ""],
    ["textarea escape", "<textarea></textarea><img src=x onerror=alert(1)></textarea>", ""],
    ["xmp raw text", "<xmp><img src=x onerror=alert(1)></xmp>", ""],
    ["comment trick (<!--> is an empty comment, as in browsers)", "<!--><img src=x onerror=alert(1)>-->", "--&gt;"],
    ["conditional comment", "<!--[if IE]><script>alert(1)</script><![endif]-->ok", "ok"],
    ["CDATA", "<![CDATA[<img src=x onerror=alert(1)>]]>ok", "ok"],
    ["nested unclosed tags", "<p><b><i>deep", "<p><b><i>deep</i></b></p>"],
    ["stray closing tags", "</p></div>text</b>", "<p></p>text"],
    ["unclosed attribute at end", '<a href="https://example.org/ onclick="', ""],
    ["tag name with slash", "<img/src=x/onerror=alert(1)>", ""],
    ["escaped markup stays text", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"],
    ["lone less-than", "<p>1 < 2 & 3 > 2</p>", "<p>1 &lt; 2 &amp; 3 &gt; 2</p>"],
    ["class used for styling", '<p class="status__content danger">x</p>', "<p>x</p>"],
    ["id and data attributes", '<span id="x" data-x="y" title="t">x</span>', "<span>x</span>"],
    ["target override", '<a href="https://example.org/x" target="_self" rel="opener">x</a>',
      '<a href="https://example.org/x" rel="nofollow noopener noreferrer" target="_blank">x</a>'],
    ["translate other than no", '<span translate="yes">x</span>', "<span>x</span>"],
    ["bad lang value", '<p lang="en&quot;onclick=x">x</p><p lang="de-AT">y</p>', '<p>x</p><p lang="de-AT">y</p>'],
    ["unknown custom element", "<herold-heading>x</herold-heading>", "x"],
    ["discarded link followed by an element at the same depth (sanitize-html rename bug)",
      '<a href="javascript:x"><b>t</b></a><b>u</b>', "<b>t</b><b>u</b>"],
    ["implied close of a discarded link", '<a href="javascript:alert(1)"><a href="https://example.org/"><h1>x',
      '<a href="https://example.org/" rel="nofollow noopener noreferrer" target="_blank"><p><strong>x</strong></p></a>'],
    ["heading beyond the nesting limit", "<span>".repeat(40) + "<h1>x</h1>" + "</span>".repeat(40) + "<b>y</b>", "<span>".repeat(32) + "x" + "</span>".repeat(32) + "<b>y</b>"],
  ];
  for (const [name, input, expected] of cases) {
    test(name, () => assert.equal(clean(input), expected));
  }

  test("every allowed scheme is linked, others become text", () => {
    for (const scheme of LINK_SCHEMES) {
      const href = scheme === "magnet" ? "magnet:?xt=urn:btih:abc" : scheme === "xmpp" ? "xmpp:alice@example.org" : `${scheme}://example.org/x`;
      const out = clean(`<a href="${href}">x</a>`);
      assert.match(out, /^<a href="[^"]+" rel="nofollow noopener noreferrer" target="_blank">x<\/a>$/, scheme);
    }
    for (const href of ["mailto:a@example.org", "tel:+123", "ftp://example.org/", "blob:https://x/1", "about:blank", "chrome://settings"]) {
      assert.equal(clean(`<a href="${href}">x</a>`), "x", href);
    }
  });

  test("deep nesting is flattened, not recursed into", () => {
    const depth = 10_000;
    const out = clean("<span>".repeat(depth) + "x" + "</span>".repeat(depth));
    assert.ok(out.length < 1000, `${out.length} characters`);
    assert.ok(out.includes("x"));
  });

  test("input beyond maxLength is ignored", () => {
    const out = clean("<p>" + "a".repeat(200_000) + "</p>");
    assert.equal(out, "<p>" + "a".repeat(100_000 - 3) + "</p>");
    assert.equal(sanitizeRemoteHtml("<p>abcdef</p>", { maxLength: 6 }), "<p>abc</p>");
  });

  test("lone surrogates are replaced rather than passed on", () => {
    assert.equal(clean("<p>a\ud800b</p>"), "<p>a\ufffdb</p>");
  });

  test("not a string gives an empty string", () => {
    assert.equal(sanitizeRemoteHtml(undefined as unknown as string), "");
    assert.equal(sanitizeRemoteHtml({ toString: () => "<script>" } as unknown as string), "");
  });

  test("random combinations of hostile fragments always satisfy the output invariant", () => {
    const fragments = [
      "<script>", "</script>", "<img src=x onerror=alert(1)>", "<a href=\"javascript:alert(1)\">", "<a href='https://example.org/'>",
      "</a>", "<svg>", "</svg>", "<math>", "<style>", "</style>", "<p ", "onclick=", "\"", "'", ">", "<", "&", "&#x6a;", "&quot;",
      "<!--", "-->", "<![CDATA[", "]]>", "<iframe>", "</iframe>", "<noscript>", "</noscript>", "<textarea>", "</textarea>",
      "<h1>", "</h1>", "<herold-heading>", "<span class=\"h-card invisible x\">", "</span>", "<br/>", "text", "\u202e", "\0",
      "<a href=\"jav&#x09;ascript:x\">", "<ol start=\"1\" reversed>", "<li value=\"2\">", "<p lang=\"en\">", "<xmp>", "</xmp>",
    ];
    let seed = 20261127;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let i = 0; i < 2000; i++) {
      let input = "";
      const parts = 1 + random(12);
      for (let j = 0; j < parts; j++) input += fragments[random(fragments.length)];
      clean(input);
    }
  });
});

describe("sanitizeRemoteHtml: real remote content stays intact", () => {
  test("Mastodon mention (fixtures/activitypub/mastodon/create-note.json)", () => {
    const html =
      '<p><span class="h-card"><a href="https://mamot.fr/@retiolus" class="u-url mention">@<span>retiolus</span></a></span> i have never been disappointed by a thinkpad. if you want to save money, get a model from a few years ago, there isnt a huge difference anyway.</p>';
    assert.equal(
      clean(html),
      '<p><span class="h-card"><a href="https://mamot.fr/@retiolus" rel="nofollow noopener noreferrer" target="_blank" class="u-url mention">@<span>retiolus</span></a></span> i have never been disappointed by a thinkpad. if you want to save money, get a model from a few years ago, there isnt a huge difference anyway.</p>',
    );
  });

  test("Mastodon reply with translate=no (mastodon/create-note-reply.json)", () => {
    const html =
      '<p><span class="h-card" translate="no"><a href="https://host.castle/actor/06e769cxim3gjfy0s1027ty87" class="u-url mention">@<span>admin</span></a></span> reply from mastodon</p>';
    assert.equal(
      clean(html),
      '<p><span class="h-card" translate="no"><a href="https://host.castle/actor/06e769cxim3gjfy0s1027ty87" rel="nofollow noopener noreferrer" target="_blank" class="u-url mention">@<span>admin</span></a></span> reply from mastodon</p>',
    );
  });

  test("Mastodon shortened link (mastodon/create-note-with-attachment.json)", () => {
    const html =
      '<p><a href="http://mastodon.example.org/media/hw4nrZmV5DPbW2z_hao" rel="nofollow noopener" target="_blank"><span class="invisible">http://</span><span class="ellipsis">mastodon.example.org/media/hw4</span><span class="invisible">nrZmV5DPbW2z_hao</span></a></p>';
    assert.equal(
      clean(html),
      '<p><a href="http://mastodon.example.org/media/hw4nrZmV5DPbW2z_hao" rel="nofollow noopener noreferrer" target="_blank"><span class="invisible">http://</span><span class="ellipsis">mastodon.example.org/media/hw4</span><span class="invisible">nrZmV5DPbW2z_hao</span></a></p>',
    );
  });

  test("Pleroma mention: data-user and rel=ugc dropped, mention kept (pleroma/create-note.json)", () => {
    const html =
      '<span class="h-card"><a class="u-url mention" data-user="ACimPLEXPDd7enu3cm" href="https://enterprise.lemmy.ml/u/picard" rel="ugc">@<span>lanodan</span></a></span> test';
    assert.equal(
      clean(html),
      '<span class="h-card"><a href="https://enterprise.lemmy.ml/u/picard" rel="nofollow noopener noreferrer" target="_blank" class="u-url mention">@<span>lanodan</span></a></span> test',
    );
  });

  test("Misskey quote with line breaks (misskey/note-quote.json)", () => {
    const html =
      '<p><span>i quompt u<br><br>RE: </span><a href="https://example.com/objects/30c543fb-a165-40dd-87fd-4e249ec5a40b">https://example.com/objects/30c543fb-a165-40dd-87fd-4e249ec5a40b</a></p>';
    assert.equal(
      clean(html),
      '<p><span>i quompt u<br /><br />RE: </span><a href="https://example.com/objects/30c543fb-a165-40dd-87fd-4e249ec5a40b" rel="nofollow noopener noreferrer" target="_blank">https://example.com/objects/30c543fb-a165-40dd-87fd-4e249ec5a40b</a></p>',
    );
  });

  test("Friendica hashtags, vcard, share block and heading (friendica/note.json)", () => {
    const html =
      'Note that on <a href="https://nerdica.net/search?tag=Friendica" class="mention hashtag" rel="tag">#<span>Friendica</span></a> we can quote-share<br><div><a href="https://lemmy.ml/post/241819">♲</a> @<span class="vcard"><a href="https://lemmy.ml/u/Liwott" class="url u-url mention" title="Liwott@lemmy.ml"><span class="fn nickname mention">Liwott@lemmy.ml</span></a>:</span><blockquote><h3>Do your commenting tests here.</h3><br>While posting tests</blockquote></div>';
    assert.equal(
      clean(html),
      'Note that on <a href="https://nerdica.net/search?tag=Friendica" rel="nofollow noopener noreferrer" target="_blank" class="mention hashtag">#<span>Friendica</span></a> we can quote-share<br /><a href="https://lemmy.ml/post/241819" rel="nofollow noopener noreferrer" target="_blank">♲</a> @<span><a href="https://lemmy.ml/u/Liwott" rel="nofollow noopener noreferrer" target="_blank" class="u-url mention"><span class="mention">Liwott@lemmy.ml</span></a>:</span><blockquote><p><strong>Do your commenting tests here.</strong></p><br />While posting tests</blockquote>',
    );
  });

  test("Lemmy page and Misskey profile with Japanese text (lemmy/page.json, misskey/person.json)", () => {
    assert.equal(clean("<p>This is a post in the /c/tenforward community</p>\n"), "<p>This is a post in the /c/tenforward community</p>\n");
    const bio = '<p><span>わずかな作曲要素 巣穴で独り言<br>Twitter </span><a href="https://twitter.com/aimu_53">https://twitter.com/aimu_53</a></p>';
    assert.equal(
      clean(bio),
      '<p><span>わずかな作曲要素 巣穴で独り言<br />Twitter </span><a href="https://twitter.com/aimu_53" rel="nofollow noopener noreferrer" target="_blank">https://twitter.com/aimu_53</a></p>',
    );
  });

  test("lists, quotes, code, emphasis, ruby and lang survive", () => {
    const html =
      '<ol start="3" reversed><li value="5">one</li></ol><ul><li><em>a</em> <strong>b</strong> <del>c</del> <s>d</s> <u>e</u> <i>f</i> <b>g</b></li></ul><blockquote lang="de">Zitat</blockquote><pre><code>let x = 1;\n  y</code></pre><ruby>漢<rp>(</rp><rt>kan</rt><rp>)</rp></ruby><p class="quote-inline">RE: x</p>';
    assert.equal(clean(html), html);
  });

  test("headings become bold paragraphs, as Mastodon shows them", () => {
    assert.equal(clean("<h1>Title</h1><p>Body</p>"), "<p><strong>Title</strong></p><p>Body</p>");
    assert.equal(clean('<h6 class="x" id="y">Small</h6>'), "<p><strong>Small</strong></p>");
  });

  test("hrefs are emitted in normalised form", () => {
    assert.equal(
      clean('<a href="HTTPS://Example.ORG/a b?c=&quot;d&quot;">x</a>'),
      '<a href="https://example.org/a%20b?c=%22d%22" rel="nofollow noopener noreferrer" target="_blank">x</a>',
    );
  });
});

describe("safeLinkHref and filterClasses", () => {
  test("safeLinkHref", () => {
    assert.equal(safeLinkHref("https://example.org/x"), "https://example.org/x");
    assert.equal(safeLinkHref("gemini://example.org/"), "gemini://example.org/");
    assert.equal(safeLinkHref(" \tjavascript:alert(1)"), null);
    assert.equal(safeLinkHref("https://user:pass@example.org/"), null);
    assert.equal(safeLinkHref("https:///nohost"), "https://nohost/"); // the parser's own reading; still http(s) with a host
    assert.equal(safeLinkHref(undefined), null);
    assert.equal(safeLinkHref("not a url"), null);
  });

  test("filterClasses keeps microformats and Mastodon's semantic classes only", () => {
    assert.equal(filterClasses("h-card u-url p-name dt-published e-content mention hashtag invisible ellipsis quote-inline"), "h-card u-url p-name dt-published e-content mention hashtag invisible ellipsis quote-inline");
    assert.equal(filterClasses("status__content x-y h- u-URL hidden mention\tfoo"), "mention");
    assert.equal(filterClasses(undefined), "");
  });
});

describe("sanitizeRemoteText", () => {
  test("strips tags and decodes entities", () => {
    assert.equal(sanitizeRemoteText("<b>Bob</b> &amp; <i>Alice</i>"), "Bob & Alice");
    assert.equal(sanitizeRemoteText("<script>alert(1)</script>Eve"), "Eve");
    assert.equal(sanitizeRemoteText("Haelwenn /элвэн/ :bzh:"), "Haelwenn /элвэн/ :bzh:");
    assert.equal(sanitizeRemoteText("a < b > c"), "a < b > c");
  });

  test("control characters and line breaks become single spaces", () => {
    assert.equal(sanitizeRemoteText("a\nb\r\n\tc\u0001d\u0085e\u2028f"), "a b c d e f");
    assert.equal(sanitizeRemoteText("c\u0000d"), "c d");
    assert.equal(sanitizeRemoteText("  many     spaces  "), "many spaces");
  });

  test("bidi overrides, embeddings and isolates are removed (hostile-inputs case 15)", () => {
    assert.equal(sanitizeRemoteText("invoice\u202Egpj.exe"), "invoicegpj.exe");
    assert.equal(sanitizeRemoteText("\u2067https://evil.example\u2069 \u202Atrusted\u202C"), "https://evil.example trusted");
    // Marks stay: they cannot reorder letters and right-to-left names use them.
    assert.equal(sanitizeRemoteText("שלום\u200F!"), "שלום\u200F!");
  });

  test("invisible characters are removed", () => {
    assert.equal(sanitizeRemoteText("ad\u200Bmin\uFEFF\u2060\u00AD"), "admin");
    assert.equal(sanitizeRemoteText("\u3164\u115F\u1160"), ""); // "blank" names made of Hangul fillers
    assert.equal(sanitizeRemoteText("a\u{E0041}\u{E0042}b"), "ab"); // smuggled tag characters
  });

  test("emoji sequences survive", () => {
    assert.equal(sanitizeRemoteText("👩🏽‍💻 👨‍👩‍👧‍👦 🏳️‍🌈 🏴󠁧󠁢󠁳󠁣󠁴󠁿"), "👩🏽‍💻 👨‍👩‍👧‍👦 🏳️‍🌈 🏴󠁧󠁢󠁳󠁣󠁴󠁿");
    assert.equal(sanitizeRemoteText("می\u200Cخواهم"), "می\u200Cخواهم"); // Persian ZWNJ
    assert.equal(sanitizeRemoteText("\u200Dx\u200D\u200D\u200Dy\u200D"), "x\u200Dy");
  });

  test("Zalgo clusters are capped", () => {
    const zalgo = "Z" + "\u0301".repeat(200) + "a";
    assert.equal(sanitizeRemoteText(zalgo), "Z" + "\u0301".repeat(15) + "a");
  });

  test("length is capped in grapheme clusters", () => {
    assert.equal(sanitizeRemoteText("x".repeat(10_000)).length, 500);
    assert.equal(sanitizeRemoteText("👩🏽‍💻".repeat(10), 3), "👩🏽‍💻".repeat(3));
    assert.equal(sanitizeRemoteText("abc def", 4), "abc");
  });

  test("not a string gives an empty string", () => {
    assert.equal(sanitizeRemoteText(42), "");
    assert.equal(sanitizeRemoteText(null), "");
    assert.equal(sanitizeRemoteText(["a"]), "");
  });

  test("stripInvisible leaves ordinary text alone", () => {
    assert.equal(stripInvisible("Grüße, 世界! ok"), "Grüße, 世界! ok");
  });
});

describe("displayUrl", () => {
  test("shows what a verified link really points to", () => {
    assert.equal(displayUrl("https://example.org/\u202Egro.live"), "https://example.org/%E2%80%AEgro.live");
    assert.equal(displayUrl("https://exa\u200Bmple.org/"), "https://example.org/"); // IDNA drops zero-width space
    assert.match(displayUrl("https://раураl.com/") ?? "", /^https:\/\/xn--[a-z0-9-]+\.com\/$/); // Cyrillic look-alike of "paypal"
    assert.equal(displayUrl("https://bücher.example/"), "https://xn--bcher-kva.example/");
  });

  test("refuses what is not a plain http(s) URL", () => {
    assert.equal(displayUrl("javascript:alert(1)"), null);
    assert.equal(displayUrl("https://trusted.example@evil.example/"), null);
    assert.equal(displayUrl("/relative"), null);
    assert.equal(displayUrl(7), null);
  });
});

describe("escapeHtml and emojiShortcode", () => {
  test("escapeHtml escapes the five HTML-significant characters", () => {
    assert.equal(escapeHtml(`<a href="x" title='y'>&amp;</a>`), "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;");
    assert.equal(escapeHtml("plain"), "plain");
  });

  test("emojiShortcode accepts Mastodon's shortcode syntax only", () => {
    assert.equal(emojiShortcode(":blobcat:"), "blobcat");
    assert.equal(emojiShortcode("joker_disapprove"), "joker_disapprove");
    assert.equal(emojiShortcode(":a:"), null);
    assert.equal(emojiShortcode(':x" onerror="y:'), null);
    assert.equal(emojiShortcode(":../../etc:"), null);
    assert.equal(emojiShortcode(null), null);
  });
});
