import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Account } from "../account/account.entity.ts";
import { ENGINES } from "../testing/databases.ts";
import { startTestInstance, type TestInstance } from "../testing/instance.ts";
import { child, children, foreignCssReferences, foreignReferences, parseXml, startTags } from "./markup-check.ts";
import { insertFollow, insertInteraction, insertMedia, insertPost, remoteActorData } from "./testing/seed-rows.ts";

/** A 1×1 PNG. */
const PNG = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=", "base64");
const BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
const ACTIVITY = "application/activity+json";

interface Seeded {
  account: Account;
  /** Ids the profile lists, newest first. */
  listed: string[];
  ids: Record<string, string>;
  /** Ids the page of #café lists, newest first. */
  tagged: string[];
}

for (const engine of ENGINES) {
  describe(`public pages [${engine}]`, () => {
    let instance: TestInstance;
    let seeded: Seeded;
    /** Every HTML page fetched by the tests, checked for foreign references at the end. */
    const pages = new Map<string, string>();

    const get = async (path: string, accept = BROWSER, init: RequestInit = {}) => {
      const response = await fetch(instance.origin + path, { redirect: "manual", ...init, headers: { accept, ...(init.headers ?? {}) } });
      const body = await response.text();
      if ((response.headers.get("content-type") ?? "").startsWith("text/html")) pages.set(`${path} (${response.status})`, body);
      return { response, body };
    };

    before(async () => {
      instance = await startTestInstance({ engine, worker: false });
      seeded = await seed(instance);
    });
    after(async () => {
      await instance?.close();
    });

    test("the profile is an HTML page for browsers at /@name and /users/name", async () => {
      for (const path of ["/@acme", "/users/acme"]) {
        const { response, body } = await get(path);
        assert.equal(response.status, 200, path);
        assert.equal(response.headers.get("content-type"), "text/html; charset=utf-8");
        assert.match(response.headers.get("vary") ?? "", /accept/i);
        assert.match(body, /^<!doctype html>\n<html lang="en">/);
        assert.match(body, /<h1 id="profile-name" class="p-name">ACME GmbH &amp; Co\. KG<\/h1>/);
        assert.ok(body.includes(`@acme@${instance.domain}`));
        assert.ok(body.includes("<p>We make bicycles.</p>"), "bio as stored");
        assert.ok(body.includes("<dt>Website</dt>"), "profile field name");
        assert.ok(body.includes(`<link rel="alternate" type="application/activity+json" href="${instance.origin}/users/acme">`));
        assert.ok(body.includes(`href="${instance.origin}/users/acme/feed.rss"`));
        assert.ok(body.includes(`href="${instance.origin}/users/acme/feed.atom"`));
        assert.ok(body.includes(`<link rel="canonical" href="${instance.origin}/@acme">`));
        // 50 public + unlisted top-level posts and two public replies, all listed; followers-only, direct, drafts, deleted posts and boosts neither count nor show.
        assert.match(body, /<strong>52<\/strong> posts/);
        assert.match(body, /<strong>2<\/strong> followers/);
        assert.match(body, /<strong>1<\/strong> following/);
        assert.equal(startTags(body).filter((t) => t.name === "h1").length, 1);
        assert.equal(startTags(body).filter((t) => t.name === "main").length, 1);
      }
    });

    test("a local avatar is shown, a remote header image is not", async () => {
      const { body } = await get("/@acme");
      const images = startTags(body).filter((t) => t.name === "img");
      assert.ok(images.some((t) => t.attributes.get("class") === "avatar u-photo" && t.attributes.get("src") === `${instance.origin}/media/01jb2m3n4p5q6r7s8t9v0w1x2y/avatar.png`));
      assert.ok(!images.some((t) => t.attributes.get("class") === "banner"));
      assert.ok(!body.includes("elsewhere.example/header.png"));
      for (const img of images) assert.ok(img.attributes.has("alt"), "every image has an alt attribute");
    });

    test("the same URLs answer ActivityPub JSON to servers", async () => {
      const actor = await get("/users/acme", ACTIVITY);
      assert.equal(actor.response.status, 200);
      assert.match(actor.response.headers.get("content-type") ?? "", /^application\/activity\+json/);
      const json = JSON.parse(actor.body) as { id: string; type: string };
      assert.equal(json.id, `${instance.origin}/users/acme`);
      assert.equal(json.type, "Organization");

      const human = await get("/@acme", ACTIVITY);
      assert.equal(human.response.status, 301);
      assert.equal(human.response.headers.get("location"), `${instance.origin}/users/acme`);

      const postUrl = `${instance.origin}/users/acme/posts/${seeded.listed[0]}`;
      const post = await get(`/users/acme/posts/${seeded.listed[0]}`, ACTIVITY);
      assert.equal(post.response.status, 200);
      assert.match(post.response.headers.get("content-type") ?? "", /^application\/activity\+json/);
      const note = JSON.parse(post.body) as { id: string; type: string };
      assert.deepEqual([note.id, note.type], [postUrl, "Note"]);
      // Where no object document exists, a server still never receives a web page.
      for (const path of [`/users/acme/posts/${seeded.ids.followers}`, "/users/acme/posts/0000000000000000000000000z"]) {
        const hidden = await get(path, ACTIVITY);
        assert.doesNotMatch(hidden.response.headers.get("content-type") ?? "", /text\/html/, path);
        assert.doesNotMatch(hidden.body, /<!doctype html>/i, path);
        assert.ok(!hidden.body.includes("Secret"), path);
      }
      const unknown = await get("/users/nobody", ACTIVITY);
      assert.equal(unknown.response.status, 404);
      assert.doesNotMatch(unknown.response.headers.get("content-type") ?? "", /text\/html/);
    });

    test("security headers are on every page", async () => {
      for (const path of ["/@acme", `/users/acme/posts/${seeded.listed[0]}`, "/@nobody", `/users/acme/posts/${seeded.ids.deleted}`, "/users/acme/feed.rss", "/assets/herold.css"]) {
        const { response } = await get(path);
        const csp = response.headers.get("content-security-policy") ?? "";
        assert.match(csp, /default-src 'none'/, path);
        assert.match(csp, /style-src 'self'/, path);
        assert.doesNotMatch(csp, /unsafe-inline/, path);
        assert.equal(response.headers.get("x-content-type-options"), "nosniff", path);
        assert.equal(response.headers.get("x-frame-options"), "DENY", path);
        assert.equal(response.headers.get("referrer-policy"), "same-origin", path);
      }
    });

    test("posts are paged newest first with ?before= links until the oldest", async () => {
      const seen: string[] = [];
      let path: string | null = "/@acme";
      let pageCount = 0;
      while (path !== null) {
        const { response, body } = await get(path);
        assert.equal(response.status, 200, path);
        pageCount++;
        const articles = [...body.matchAll(/<a class="u-url permalink" href="[^"]*\/posts\/([0-9a-z]{26})">/g)].map((m) => m[1]!);
        assert.ok(articles.length <= 20, "at most 20 posts per page");
        seen.push(...articles);
        const next = startTags(body).find((t) => t.name === "a" && t.attributes.get("rel") === "next");
        if (pageCount > 1) assert.ok(body.includes(`<a href="${instance.origin}/@acme">Newest posts</a>`), "later pages link back to the newest");
        path = next ? new URL(next.attributes.get("href")!).pathname + new URL(next.attributes.get("href")!).search : null;
      }
      assert.equal(pageCount, 3);
      assert.deepEqual(seen, seeded.listed);
    });

    test("a malformed cursor is a 400 page, a cursor past the end an empty page", async () => {
      const bad = await get("/@acme?before=not-an-id");
      assert.equal(bad.response.status, 400);
      assert.match(bad.body, /<h1 id="error-title">Bad request<\/h1>/);
      const empty = await get(`/@acme?before=${"0".repeat(26)}`);
      assert.equal(empty.response.status, 200);
      assert.match(empty.body, /No older posts\./);
    });

    test("a post page shows content, time, attachments with alt text and a content warning as <details>", async () => {
      const { response, body } = await get(`/users/acme/posts/${seeded.ids.warned}`);
      assert.equal(response.status, 200);
      assert.match(response.headers.get("vary") ?? "", /accept/i);
      assert.match(body, /<details><summary>Content warning: Bike maintenance &lt;script&gt;alert\(1\)&lt;\/script&gt;<\/summary>/);
      assert.ok(body.includes("<p>Chain oil, everywhere.</p>"));
      const image = /<img src="([^"]+\/media\/([0-9a-z]{26})\/\2\.png)" alt="A red bicycle" loading="lazy"/.exec(body);
      assert.ok(image, "the local image with its alt text");
      // The URL is one the media route serves.
      const file = await fetch(image[1]!);
      assert.equal(file.status, 200);
      assert.equal(file.headers.get("content-type"), "image/png");
      assert.deepEqual(Buffer.from(await file.arrayBuffer()), PNG);
      assert.ok(!body.includes("remote.example/files/"), "media stored elsewhere is not shown");
      assert.match(body, /<time class="dt-published" datetime="2026-01-01T10:00:00\.000Z">1 Jan 2026, 10:00 UTC<\/time>/);
      assert.match(body, /edited <time class="dt-updated" datetime="2026-01-02T09:30:00\.000Z">/);
      assert.ok(body.includes(`<link rel="alternate" type="application/activity+json" href="${instance.origin}/users/acme/posts/${seeded.ids.warned}">`));
      assert.match(body, /<article class="post h-entry" lang="de">/);
    });

    test("a sensitive post without a warning hides only its media", async () => {
      const { body } = await get(`/users/acme/posts/${seeded.ids.sensitive}`);
      assert.match(body, /<p>Spoiler-free text<\/p><\/div><details><summary>Sensitive media<\/summary><ul class="attachments">/);
    });

    test("reply and quote context link to the posts they refer to", async () => {
      const reply = await get(`/users/acme/posts/${seeded.ids.reply}`);
      assert.equal(reply.response.status, 200);
      assert.ok(reply.body.includes(`In reply to <a class="u-in-reply-to" href="https://remote.example/users/bob/statuses/1" rel="nofollow noopener noreferrer">a post on remote.example</a>`));
      const quote = await get(`/users/acme/posts/${seeded.ids.quote}`);
      assert.ok(quote.body.includes(`Quoting <a class="u-quotation-of" href="${instance.origin}/users/acme/posts/${seeded.ids.oldest}" rel="nofollow noopener noreferrer">a post by @acme</a>`));
      const unsafe = await get(`/users/acme/posts/${seeded.ids.unsafeReply}`);
      assert.equal(unsafe.response.status, 200);
      assert.ok(!unsafe.body.includes("javascript:"), "a reply target that is not http(s) is not linked");
      assert.ok(!unsafe.body.includes("In reply to"));
    });

    test("a deleted public post is 410 with a small page", async () => {
      const { response, body } = await get(`/users/acme/posts/${seeded.ids.deleted}`);
      assert.equal(response.status, 410);
      assert.equal(response.headers.get("content-type"), "text/html; charset=utf-8");
      assert.match(body, /<h1 id="error-title">Deleted<\/h1>/);
      assert.ok(!body.includes("This was public"), "the deleted content is not shown");
    });

    test("posts an anonymous visitor may not see, and unknown ones, are 404 pages", async () => {
      const hidden = ["followers", "direct", "draft", "scheduled", "deletedFollowers", "boost", "otherAccount", "remote"] as const;
      for (const key of hidden) {
        const { response, body } = await get(`/users/acme/posts/${seeded.ids[key]}`);
        assert.equal(response.status, 404, key);
        assert.match(body, /<h1 id="error-title">Not found<\/h1>/, key);
        assert.ok(!body.includes("Secret"), key);
      }
      for (const path of ["/users/acme/posts/0000000000000000000000000z", "/users/acme/posts/not-an-id", "/users/nobody/posts/" + seeded.listed[0], "/@nobody", "/users/nobody", "/@-bad-"]) {
        const { response } = await get(path);
        assert.equal(response.status, 404, path);
        assert.equal(response.headers.get("content-type"), "text/html; charset=utf-8", path);
      }
    });

    test("names in another case redirect to the canonical URL", async () => {
      const { response } = await get("/@ACME?before=" + seeded.listed[5]);
      assert.equal(response.status, 301);
      assert.equal(response.headers.get("location"), `/@acme?before=${seeded.listed[5]}`);
    });

    test("markup from names and warnings is escaped", async () => {
      const { body } = await get("/@evil");
      assert.ok(body.includes("&lt;script&gt;alert(1)&lt;/script&gt;"));
      assert.ok(!body.includes("<script>"));
    });

    test("HEAD answers like GET without a body", async () => {
      const response = await fetch(`${instance.origin}/@acme`, { method: "HEAD", headers: { accept: BROWSER } });
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("content-type"), "text/html; charset=utf-8");
      assert.equal(await response.text(), "");
    });

    test("the stylesheet is served with a content hash, a long cache and an ETag", async () => {
      const { body } = await get("/@acme");
      const link = startTags(body).find((t) => t.name === "link" && t.attributes.get("rel") === "stylesheet");
      const href = link?.attributes.get("href") ?? "";
      assert.match(href, /^\/assets\/herold\.css\?v=[0-9a-f]{16}$/);
      const css = await fetch(instance.origin + href);
      assert.equal(css.status, 200);
      assert.equal(css.headers.get("content-type"), "text/css; charset=utf-8");
      assert.match(css.headers.get("cache-control") ?? "", /max-age=31536000, immutable/);
      const etag = css.headers.get("etag");
      assert.equal(etag, `"${href.split("=")[1]}"`);
      const text = await css.text();
      assert.deepEqual(foreignCssReferences(text, instance.origin + href), []);
      const again = await fetch(instance.origin + href, { headers: { "if-none-match": etag! } });
      assert.equal(again.status, 304);
      assert.equal(await again.text(), "");
    });

    test("RSS and Atom feeds are well-formed and list the public posts", async () => {
      const rss = await get("/users/acme/feed.rss", "application/rss+xml");
      assert.equal(rss.response.status, 200);
      assert.equal(rss.response.headers.get("content-type"), "application/rss+xml; charset=utf-8");
      const rssRoot = parseXml(rss.body);
      assert.equal(rssRoot.name, "rss");
      assert.equal(rssRoot.attributes.get("version"), "2.0");
      const channel = child(rssRoot, "channel")!;
      assert.equal(child(channel, "title")?.text, "ACME GmbH & Co. KG");
      assert.equal(child(channel, "link")?.text, `${instance.origin}/@acme`);
      const items = children(channel, "item");
      assert.equal(items.length, 20);
      assert.deepEqual(items.map((i) => child(i, "guid")!.text), seeded.listed.slice(0, 20).map((id) => `${instance.origin}/users/acme/posts/${id}`));
      for (const item of items) assert.ok(!Number.isNaN(Date.parse(child(item, "pubDate")!.text)));
      assert.ok(!rss.body.includes("Secret"));

      const atom = await get("/users/acme/feed.atom", "application/atom+xml");
      assert.equal(atom.response.headers.get("content-type"), "application/atom+xml; charset=utf-8");
      const feed = parseXml(atom.body);
      assert.equal(feed.name, "feed");
      assert.equal(feed.attributes.get("xmlns"), "http://www.w3.org/2005/Atom");
      assert.equal(child(feed, "id")?.text, `${instance.origin}/users/acme`);
      const entries = children(feed, "entry");
      assert.equal(entries.length, 20);
      for (const entry of entries) {
        assert.match(child(entry, "id")!.text, new RegExp(`^${instance.origin}/users/acme/posts/[0-9a-z]{26}$`));
        assert.ok(child(entry, "title")!.text.length > 0);
        assert.ok(!Number.isNaN(Date.parse(child(entry, "updated")!.text)));
        assert.equal(child(entry, "content")!.attributes.get("type"), "html");
      }
      // The entry content is the post's HTML, escaped once.
      assert.equal(child(entries[0]!, "content")!.text, `<p>Post number 45</p>`);

      const missing = await get("/users/nobody/feed.rss", "application/rss+xml");
      assert.equal(missing.response.status, 404);
    });

    test("a hashtag page lists this server's public posts with the tag, newest first, in any spelling", async () => {
      // Posts link the tag as written (`/tags/Café`): one page answers, at the stored spelling.
      const spelled = await get(`/tags/${encodeURIComponent("CAFÉ")}?before=${seeded.tagged[3]}`);
      assert.equal(spelled.response.status, 301);
      assert.equal(spelled.response.headers.get("location"), `${instance.origin}/tags/caf%C3%A9?before=${seeded.tagged[3]}`);
      const seen: string[] = [];
      let path: string | null = "/tags/caf%C3%A9";
      let pageCount = 0;
      while (path !== null) {
        const { response, body } = await get(path);
        assert.equal(response.status, 200, path);
        assert.match(response.headers.get("vary") ?? "", /accept/i);
        pageCount++;
        assert.match(body, /<h1 id="tag-heading" class="tag-title">#café<\/h1>/);
        assert.ok(body.includes(`<link rel="alternate" type="application/rss+xml" href="${instance.origin}/tags/caf%C3%A9/feed.rss" title="#café (RSS)">`));
        assert.ok(body.includes(`<link rel="alternate" type="application/atom+xml" href="${instance.origin}/tags/caf%C3%A9/feed.atom" title="#café (Atom)">`));
        seen.push(...[...body.matchAll(/<a class="u-url permalink" href="[^"]*\/posts\/([0-9a-z]{26})">/g)].map((m) => m[1]!));
        assert.ok(!body.includes("Secret"), "nothing an anonymous visitor may not see");
        const next = startTags(body).find((t) => t.name === "a" && t.attributes.get("rel") === "next");
        path = next ? new URL(next.attributes.get("href")!).pathname + new URL(next.attributes.get("href")!).search : null;
      }
      assert.equal(pageCount, 2);
      // Public posts of both accounts; unlisted, followers-only, direct, deleted, remote posts and boosts stay out.
      assert.deepEqual(seen, seeded.tagged);
      const unknown = await get("/tags/nothinghere");
      assert.equal(unknown.response.status, 200);
      assert.match(unknown.body, /No public posts with this hashtag yet\./);
      for (const bad of ["/tags/not%20a%20tag", "/tags/%3Cscript%3E"]) {
        const page = await get(bad);
        assert.equal(page.response.status, 404, bad);
        assert.match(page.body, /<h1 id="error-title">Not found<\/h1>/, bad);
      }
      const cursor = await get("/tags/caf%C3%A9?before=nope");
      assert.equal(cursor.response.status, 400);
    });

    test("a hashtag's RSS and Atom feeds list its newest public posts", async () => {
      const rss = await get("/tags/caf%C3%A9/feed.rss", "application/rss+xml");
      assert.equal(rss.response.status, 200);
      assert.equal(rss.response.headers.get("content-type"), "application/rss+xml; charset=utf-8");
      const channel = child(parseXml(rss.body), "channel")!;
      assert.equal(child(channel, "title")?.text, `#café on ${instance.domain}`);
      assert.equal(child(channel, "link")?.text, `${instance.origin}/tags/caf%C3%A9`);
      assert.deepEqual(children(channel, "item").map((i) => child(i, "guid")!.text), seeded.tagged.slice(0, 20).map((id) => `${instance.origin}/users/${id === seeded.ids.taggedByEvil ? "evil" : "shop"}/posts/${id}`));
      const atom = await get("/tags/caf%C3%A9/feed.atom", "application/atom+xml");
      const feed = parseXml(atom.body);
      assert.equal(child(feed, "id")?.text, `${instance.origin}/tags/caf%C3%A9`);
      const entries = children(feed, "entry");
      assert.equal(entries.length, 20);
      // Each entry names its author: a hashtag's posts come from several accounts.
      for (const entry of entries) assert.ok(child(child(entry, "author")!, "name")!.text.length > 0);
      const other = await get(`/tags/${encodeURIComponent("Café")}/feed.rss`, "application/rss+xml");
      assert.equal(other.response.status, 301);
      assert.equal(other.response.headers.get("location"), `${instance.origin}/tags/caf%C3%A9/feed.rss`);
    });

    test("the site root presents the accounts with their handles, how to follow and the way to sign in", async () => {
      const { response, body } = await get("/");
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("content-type"), "text/html; charset=utf-8");
      for (const [name, username] of [["ACME GmbH &amp; Co. KG", "acme"], ["&lt;script&gt;alert(1)&lt;/script&gt;", "evil"]] as const) {
        assert.ok(body.includes(`<a href="${instance.origin}/@${username}">${name}</a>`), username);
        assert.ok(body.includes(`value="@${username}@${instance.domain}" readonly`), `${username}: the handle to copy`);
      }
      assert.ok(body.includes("<p>We make bicycles.</p>"), "the bio");
      assert.ok(body.includes(`src="${instance.origin}/media/01jb2m3n4p5q6r7s8t9v0w1x2y/avatar.png"`), "the local avatar");
      assert.match(body, /How to follow ACME GmbH &amp; Co\. KG/);
      assert.match(body, /Mastodon, Misskey/);
      assert.ok(body.includes('<a href="/app/login">Sign in to the team app</a>'));
      assert.ok(!body.includes("<script>alert"));
      // ActivityPub clients keep the JSON 404 they had.
      const json = await get("/", ACTIVITY);
      assert.equal(json.response.status, 404);
      assert.match(json.response.headers.get("content-type") ?? "", /^application\/json/);
    });

    test("unknown paths are a styled 404 page for browsers and JSON for everyone else", async () => {
      for (const path of ["/nothing-here", "/users/acme/nothing", "/app-not"]) {
        const page = await get(path);
        assert.equal(page.response.status, 404, path);
        assert.equal(page.response.headers.get("content-type"), "text/html; charset=UTF-8", path);
        assert.match(page.body, /<h1 id="error-title">Not found<\/h1>/, path);
        assert.match(page.body, /<link rel="stylesheet" href="\/assets\/herold\.css\?v=[0-9a-f]{16}">/, path);
        const json = await get(path, ACTIVITY);
        assert.equal(json.response.status, 404, path);
        assert.deepEqual(JSON.parse(json.body), { error: "Not found" }, path);
      }
    });

    test("a post page shows its author, the ledger's counts and only the public replies", async () => {
      const { body } = await get(`/users/acme/posts/${seeded.ids.discussed}`);
      assert.ok(body.includes(`<img class="u-photo" src="${instance.origin}/media/01jb2m3n4p5q6r7s8t9v0w1x2y/avatar.png" alt="" width="40" height="40"><span class="p-name">ACME GmbH &amp; Co. KG</span> <span class="author-handle">@acme@${instance.domain}</span>`));
      // Two likes (a third was undone), one boost, two replies in the ledger.
      assert.match(body, /<li><strong>2<\/strong> replies<\/li><li><strong>1<\/strong> boost<\/li><li><strong>2<\/strong> likes<\/li>/);
      assert.ok(body.includes("<p>Great bikes!</p>"), "the public remote reply");
      assert.ok(body.includes("<p>Agreed, quietly.</p>"), "the unlisted local reply");
      assert.ok(body.includes(`@bob@remote.example`));
      assert.ok(!body.includes("Secret"), "followers-only and deleted replies are not shown");
      assert.ok(!body.includes("remote.example/avatars/"), "remote avatars are not loaded");
      assert.ok(body.includes(`value="@acme@${instance.domain}" readonly`), "the handle to copy");
      const quiet = await get(`/users/acme/posts/${seeded.listed[0]}`);
      assert.match(quiet.body, /No public replies yet\./);
      assert.match(quiet.body, /<li><strong>0<\/strong> replies<\/li>/);
    });

    test("an edited post shows its earlier versions", async () => {
      const { body } = await get(`/users/acme/posts/${seeded.ids.warned}`);
      assert.match(body, /<summary>Edited once: earlier versions<\/summary>/);
      assert.ok(body.includes("<p>Chain grease, everywhere.</p>"));
      assert.match(body, /Shown from <time class="" datetime="2026-01-01T10:00:00\.000Z">/);
    });

    test("the favicon is a PNG, cached by ETag", async () => {
      for (const path of ["/favicon.png", "/favicon.ico"]) {
        const response = await fetch(instance.origin + path);
        assert.equal(response.status, 200, path);
        assert.equal(response.headers.get("content-type"), "image/png", path);
        const bytes = Buffer.from(await response.arrayBuffer());
        assert.deepEqual([...bytes.subarray(1, 4)], [0x50, 0x4e, 0x47], path);
        const again = await fetch(instance.origin + path, { headers: { "if-none-match": response.headers.get("etag")! } });
        assert.equal(again.status, 304, path);
      }
      const { body } = await get("/@acme");
      assert.ok(body.includes('<link rel="icon" type="image/png" href="/favicon.png">'));
    });

    test("no page refers to another origin for anything a browser loads", async () => {
      assert.ok(pages.size >= 15, `pages checked: ${pages.size}`);
      for (const [path, body] of pages) {
        // The one script is the pages' own, same-origin and without inline content (checked below).
        assert.deepEqual(foreignReferences(body, instance.origin + path.split(" ")[0]).filter((p) => p !== "script element"), [], path);
        const scripts = startTags(body).filter((t) => t.name === "script");
        assert.equal(scripts.length, 1, path);
        assert.match(scripts[0]!.attributes.get("src") ?? "", /^\/assets\/herold\.js\?v=[0-9a-f]{16}$/, path);
        assert.match(body, /<script [^>]*><\/script>/, path);
      }
      // The profile does link elsewhere (the bio, the website field): those links are safe ones.
      const profile = pages.get("/@acme (200)")!;
      assert.ok(profile.includes('href="https://acme.example/"'));
    });
  });
}

/** One organisation account with posts of every kind, followers and a second, hostile-named account. */
async function seed(instance: TestInstance): Promise<Seeded> {
  const { ctx, origin } = instance;
  const db = ctx.database.db;
  const created = await ctx.services.accounts.create({ username: "acme", type: "organization", name: "ACME GmbH & Co. KG", summary: "We make bicycles." });
  assert.ok(created.ok);
  const other = await ctx.services.accounts.create({ username: "evil", type: "person", name: "<script>alert(1)</script>" });
  assert.ok(other.ok);
  const account = (await ctx.repos.accounts.updateProfile(
    created.value.id,
    {
      fields: [{ name: "Website", value: '<a href="https://acme.example/" rel="nofollow noopener noreferrer me" target="_blank">acme.example</a>' }],
      iconUrl: `${origin}/media/01jb2m3n4p5q6r7s8t9v0w1x2y/avatar.png`,
      imageUrl: "https://elsewhere.example/header.png",
    },
    new Date().toISOString(),
  ))!;
  const postUri = (username: string) => (id: string) => ctx.urls.post(username, id);
  const actorId = account.actorId;
  const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 9, minute)).toISOString();
  const ids: Record<string, string> = {};
  const listed: string[] = [];

  const bob = await ctx.repos.actors.upsertRemote(remoteActorData("remote.example", "bob"), new Date().toISOString());
  const carol = await ctx.repos.actors.upsertRemote(remoteActorData("other.example", "carol"), new Date().toISOString());
  const dave = await ctx.repos.actors.upsertRemote(remoteActorData("third.example", "dave"), new Date().toISOString());
  await insertFollow(db, bob.id, actorId, "accepted");
  await insertFollow(db, carol.id, actorId, "accepted");
  await insertFollow(db, dave.id, actorId, "pending");
  await insertFollow(db, actorId, bob.id, "accepted");

  ids.followers = await insertPost(db, { actorId, uri: postUri("acme"), visibility: "followers", contentHtml: "<p>Secret for followers</p>" });
  ids.direct = await insertPost(db, { actorId, uri: postUri("acme"), visibility: "direct", contentHtml: "<p>Secret message</p>" });
  ids.draft = await insertPost(db, { actorId, uri: postUri("acme"), state: "draft", contentHtml: "<p>Secret draft</p>" });
  ids.scheduled = await insertPost(db, { actorId, uri: postUri("acme"), state: "scheduled", contentHtml: "<p>Secret plan</p>" });
  ids.deleted = await insertPost(db, { actorId, uri: postUri("acme"), state: "deleted", contentHtml: "<p>This was public</p>" });
  ids.deletedFollowers = await insertPost(db, { actorId, uri: postUri("acme"), state: "deleted", visibility: "followers", contentHtml: "<p>Secret, deleted</p>" });
  ids.otherAccount = await insertPost(db, { actorId: other.value.actorId, uri: postUri("evil"), contentHtml: "<p>Secret of another account</p>" });
  ids.remote = await insertPost(db, { actorId: bob.id, uri: () => `https://remote.example/users/bob/statuses/${Math.random()}`, isLocal: false, contentHtml: "<p>Secret remote</p>" });
  ids.reply = await insertPost(db, { actorId, uri: postUri("acme"), inReplyToUri: "https://remote.example/users/bob/statuses/1", contentHtml: "<p>Thanks, Bob!</p>" });
  ids.unsafeReply = await insertPost(db, { actorId, uri: postUri("acme"), inReplyToUri: "javascript:alert(1)", contentHtml: "<p>Reply to nowhere</p>" });
  // A post with a conversation: replies of every visibility, and ledger entries.
  const discussedAt = new Date(Date.UTC(2026, 0, 1, 8, 0)).toISOString();
  ids.discussed = await insertPost(db, { actorId, uri: postUri("acme"), contentHtml: "<p>Our new bike</p>", publishedAt: discussedAt });
  const discussedUri = ctx.urls.post("acme", ids.discussed);
  await insertPost(db, { actorId: bob.id, uri: () => `https://remote.example/users/bob/statuses/reply-1`, isLocal: false, inReplyToUri: discussedUri, contentHtml: "<p>Great bikes!</p>" });
  await insertPost(db, { actorId: other.value.actorId, uri: postUri("evil"), visibility: "unlisted", inReplyToUri: discussedUri, contentHtml: "<p>Agreed, quietly.</p>" });
  await insertPost(db, { actorId: carol.id, uri: () => `https://other.example/users/carol/statuses/reply-2`, isLocal: false, visibility: "followers", inReplyToUri: discussedUri, contentHtml: "<p>Secret reply</p>" });
  await insertPost(db, { actorId: carol.id, uri: () => `https://other.example/users/carol/statuses/reply-3`, isLocal: false, state: "deleted", inReplyToUri: discussedUri, contentHtml: "<p>Secret deleted reply</p>" });
  await insertInteraction(db, { kind: "like", postId: ids.discussed, actorId: bob.id });
  await insertInteraction(db, { kind: "like", postId: ids.discussed, actorId: carol.id });
  await insertInteraction(db, { kind: "like", postId: ids.discussed, actorId: dave.id, undone: true });
  await insertInteraction(db, { kind: "boost", postId: ids.discussed, actorId: bob.id });
  await insertInteraction(db, { kind: "reply", postId: ids.discussed, actorId: bob.id });
  await insertInteraction(db, { kind: "reply", postId: ids.discussed, actorId: other.value.actorId });
  ids.boost = await insertPost(db, { actorId, uri: postUri("acme"), boostOfId: ids.remote, contentHtml: "<p>Secret boost</p>" });

  const oldest = await insertPost(db, { actorId, uri: postUri("acme"), visibility: "unlisted", contentHtml: "<p>Unlisted hello</p>", publishedAt: at(0) });
  ids.warned = await insertPost(db, {
    actorId,
    uri: postUri("acme"),
    summary: "Bike maintenance <script>alert(1)</script>",
    contentHtml: "<p>Chain oil, everywhere.</p>",
    language: "de",
    publishedAt: new Date(Date.UTC(2026, 0, 1, 10, 0)).toISOString(),
    editedAt: new Date(Date.UTC(2026, 0, 2, 9, 30)).toISOString(),
  });
  const bicycle = await insertMedia(db, { actorId, postId: ids.warned, position: 0, local: true, description: "A red bicycle" });
  await mkdir(join(ctx.config.dataDir, "media"), { recursive: true });
  await writeFile(join(ctx.config.dataDir, "media", `${bicycle}.png`), PNG);
  await insertMedia(db, { actorId, postId: ids.warned, position: 1, remoteUrl: "https://remote.example/files/x.png", description: "Stored elsewhere" });
  ids.sensitive = await insertPost(db, { actorId, uri: postUri("acme"), sensitive: true, contentHtml: "<p>Spoiler-free text</p>" });
  await insertMedia(db, { actorId, postId: ids.sensitive, position: 0, local: true, mimeType: "image/jpeg", description: "" });
  ids.quote = await insertPost(db, { actorId, uri: postUri("acme"), quoteUri: ctx.urls.post("acme", oldest), contentHtml: "<p>As we said before</p>" });
  // Replies are listed too: the count includes them (issue #12 item 15: the count matches the list).
  ids.oldest = oldest;
  listed.push(ids.reply, ids.unsafeReply, ids.discussed, oldest, ids.warned, ids.sensitive, ids.quote);
  for (let i = 1; i <= 45; i++) {
    listed.push(await insertPost(db, { actorId, uri: postUri("acme"), contentHtml: `<p>Post number ${i}</p>`, publishedAt: at(10 + i) }));
  }
  // #café: 24 public posts of a third account and one of evil, listed; the rest must stay out of the page.
  const shop = await ctx.services.accounts.create({ username: "shop", type: "organization", name: "ACME Shop" });
  assert.ok(shop.ok);
  const tagged: string[] = [];
  for (let i = 1; i <= 24; i++) tagged.push(await insertPost(db, { actorId: shop.value.actorId, uri: postUri("shop"), contentHtml: `<p>Coffee ${i}</p>`, tags: ["café"], publishedAt: at(i) }));
  ids.taggedByEvil = await insertPost(db, { actorId: other.value.actorId, uri: postUri("evil"), contentHtml: "<p>Evil coffee</p>", tags: ["café"] });
  tagged.push(ids.taggedByEvil);
  await insertPost(db, { actorId: shop.value.actorId, uri: postUri("shop"), visibility: "unlisted", contentHtml: "<p>Secret unlisted coffee</p>", tags: ["café"] });
  await insertPost(db, { actorId: shop.value.actorId, uri: postUri("shop"), visibility: "followers", contentHtml: "<p>Secret coffee</p>", tags: ["café"] });
  await insertPost(db, { actorId: shop.value.actorId, uri: postUri("shop"), visibility: "direct", contentHtml: "<p>Secret direct coffee</p>", tags: ["café"] });
  await insertPost(db, { actorId: shop.value.actorId, uri: postUri("shop"), state: "deleted", contentHtml: "<p>Secret deleted coffee</p>", tags: ["café"] });
  await insertPost(db, { actorId: bob.id, uri: () => `https://remote.example/users/bob/statuses/${Math.random()}`, isLocal: false, contentHtml: "<p>Secret remote coffee</p>", tags: ["café"] });

  // The warned post's earlier version (its edit on 2 January).
  await db.insertInto("post_edits").values({ id: `${ids.warned.slice(0, 25)}e`, post_id: ids.warned, content_html: "<p>Chain grease, everywhere.</p>", source_text: "Chain grease, everywhere.", summary: null, name: null, edited_at: new Date(Date.UTC(2026, 0, 2, 9, 30)).toISOString() }).execute();
  return { account, listed: listed.reverse(), ids, tagged: tagged.reverse() };
}
