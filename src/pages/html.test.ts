import assert from "node:assert/strict";
import { test } from "node:test";
import { html, raw } from "./html.ts";
import { wantsJson } from "../http/negotiation.ts";

test("interpolated text is escaped for content and quoted attributes", () => {
  const name = `<script>alert("x")</script> & 'friends'`;
  assert.equal(
    html`<p title="${name}">${name}</p>`.value,
    `<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;friends&#39;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;friends&#39;</p>`,
  );
});

test("nested templates and raw() are inserted as they are; arrays are joined; null, undefined and false vanish", () => {
  const items = ["a<b", "c"].map((t) => html`<li>${t}</li>`);
  assert.equal(html`<ul>${items}</ul>${null}${undefined}${false}${0}`.value, "<ul><li>a&lt;b</li><li>c</li></ul>0");
  assert.equal(html`<div>${raw("<p>sanitised</p>")}</div>`.value, "<div><p>sanitised</p></div>");
  assert.equal(html`${[[html`<i>`, "<"], "&"]}`.value, "<i>&lt;&amp;");
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
