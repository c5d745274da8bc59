import assert from "node:assert/strict";
import { test } from "node:test";
import { foreignCssReferences, foreignReferences, parseXml, startTags } from "./markup-check.ts";

// The page tests rely on these checkers; here they must catch what they are meant to catch.
const PAGE = "https://social.example.org/@acme";

test("same-origin and relative references pass", () => {
  const ok = `<link rel="stylesheet" href="/assets/herold.css?v=1"><img src="https://social.example.org/media/a.png" alt="">
<a href="https://elsewhere.example/" rel="nofollow noopener noreferrer">out</a><a href="/@acme?before=x">older</a>
<meta property="og:image" content="https://social.example.org/media/b.png">`;
  assert.deepEqual(foreignReferences(ok, PAGE), []);
});

test("every way of loading from another origin is reported", () => {
  const cases = [
    `<img src="https://tracker.example/p.gif" alt="">`,
    `<img src='//tracker.example/p.gif' alt="">`,
    `<img srcset="/a.png 1x, https://cdn.example/a@2x.png 2x" alt="">`,
    `<video poster="https://cdn.example/v.jpg"></video>`,
    `<link rel="stylesheet" href="https://fonts.example/css">`,
    `<link rel="icon" href="http://social.example.org/favicon.ico">`,
    `<form action="https://collect.example/"></form>`,
    `<button formaction="https://collect.example/">x</button>`,
    `<object data="https://cdn.example/x.swf"></object>`,
    `<base href="https://cdn.example/">`,
    `<script src="/app.js"></script>`,
    `<style>p{}</style>`,
    `<p style="color:red">x</p>`,
    `<img src="/a.png" onerror="alert(1)" alt="">`,
    `<meta http-equiv="refresh" content="0;url=https://elsewhere.example/">`,
    `<meta property="og:image" content="https://cdn.example/card.png">`,
    `<a href="https://elsewhere.example/">no rel</a>`,
    `<a href="javascript:alert(1)">x</a>`,
    `<img src="https&#58;//tracker.example/p.gif" alt="">`,
  ];
  for (const snippet of cases) assert.notDeepEqual(foreignReferences(snippet, PAGE), [], snippet);
});

test("stylesheet references to other origins are reported", () => {
  assert.deepEqual(foreignCssReferences(`a{background:url(/x.png)} b{background:url("data:image/png;base64,AA")}`, PAGE), []);
  assert.equal(foreignCssReferences(`a{background:url(https://cdn.example/x.png)}`, PAGE).length, 1);
  assert.equal(foreignCssReferences(`@import "https://fonts.example/f.css";`, PAGE).length, 1);
  assert.deepEqual(foreignCssReferences(`/* url(https://cdn.example/x.png) */ a{}`, PAGE), []);
});

test("start tags are read with decoded attribute values", () => {
  const [tag] = startTags(`<a href="/x?a=1&amp;b=2" data-x='y' hidden>`);
  assert.equal(tag?.name, "a");
  assert.equal(tag?.attributes.get("href"), "/x?a=1&b=2");
  assert.equal(tag?.attributes.get("data-x"), "y");
  assert.equal(tag?.attributes.get("hidden"), "");
});

test("the XML reader accepts well-formed documents and refuses malformed ones", () => {
  const root = parseXml(`<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel><title>A &amp; B</title><item/><![CDATA[<x>]]></channel></rss>\n`);
  assert.equal(root.name, "rss");
  assert.equal(root.children[0]?.children[0]?.text, "A & B");
  for (const bad of [
    `<rss><channel></rss>`,
    `<rss><a></b></rss>`,
    `<rss>A & B</rss>`,
    `<rss>a < b</rss>`,
    `<rss version=2.0></rss>`,
    `<rss a="1" a="2"></rss>`,
    `<rss></rss><rss></rss>`,
    `text<rss></rss>`,
    `<rss>\u0001</rss>`,
    `<rss>`,
    ``,
  ]) {
    assert.throws(() => parseXml(bad), Error, JSON.stringify(bad));
  }
});
