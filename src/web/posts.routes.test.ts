import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import sharp from "sharp";
import type { Post } from "../post/post.entity.ts";
import { eventually, startTestInstances, type TestInstance } from "../testing/instance.ts";
import { setUpOwner, signIn, type WebClient } from "./testing/web-client.ts";

/**
 * Issue #12 items 4 and 12: a published post fixed in the app. Two Herold instances on 127.0.0.1:
 * acme on A (edited and deleted in A's app), bob on B following it. The edit arrives at B as an
 * Update (B's app shows the new text), the delete as a Delete; the sent list shows the ledger's
 * counts, searches, pages, and posts again with the images and alt texts; an author may do none of
 * the publisher's changes.
 */
describe("sent posts: edit, delete and post again from the app, federated", { timeout: 180_000 }, () => {
  let a: TestInstance;
  let b: TestInstance;
  let owner: WebClient;
  let reader: WebClient;
  let author: WebClient;
  let files: string;

  const publish = async (text: string, media: { path: string; description: string }[] = []): Promise<Post> => {
    const result = await a.ctx.posts.service.publish({ username: "acme", text, media });
    assert.ok(result.ok, result.ok ? "" : result.message);
    return result.value;
  };
  const onB = (uri: string) => b.ctx.repos.posts.findByUri(uri);

  before(async () => {
    [a, b] = (await startTestInstances([{}, {}])) as [TestInstance, TestInstance];
    owner = await setUpOwner(a, { email: "owner@acme.example", password: "owner's long password", account_username: "acme", account_name: "ACME" });
    reader = await setUpOwner(b, { email: "bob@b.example", password: "bob's long password", account_username: "bob", account_name: "Bob" });
    const created = await a.ctx.web.users.create({ email: "ann@acme.example", password: "ann's long password", accountUsername: "acme", role: "author" });
    assert.ok(created.ok);
    author = await signIn(a, "ann@acme.example", "ann's long password");
    const follow = await b.cli("follow", "bob", `${a.origin}/users/acme`);
    assert.equal(follow.code, 0, follow.err);
    await eventually(async () => (await a.ctx.social.followers.counts((await a.ctx.services.accounts.get("acme"))!.actorId)).followers === 1, 15_000, "bob following acme");
    files = mkdtempSync(join(tmpdir(), "herold-sent-"));
  });

  after(async () => {
    await a?.close();
    await b?.close();
    if (files !== undefined) rmSync(files, { recursive: true, force: true });
  });

  test("a post edited in the app arrives at the other instance as an Update, with its history on both sides", async () => {
    const post = await publish("Our new bike is out: grean and fast");
    await eventually(async () => (await onB(post.uri)) ?? undefined, 15_000, "the post on B");
    const form = await owner.get(`/app/posts/${post.id}/edit`);
    assert.equal(form.status, 200);
    assert.match(form.html, /<textarea id="text" name="text"[^>]*>Our new bike is out: grean and fast<\/textarea>/);
    const saved = await owner.post(`/app/posts/${post.id}/edit`, { text: "Our new bike is out: green and fast" });
    assert.equal(saved.status, 303);
    assert.equal(saved.location, `/app/posts/${post.id}?done=edited`);
    const remote = await eventually(async () => {
      const p = await onB(post.uri);
      return p?.contentHtml?.includes("green and fast") ? p : undefined;
    }, 15_000, "the Update on B");
    assert.ok(remote.editedAt !== null);
    // B's app shows the new text in bob's home timeline.
    const home = await reader.get("/app/timeline");
    assert.ok(home.html.includes("green and fast"));
    assert.ok(!home.html.includes("grean"));
    // A: the app's post page and the public page keep the earlier version.
    const mine = await owner.get(saved.location!);
    assert.match(mine.html, /Post edited; the new text is on its way/);
    assert.match(mine.html, /<h2 id="history-heading">Earlier versions<\/h2>/);
    assert.ok(mine.html.includes("grean and fast"));
    const page = await fetch(post.uri, { headers: { accept: "text/html" } });
    const body = await page.text();
    assert.match(body, /Edited once: earlier versions/);
    assert.ok(body.includes("green and fast") && body.includes("grean and fast"));
  });

  test("an edit over the limit comes back in the form with the text as typed and changes nothing", async () => {
    const post = await publish("Short and sweet");
    const long = "x".repeat(a.ctx.config.limits.postMaxChars + 1);
    const refused = await owner.post(`/app/posts/${post.id}/edit`, { text: long });
    assert.equal(refused.status, 422);
    assert.ok(refused.html.includes(`>${long}</textarea>`));
    assert.match(refused.html, /role="alert">the post has \d+ characters; the limit is/);
    assert.equal((await a.ctx.repos.posts.findById(post.id))!.sourceText, "Short and sweet");
  });

  test("delete asks first, then arrives at the other instance as a Delete", async () => {
    const post = await publish("A post with a typo we would rather remove");
    await eventually(async () => (await onB(post.uri)) ?? undefined, 15_000, "the post on B");
    const confirm = await owner.get(`/app/posts/${post.id}/delete`);
    assert.equal(confirm.status, 200);
    assert.match(confirm.html, /<h1>Delete this post\?<\/h1>/);
    assert.equal((await a.ctx.repos.posts.findById(post.id))!.state, "published", "opening the confirmation deletes nothing");
    const deleted = await owner.post(`/app/posts/${post.id}/delete`, {});
    assert.equal(deleted.status, 303);
    assert.equal(deleted.location, "/app/posts?done=deleted");
    assert.equal((await a.ctx.repos.posts.findById(post.id))!.state, "deleted");
    await eventually(async () => ((await onB(post.uri))?.state === "deleted" ? true : undefined), 15_000, "the Delete on B");
    assert.equal((await owner.get(`/app/posts/${post.id}`)).status, 404);
    assert.equal((await owner.post(`/app/posts/${post.id}/delete`, {})).status, 404, "a second delete finds nothing");
  });

  test("the sent list shows the ledger's counts, searches text case-insensitively and pages by id", async () => {
    const liked = await publish("Counting likes at the bike fair");
    await eventually(async () => (await onB(liked.uri)) ?? undefined, 15_000, "the post on B");
    const like = await b.ctx.posts.interactions.like("bob", liked.uri);
    assert.ok(like.ok);
    await eventually(async () => ((await a.ctx.social.interactions.countsOf([liked.id])).get(liked.id)?.likes === 1 ? true : undefined), 15_000, "the Like on A");
    const list = await owner.get("/app/posts");
    assert.equal(list.status, 200);
    const row = list.html.slice(list.html.indexOf(`id="sent-${liked.id}"`));
    assert.match(row.slice(0, 2000), /<li><strong>1<\/strong> like<\/li>/);
    for (let i = 0; i < 21; i++) await publish(`Filler number ${i} with 100% effort_`);
    const search = await owner.get(`/app/posts?q=${encodeURIComponent("BIKE FAIR")}`);
    assert.ok(search.html.includes(`id="sent-${liked.id}"`));
    assert.ok(!search.html.includes("Filler number"));
    // LIKE wildcards in the search are literal characters.
    const literal = await owner.get(`/app/posts?q=${encodeURIComponent("100% effort_")}`);
    assert.equal([...literal.html.matchAll(/id="sent-/g)].length, 20);
    assert.equal((await owner.get(`/app/posts?q=${encodeURIComponent("1_0")}`)).html.includes('id="sent-'), false);
    const first = await owner.get("/app/posts");
    const older = /<a rel="next" href="([^"]+)">/.exec(first.html);
    assert.ok(older, "a link to older posts");
    const second = await owner.get(older[1]!.replace(/&amp;/g, "&"));
    assert.ok(second.html.includes(`id="sent-${liked.id}"`), "the older post is on the second page");
    assert.equal((await owner.get("/app/posts?before=nope")).status, 400);
  });

  test("post again makes a new draft with the same text, content warning, images and alt texts", async () => {
    const image = join(files, "bike.png");
    writeFileSync(image, await sharp({ create: { width: 40, height: 30, channels: 3, background: "#0050a0" } }).png().toBuffer());
    const result = await a.ctx.posts.service.publish({ username: "acme", text: "Bike of the week", contentWarning: "Shiny", media: [{ path: image, description: "A blue bike" }] });
    assert.ok(result.ok);
    await owner.get("/app/posts");
    const again = await owner.post(`/app/posts/${result.value.id}/again`, {});
    assert.equal(again.status, 303);
    const draftId = /^\/app\/compose\?draft=([0-9a-z]{26})&done=copied$/.exec(again.location ?? "")?.[1];
    assert.ok(draftId, again.location ?? "");
    const draft = (await a.ctx.web.schedule.get((await a.ctx.services.accounts.get("acme"))!, draftId))!;
    assert.deepEqual([draft.state, draft.text, draft.contentWarning, draft.visibility], ["draft", "Bike of the week", "Shiny", "public"]);
    assert.deepEqual(draft.media.map((m) => m.description), ["A blue bike"]);
    assert.equal((await a.ctx.repos.posts.findById(result.value.id))!.state, "published", "the post stays as it is");
  });

  test("an author sees no edit or delete and is refused both; other accounts' posts read as unknown", async () => {
    const post = await publish("Only publishers may change this");
    const list = await author.get("/app/posts");
    assert.ok(list.html.includes(`id="sent-${post.id}"`));
    assert.ok(!list.html.includes(`/app/posts/${post.id}/edit`));
    assert.ok(!list.html.includes(`/app/posts/${post.id}/delete`));
    assert.equal((await author.get(`/app/posts/${post.id}/edit`)).status, 403);
    const edit = await author.post(`/app/posts/${post.id}/edit`, { text: "Changed by an author" });
    assert.equal(edit.status, 403);
    assert.match(edit.html, /a publisher edits published posts/);
    assert.equal((await author.post(`/app/posts/${post.id}/delete`, {})).status, 403);
    const stored = (await a.ctx.repos.posts.findById(post.id))!;
    assert.deepEqual([stored.state, stored.sourceText], ["published", "Only publishers may change this"]);
    // A post of another account of this server: not found, not changed.
    assert.ok((await a.ctx.services.accounts.create({ username: "other", name: "Other" })).ok);
    const foreign = await a.ctx.posts.service.publish({ username: "other", text: "Not acme's" });
    assert.ok(foreign.ok);
    await owner.get("/app/posts");
    assert.equal((await owner.get(`/app/posts/${foreign.value.id}`)).status, 404);
    assert.equal((await owner.post(`/app/posts/${foreign.value.id}/edit`, { text: "hijacked" })).status, 404);
    assert.equal((await owner.post(`/app/posts/${foreign.value.id}/delete`, {})).status, 404);
    assert.equal((await a.ctx.repos.posts.findById(foreign.value.id))!.state, "published");
  });
});
