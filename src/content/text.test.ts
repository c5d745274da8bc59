import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { excerpt, graphemeCount, graphemes, htmlToPlainText, truncateCodeUnits, truncateGraphemes } from "./text.ts";

describe("htmlToPlainText", () => {
  test("paragraphs become blank lines, <br> a newline", () => {
    assert.equal(htmlToPlainText("<p>one<br>two</p><p>three</p>"), "one\ntwo\n\nthree");
    assert.equal(htmlToPlainText("<p>a</p>\n\n<p>b</p>"), "a\n\nb");
  });

  test("a Mastodon post with a mention and a shortened link reads naturally", () => {
    const html =
      '<p><span class="h-card" translate="no"><a href="https://mamot.fr/@retiolus" class="u-url mention">@<span>retiolus</span></a></span> see <a href="https://example.org/long/path" rel="nofollow noopener noreferrer" target="_blank"><span class="invisible">https://</span><span class="ellipsis">example.org/lo</span><span class="invisible">ng/path</span></a></p>';
    assert.equal(htmlToPlainText(html), "@retiolus see https://example.org/long/path");
  });

  test("entities are decoded once", () => {
    assert.equal(htmlToPlainText("<p>Let&#39;s &amp; &lt;tag&gt; &amp;amp; &quot;q&quot; &nbsp;x</p>"), "Let's & <tag> &amp; \"q\" \u00a0x");
  });

  test("source whitespace collapses like in a browser, <pre> keeps it", () => {
    assert.equal(htmlToPlainText("<p>a\n   b\t c</p>"), "a b c");
    assert.equal(htmlToPlainText("<p>intro</p><pre><code>  if (x) {\n    y();\n  }</code></pre>"), "intro\n\n  if (x) {\n    y();\n  }");
  });

  test("scripts, styles and all tags are dropped", () => {
    assert.equal(htmlToPlainText("<script>alert(1)</script><style>p{}</style><b>bold</b> <img src=x alt=pic>text"), "bold text");
  });

  test("lists and headings get their own lines", () => {
    assert.equal(htmlToPlainText("<h2>Title</h2><ul><li>one</li><li>two</li></ul>after"), "Title\n\n- one\n- two\n\nafter");
  });

  test("Pleroma and Friendica style content without paragraphs", () => {
    assert.equal(htmlToPlainText(":joker_disapprove: <br><br>just grabbing a test fixture, nevermind me"), ":joker_disapprove:\n\njust grabbing a test fixture, nevermind me");
    assert.equal(htmlToPlainText("Hi!"), "Hi!");
  });

  test("empty and non-string input", () => {
    assert.equal(htmlToPlainText(""), "");
    assert.equal(htmlToPlainText(undefined as unknown as string), "");
  });
});

describe("excerpt", () => {
  test("short text is returned unchanged", () => {
    assert.equal(excerpt("Hello world", 20), "Hello world");
    assert.equal(excerpt("Hello", 5), "Hello");
  });

  test("long text is cut at a word boundary with an ellipsis, within maxChars", () => {
    const result = excerpt("The quick brown fox jumps over the lazy dog", 20);
    assert.equal(result, "The quick brown fox…");
    assert.ok(graphemeCount(result) <= 20);
  });

  test("a single long word is cut mid-word", () => {
    assert.equal(excerpt("Donaudampfschifffahrtsgesellschaft", 10), "Donaudamp…");
  });

  test("emoji and combining characters are never split", () => {
    assert.equal(excerpt("👩🏽‍💻👩🏽‍💻👩🏽‍💻👩🏽‍💻", 3), "👩🏽‍💻👩🏽‍💻…");
    assert.equal(excerpt("e\u0301e\u0301e\u0301", 2), "e\u0301…");
  });

  test("degenerate limits", () => {
    assert.equal(excerpt("abc", 0), "");
    assert.equal(excerpt("abc", 1), "…");
  });
});

describe("grapheme and length helpers", () => {
  test("graphemes and graphemeCount agree with what people see", () => {
    assert.deepEqual(graphemes("a👩🏽‍💻e\u0301"), ["a", "👩🏽‍💻", "e\u0301"]);
    assert.equal(graphemeCount("🏴󠁧󠁢󠁳󠁣󠁴󠁿🇩🇪"), 2);
  });

  test("truncateGraphemes", () => {
    assert.equal(truncateGraphemes("abc", 5), "abc");
    assert.equal(truncateGraphemes("👩🏽‍💻x👩🏽‍💻", 2), "👩🏽‍💻x");
    assert.equal(truncateGraphemes("abc", 0), "");
  });

  test("truncateCodeUnits never leaves half a surrogate pair", () => {
    assert.equal(truncateCodeUnits("a😀b", 2), "a");
    assert.equal(truncateCodeUnits("a😀b", 3), "a😀");
    assert.equal(truncateCodeUnits("abc", 10), "abc");
  });
});
