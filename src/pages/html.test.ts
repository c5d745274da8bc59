import assert from "node:assert/strict";
import { test } from "node:test";
import { html, raw } from "./html.ts";
import { wantsJson } from "../http/negotiation.ts";

test("interpolated text is escaped for content and quoted attributes", () => {
  const name = `<script>alert("x")</script> & 'friends'`;
  assert.equal(
    html`<p title="${name}">${name}</p>`.toString(),
    `<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;friends&#39;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;friends&#39;</p>`,
  );
});

test("nested templates and raw() are inserted as they are; arrays are joined; null, undefined and false vanish", () => {
  const items = ["a<b", "c"].map((t) => html`<li>${t}</li>`);
  assert.equal(html`<ul>${items}</ul>${null}${undefined}${false}${0}`.toString(), "<ul><li>a&lt;b</li><li>c</li></ul>0");
  assert.equal(html`<div>${raw("<p>sanitised</p>")}</div>`.toString(), "<div><p>sanitised</p></div>");
  assert.equal(html`${[[html`<i>`, "<"], "&"]}`.toString(), "<i>&lt;&amp;");
});

test("exactly the five characters & < > \" ' are escaped, in every code unit, whatever the value's type", () => {
  const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
  const expected = (text: string) => text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
  let all = "";
  for (let code = 0; code < 0x3000; code++) all += String.fromCharCode(code);
  for (const text of [all, "\uD800<\uDFFF>", `"'><svg onload=alert(1)>`, "&amp;", "&#x3C;script&#x3E;"]) {
    assert.equal(html`${text}`.toString(), expected(text));
    assert.equal(html`<a title="${text}">`.toString(), `<a title="${expected(text)}">`);
  }
  // Only templates and raw() count as HTML: a String object, or a string that looks like a template's
  // output, is text like any other.
  const boxed = Object(`<b>`) as string;
  assert.equal(html`${boxed}`.toString(), "&lt;b&gt;");
  assert.equal(html`${String(html`<b>`)}`.toString(), "&lt;b&gt;");
});

test("JSON is wanted only when no HTML type is preferred", () => {
  assert.equal(wantsJson("application/activity+json"), true);
  assert.equal(wantsJson('application/ld+json; profile="https://www.w3.org/ns/activitystreams"'), true);
  assert.equal(wantsJson("application/json"), true);
  assert.equal(wantsJson("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"), false);
  assert.equal(wantsJson("text/html;q=0.5, application/activity+json"), true);
  assert.equal(wantsJson("application/activity+json;q=0.5, text/html"), false);
  assert.equal(wantsJson("application/activity+json;q=0, text/plain"), false);
  assert.equal(wantsJson("*/*"), false);
  assert.equal(wantsJson(""), false);
  assert.equal(wantsJson(undefined), false);
});
