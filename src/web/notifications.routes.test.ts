import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import sharp from "sharp";
import type { Post } from "../post/post.entity.ts";
import { remoteActorData } from "../testing/fixtures.ts";
import { startTestInstance, type TestInstance } from "../testing/instance.ts";
import { setUpOwner, type WebClient } from "./testing/web-client.ts";
import { insertPost } from "../pages/testing/seed-rows.ts";

/**
 * Issue #12 item 9: likes and boosts of one post are one line naming everyone and the post (a line
 * of its text and a thumbnail, not the full image again); a reply names the post it answers; new
 * notifications are marked and "mark as read" marks only what the page showed.
 */
describe("notifications page: grouping, the post they are about, unread", { timeout: 120_000 }, () => {
  let a: TestInstance;
  let owner: WebClient;
  let post: Post;
  let files: string;
  const actors: string[] = [];
  let n = 0;

  const record = async (kind: "like" | "boost" | "reply", from: string) => {
    await a.ctx.social.interactions.record({ kind, postId: post.id, actorId: from, activityUri: `https://remote.example/activities/${n++}`, objectUri: kind === "reply" ? `https://remote.example/notes/${n}` : null, at: new Date().toISOString() });
  };

  before(async () => {
    a = await startTestInstance({ worker: false });
    owner = await setUpOwner(a, { email: "owner@acme.example", password: "owner's long password", account_username: "acme", account_name: "ACME" });
    files = mkdtempSync(join(tmpdir(), "herold-notes-"));
    const image = join(files, "bike.png");
    writeFileSync(image, await sharp({ create: { width: 800, height: 600, channels: 3, background: "#336699" } }).png().toBuffer());
    const published = await a.ctx.posts.service.publish({ username: "acme", text: "Our red bicycle is here", media: [{ path: image, description: "A red bicycle" }] });
    assert.ok(published.ok);
    post = published.value;
    for (const name of ["ann", "ben", "cem", "dia"]) actors.push((await a.ctx.repos.actors.upsertRemote(remoteActorData("remote.example", name, { name: name.toUpperCase() }), new Date().toISOString())).id);
    for (const actor of actors.slice(0, 3)) await record("like", actor);
    await record("boost", actors[3]!);
    // The reply itself is stored (as the inbox stores it), so the notification shows it.
    await insertPost(a.ctx.database.db, { actorId: actors[0]!, uri: () => `https://remote.example/notes/${n + 1}`, isLocal: false, inReplyToUri: post.uri, contentHtml: "<p>Lovely colour!</p>" });
    await record("reply", actors[0]!);
  });
  after(async () => {
    await a?.close();
    if (files !== undefined) rmSync(files, { recursive: true, force: true });
  });

  test("three likes of one post are one line; the boost and the reply name the post with a link to it", async () => {
    const page = await owner.get("/app/notifications");
    assert.equal(page.status, 200);
    const items = [...page.html.matchAll(/<li( class="unread")?><p>([\s\S]*?)<\/li>/g)].map((m) => m[2]!);
    assert.equal(items.length, 3, "reply, boost, likes");
    assert.match(items[0]!, /<strong>ANN<\/strong> <span class="handle">@ann@remote\.example<\/span> replied to your post/);
    assert.match(items[1]!, /<strong>DIA<\/strong> <span class="handle">@dia@remote\.example<\/span> boosted your post/);
    assert.match(items[2]!, /<strong>CEM<\/strong>, <strong>BEN<\/strong> and 1 other liked your post/);
    for (const item of items) assert.ok(item.includes(`<a class="about" href="/app/posts/${post.id}">`), "links the post in the app");
    assert.ok(items[2]!.includes("“Our red bicycle is here”"));
    // The reply's card names the post it answers and links it.
    assert.ok(items[0]!.includes("<p>Lovely colour!</p>"));
    assert.ok(items[0]!.includes(`<p class="context">In reply to <a href="/app/posts/${post.id}">your post</a></p>`));
    assert.match(items[2]!, /<img class="thumb" src="[^"]+" alt="" width="48" height="48"/);
    assert.ok(!items[2]!.includes('alt="A red bicycle"'), "no full-size image repeated for likes");
    assert.match(page.html, /<span class="badge new">5 new<\/span>/);
    // Every page's navigation carries the count.
    const home = await owner.get("/app/drafts");
    assert.match(home.html, /Notifications <span class="nav-count">5<span class="visually-hidden"> unread<\/span><\/span><\/a>/);
  });

  test("mark as read marks what the page showed; a notification arriving since stays new", async () => {
    const page = await owner.get("/app/notifications");
    const upTo = /name="up_to" value="([0-9a-z]{26})"/.exec(page.html)![1]!;
    await record("like", actors[3]!);
    const marked = await owner.post("/app/notifications/read", { up_to: upTo, back: "/app/notifications" });
    assert.equal(marked.status, 303);
    assert.equal(marked.location, "/app/notifications?done=read");
    const after = await owner.get(marked.location!);
    assert.match(after.html, /Notifications marked as read\./);
    assert.match(after.html, /<span class="badge new">1 new<\/span>/);
    assert.match(after.html, /<span class="nav-count">1<span class="visually-hidden"> unread/);
    // The new like joins the likes' line, which is new again; the others are read.
    assert.equal([...after.html.matchAll(/<li class="unread">/g)].length, 1);
    assert.match(after.html, /<li class="unread"><p><span class="badge new">New<\/span> <strong>DIA<\/strong>, <strong>CEM<\/strong> and 2 others liked your post/);
    assert.equal((await owner.post("/app/notifications/read", { up_to: "not-an-id" })).status, 400);
    // A forged "back" cannot send the browser elsewhere.
    await owner.get("/app/notifications");
    assert.equal((await owner.post("/app/notifications/read", { up_to: upTo, back: "//evil.example/" })).location, "/app/notifications?done=read");
    const latest = /name="up_to" value="([0-9a-z]{26})"/.exec((await owner.get("/app/notifications")).html)![1]!;
    await owner.post("/app/notifications/read", { up_to: latest, back: "/app/notifications" });
    assert.doesNotMatch((await owner.get("/app/notifications")).html, /nav-count/, "no badge when nothing is new");
  });
});
