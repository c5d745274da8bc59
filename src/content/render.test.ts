import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { countCharacters, extractEntities, renderLocalPost, type MentionHandle, type ResolveMention } from "./render.ts";

const ORIGIN = "https://social.example";

/** Knows alice@remote.example, bob@social.example (local) and bob@other.example. */
function directory(calls: MentionHandle[] = []): ResolveMention {
  const known: Record<string, { uri: string; url: string }> = {
    "alice@remote.example": { uri: "https://remote.example/users/alice", url: "https://remote.example/@alice" },
    "bob@social.example": { uri: "https://social.example/users/bob", url: "https://social.example/@bob" },
    "bob@other.example": { uri: "https://other.example/users/bob", url: "https://other.example/@bob" },
  };
  return async (handle) => {
    calls.push(handle);
    return known[`${handle.username.toLowerCase()}@${handle.host.toLowerCase()}`] ?? null;
  };
}

async function html(text: string): Promise<string> {
  return (await renderLocalPost(text, { origin: ORIGIN, resolveMention: directory() })).html;
}

const LINK_OPEN = 'target="_blank" rel="nofollow noopener noreferrer" translate="no"';

describe("renderLocalPost: text and paragraphs", () => {
  test('a plain post is exactly "<p>Hello</p>" (masto.js checks this)', async () => {
    assert.equal(await html("Hello"), "<p>Hello</p>");
  });

  test("blank lines separate paragraphs, single newlines become line breaks", async () => {
    assert.equal(await html("one\ntwo\n\nthree\n\n\n\nfour"), "<p>one<br />two</p><p>three</p><p>four</p>");
    assert.equal(await html("a\r\nb\r\n\r\nc"), "<p>a<br />b</p><p>c</p>");
  });

  test("surrounding whitespace is stripped; empty text renders nothing", async () => {
    assert.equal(await html("  \n Hello \n\n "), "<p>Hello</p>");
    assert.equal(await html(""), "");
    assert.equal(await html(" \n\n "), "");
  });

  test("everything else is escaped", async () => {
    assert.equal(
      await html(`<script>alert("x")</script> & 'quotes' <b>`),
      "<p>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quotes&#39; &lt;b&gt;</p>",
    );
    assert.equal(await html('<img src=x onerror="alert(1)">'), "<p>&lt;img src=x onerror=&quot;alert(1)&quot;&gt;</p>");
  });
});

describe("renderLocalPost: links", () => {
  test("a short URL: scheme hidden, no ellipsis", async () => {
    const result = await renderLocalPost("see https://example.org/path", { origin: ORIGIN, resolveMention: directory() });
    assert.equal(
      result.html,
      `<p>see <a href="https://example.org/path" ${LINK_OPEN}><span class="invisible">https://</span><span class="">example.org/path</span><span class="invisible"></span></a></p>`,
    );
    assert.deepEqual(result.links, ["https://example.org/path"]);
  });

  test("a long URL is shortened to 30 characters with the ellipsis class; www. is hidden", async () => {
    assert.equal(
      await html("https://www.example.org/a/very/long/path/that/goes/on?x=1&y=2"),
      `<p><a href="https://www.example.org/a/very/long/path/that/goes/on?x=1&amp;y=2" ${LINK_OPEN}><span class="invisible">https://www.</span><span class="ellipsis">example.org/a/very/long/path/t</span><span class="invisible">hat/goes/on?x=1&amp;y=2</span></a></p>`,
    );
  });

  test("trailing punctuation and unbalanced parentheses are not part of the URL", async () => {
    const links = async (text: string) => (await renderLocalPost(text, { origin: ORIGIN, resolveMention: directory() })).links;
    assert.deepEqual(await links("Read https://example.org/a."), ["https://example.org/a"]);
    assert.deepEqual(await links("(see https://example.org/a)"), ["https://example.org/a"]);
    assert.deepEqual(await links("https://en.wikipedia.org/wiki/Foo_(bar), yes"), ["https://en.wikipedia.org/wiki/Foo_(bar)"]);
    assert.deepEqual(await links('"https://example.org/q?a=1"!'), ["https://example.org/q?a=1"]);
    assert.deepEqual(await links("https://example.org…"), ["https://example.org"]);
    assert.deepEqual(await links("https://example.org:8443/x#frag"), ["https://example.org:8443/x#frag"]);
    assert.deepEqual(await links("https://例え.jp/パス"), ["https://例え.jp/パス"]);
    assert.deepEqual(await links("gemini://example.org/ and ipfs://bafy.example/x"), ["gemini://example.org/", "ipfs://bafy.example/x"]);
  });

  test("things that are not links stay text", async () => {
    const links = async (text: string) => (await renderLocalPost(text, { origin: ORIGIN, resolveMention: directory() })).links;
    assert.deepEqual(await links("example.org without scheme"), []);
    assert.deepEqual(await links("javascript:alert(1)"), []);
    assert.deepEqual(await links("http://localhost/admin"), []);
    assert.deepEqual(await links("xhttps://example.org/"), []);
    assert.deepEqual(await links("@https://example.org/"), []);
    assert.deepEqual(await links("https://"), []);
    assert.deepEqual(await links("https://example.org/abc\u202Egpj.exe"), ["https://example.org/abc"]);
    assert.deepEqual(await links("https://example.org/a\u0000b"), ["https://example.org/a"]);
  });

  test("a URL with quotes cannot break out of the attribute", async () => {
    assert.equal(
      await html('https://example.org/a"onmouseover="alert(1)'),
      `<p><a href="https://example.org/a&quot;onmouseover=&quot;alert(1)" ${LINK_OPEN}><span class="invisible">https://</span><span class="ellipsis">example.org/a&quot;onmouseover=&quot;ale</span><span class="invisible">rt(1)</span></a></p>`,
    );
  });
});

describe("renderLocalPost: mentions", () => {
  test("a resolved mention renders as Mastodon's h-card and is returned for the tag array", async () => {
    const result = await renderLocalPost("hi @alice@remote.example!", { origin: ORIGIN, resolveMention: directory() });
    assert.equal(
      result.html,
      '<p>hi <span class="h-card" translate="no"><a href="https://remote.example/@alice" class="u-url mention">@<span>alice</span></a></span>!</p>',
    );
    assert.deepEqual(result.mentions, [
      { uri: "https://remote.example/users/alice", url: "https://remote.example/@alice", handle: "alice@remote.example" },
    ]);
  });

  test("an unresolved mention stays plain text", async () => {
    const result = await renderLocalPost("hi @nobody@nowhere.example", { origin: ORIGIN, resolveMention: directory() });
    assert.equal(result.html, "<p>hi @nobody@nowhere.example</p>");
    assert.deepEqual(result.mentions, []);
  });

  test("a bare @user is a user on this server", async () => {
    const calls: MentionHandle[] = [];
    const result = await renderLocalPost("@bob hello", { origin: ORIGIN, resolveMention: directory(calls) });
    assert.deepEqual(calls, [{ username: "bob", host: "social.example" }]);
    assert.equal(
      result.html,
      '<p><span class="h-card" translate="no"><a href="https://social.example/@bob" class="u-url mention">@<span>bob</span></a></span> hello</p>',
    );
  });

  test("two accounts with the same username are shown with their domains", async () => {
    const result = await renderLocalPost("@bob and @bob@other.example", { origin: ORIGIN, resolveMention: directory() });
    assert.match(result.html, /@<span>bob@social\.example<\/span>.*@<span>bob@other\.example<\/span>/);
    assert.equal(result.mentions.length, 2);
  });

  test("each handle is looked up once; mentions are deduplicated", async () => {
    const calls: MentionHandle[] = [];
    const result = await renderLocalPost("@alice@remote.example @Alice@Remote.example @alice@remote.example", {
      origin: ORIGIN,
      resolveMention: directory(calls),
    });
    assert.equal(calls.length, 1);
    assert.equal(result.mentions.length, 1);
    assert.equal((result.html.match(/class="u-url mention"/g) ?? []).length, 3);
  });

  test("e-mail addresses, mentions inside URLs and followed by another @ are not mentions", async () => {
    const calls: MentionHandle[] = [];
    const render = (text: string) => renderLocalPost(text, { origin: ORIGIN, resolveMention: directory(calls) });
    await render("mail me at bob@social.example");
    await render("https://remote.example/@alice is her profile");
    await render("@alice@remote.example@evil.example");
    await render("a=@alice@remote.example");
    assert.deepEqual(calls, []);
  });

  test("a trailing dot ends the host", async () => {
    const calls: MentionHandle[] = [];
    await renderLocalPost("thanks @alice@remote.example.", { origin: ORIGIN, resolveMention: directory(calls) });
    assert.deepEqual(calls, [{ username: "alice", host: "remote.example" }]);
  });

  test("a handle with a port (development and test servers) keeps its port (issue #10, item 12)", async () => {
    const calls: MentionHandle[] = [];
    const known: ResolveMention = async (handle) => {
      calls.push(handle);
      return `${handle.username}@${handle.host}` === "carol@localhost:3000" ? { uri: "http://localhost:3000/users/carol", url: "http://localhost:3000/@carol" } : null;
    };
    const result = await renderLocalPost("hi @carol@localhost:3000, and @carol@localhost:3000: welcome", { origin: ORIGIN, resolveMention: known });
    assert.deepEqual(calls, [{ username: "carol", host: "localhost:3000" }]);
    const card = '<span class="h-card" translate="no"><a href="http://localhost:3000/@carol" class="u-url mention">@<span>carol</span></a></span>';
    assert.equal(result.html, `<p>hi ${card}, and ${card}: welcome</p>`);
    assert.deepEqual(result.mentions, [{ uri: "http://localhost:3000/users/carol", url: "http://localhost:3000/@carol", handle: "carol@localhost:3000" }]);
    assert.equal(countCharacters("@carol@localhost:3000 hi"), "@carol hi".length, "the port is part of the free domain");
  });

  test("a colon after a handle in prose is not a port", async () => {
    const calls: MentionHandle[] = [];
    const render = (text: string) => renderLocalPost(text, { origin: ORIGIN, resolveMention: directory(calls) });
    const result = await render("@alice@remote.example: hi");
    assert.match(result.html, /@<span>alice<\/span><\/a><\/span>: hi<\/p>$/);
    // Not a port either: letters after the digits, a leading zero, a number above 65535, nothing after the colon.
    for (const text of ["@alice@remote.example:30pm", "@alice@remote.example:080", "@alice@remote.example:70000", "@alice@remote.example:"]) await render(text);
    assert.deepEqual(calls, Array.from({ length: 5 }, () => ({ username: "alice", host: "remote.example" })));
    assert.deepEqual(
      extractEntities("@a@h.example:8080 @a@h.example:70000").map((e) => (e.kind === "mention" ? [e.host, e.start, e.end] : null)),
      [["h.example:8080", 0, 17], ["h.example", 18, 30]],
    );
  });

  test("a resolver answer with an unsafe URL is not linked", async () => {
    const resolveMention: ResolveMention = async () => ({ uri: "https://evil.example/u", url: "javascript:alert(1)" });
    const result = await renderLocalPost("@x@evil.example", { origin: ORIGIN, resolveMention });
    assert.equal(
      result.html,
      '<p><span class="h-card" translate="no"><a href="https://evil.example/u" class="u-url mention">@<span>x</span></a></span></p>',
    );
    const bad: ResolveMention = async () => ({ uri: "data:text/html,x", url: "data:text/html,x" });
    assert.equal((await renderLocalPost("@x@evil.example", { origin: ORIGIN, resolveMention: bad })).html, "<p>@x@evil.example</p>");
  });

  test("no more than maxMentions distinct handles are looked up", async () => {
    const calls: MentionHandle[] = [];
    const text = Array.from({ length: 30 }, (_, i) => `@user${i}@host${i}.example`).join(" ");
    await renderLocalPost(text, { origin: ORIGIN, resolveMention: directory(calls), maxMentions: 5 });
    assert.equal(calls.length, 5);
  });

  test("resolver errors propagate", async () => {
    const failing: ResolveMention = async () => {
      throw new Error("database down");
    };
    await assert.rejects(renderLocalPost("@a@b.example", { origin: ORIGIN, resolveMention: failing }), /database down/);
  });
});

describe("renderLocalPost: hashtags", () => {
  test("a hashtag links to /tags/{tag} as Mastodon renders it", async () => {
    const result = await renderLocalPost("Hello #Fediverse", { origin: ORIGIN, resolveMention: directory() });
    assert.equal(
      result.html,
      '<p>Hello <a href="https://social.example/tags/Fediverse" class="mention hashtag" rel="tag">#<span>Fediverse</span></a></p>',
    );
    assert.deepEqual(result.hashtags, ["Fediverse"]);
  });

  test("Unicode letters, digits, underscores and joiners; pure digits are not tags", async () => {
    const tags = async (text: string) => (await renderLocalPost(text, { origin: ORIGIN, resolveMention: directory() })).hashtags;
    assert.deepEqual(await tags("#Café #日本語 #год2026 #snake_case #123 #_ #a1"), ["Café", "日本語", "год2026", "snake_case", "a1"]);
    assert.deepEqual(await tags("#ＴＯＫＩＯ ＃full"), ["ＴＯＫＩＯ", "full"]);
    assert.deepEqual(await tags("#foo·bar #ゼルダ・ブレス"), ["foo·bar", "ゼルダ・ブレス"]);
  });

  test("only after whitespace or at the start; never inside URLs", async () => {
    const tags = async (text: string) => (await renderLocalPost(text, { origin: ORIGIN, resolveMention: directory() })).hashtags;
    assert.deepEqual(await tags("foo#bar (#paren) https://example.org/#anchor"), []);
    assert.deepEqual(await tags("line\n#second"), ["second"]);
  });

  test("the same tag twice is listed once, as first written", async () => {
    const tags = async (text: string) => (await renderLocalPost(text, { origin: ORIGIN, resolveMention: directory() })).hashtags;
    assert.deepEqual(await tags("#Cats #cats #CATS"), ["Cats"]);
  });

  test("a URL glued to a tag is split off it", async () => {
    const result = await renderLocalPost("#newshttps://example.org/x", { origin: ORIGIN, resolveMention: directory() });
    assert.deepEqual(result.hashtags, ["news"]);
    assert.deepEqual(result.links, []); // "https" was eaten by the tag's pattern first; Mastodon links neither
  });

  test("agrees with Mastodon's Tag::HASHTAG_RE on random short strings", () => {
    // The original pattern, fine as an oracle on short input (it backtracks quadratically on long runs).
    const W = "\\p{L}\\p{M}\\p{Nd}\\p{Pc}";
    const S = "_\\u00b7\\u30fb\\u200c";
    const A = "\\p{Alphabetic}";
    const oracle = new RegExp(`(?<=^|\\s)[#＃]([${W}][${W}${S}]*[${A}${S}][${W}${S}]*[${W}]|[${W}]*[${A}][${W}]*)`, "gu");
    const alphabet = ["a", "Z", "é", "1", "_", "·", "・", "\u200c", " ", "#", "＃", "-", "日", "\u0301", "/", "٣"];
    let seed = 7;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let i = 0; i < 5000; i++) {
      let text = "#";
      for (let j = random(10); j > 0; j--) text += alphabet[random(alphabet.length)];
      const expected = [...text.matchAll(oracle)].map((m) => [m.index, m[1]]);
      const actual = extractEntities(text).flatMap((e) => (e.kind === "hashtag" ? [[e.start, e.tag]] : []));
      assert.deepEqual(actual, expected, JSON.stringify(text));
    }
  });

  // Speed on pathological input is measured in bench/ (`npm run bench -- text`), never asserted here;
  // the per-test timeout of `npm test` turns catastrophic backtracking into a failure instead of a hang.
  test("long runs of tag characters are read in one pass", () => {
    assert.deepEqual(extractEntities(" #a" + "·".repeat(100_000)).map((e) => e.kind), ["hashtag"]);
    assert.deepEqual(extractEntities(" #" + "1".repeat(100_000)), []);
  });

  test("tag hrefs are percent-encoded", async () => {
    assert.match(await html("#Café"), /href="https:\/\/social\.example\/tags\/Caf%C3%A9"/);
  });
});

describe("extractEntities", () => {
  test("finds all three kinds in order with their positions", () => {
    const text = "@alice@remote.example read https://example.org/x #now";
    assert.deepEqual(extractEntities(text), [
      { kind: "mention", start: 0, end: 21, username: "alice", host: "remote.example" },
      { kind: "url", start: 27, end: 48, url: "https://example.org/x" },
      { kind: "hashtag", start: 49, end: 53, tag: "now" },
    ]);
  });
});

describe("countCharacters", () => {
  test("pathological input is counted (its speed is measured in bench/)", () => {
    assert.ok(countCharacters("https://example.org/" + ")".repeat(50_000)) > 0);
    assert.ok(countCharacters("https://".repeat(12_500)) > 0);
    assert.ok(countCharacters("@a@" + "b-".repeat(50_000) + "é") > 0);
  });

  test("plain text counts grapheme clusters", () => {
    assert.equal(countCharacters("Hello"), 5);
    assert.equal(countCharacters("👩🏽‍💻🏳️‍🌈é"), 3);
    assert.equal(countCharacters(""), 0);
  });

  test("every URL counts as 23 characters", () => {
    assert.equal(countCharacters("https://example.org/" + "x".repeat(200)), 23);
    assert.equal(countCharacters("a https://e.xy b"), 27);
  });

  test("a mention counts only its @username part", () => {
    assert.equal(countCharacters("@alice@a-very-long-domain-name.example"), 6);
    assert.equal(countCharacters("@bob hi"), 7);
  });

  test("hashtags count in full; the content warning is added", () => {
    assert.equal(countCharacters("#hashtag"), 8);
    assert.equal(countCharacters("body", "CW"), 6);
    assert.equal(countCharacters("  body  ", "  CW "), 6);
  });
});
