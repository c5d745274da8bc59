import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import sharp from "sharp";
import type { Account } from "../account/account.entity.ts";
import type { Actor } from "../actor/actor.entity.ts";
import { AS_PUBLIC } from "../content/validate.ts";
import { describeEachEngine } from "../testing/databases.ts";
import { createPostHarness, type PostHarness } from "./testing/post-harness.ts";

const list = (value: unknown): unknown[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);
const norm = (value: unknown) => list(value).map((a) => (a === "as:Public" || a === "Public" ? AS_PUBLIC : a));

describeEachEngine("PostService", (getDb) => {
  let h: PostHarness;
  let alice: Account;
  let bob: Actor; // mentioned, not a follower
  let carol: Actor; // accepted follower of alice
  let dave: Actor; // pending follower of alice
  let files: string;

  before(async () => {
    h = await createPostHarness(getDb());
    alice = await h.addAccount("alice");
    await h.addAccount("erin");
    bob = await h.addRemote("bob", "remote.example");
    carol = await h.addRemote("carol", "followers.example");
    dave = await h.addRemote("dave", "pending.example", { sharedInbox: false });
    await h.follow(carol.id, alice.actorId, "accepted");
    await h.follow(dave.id, alice.actorId, "pending");
    files = mkdtempSync(join(tmpdir(), "herold-post-files-"));
  });
  after(async () => {
    await h.close();
    rmSync(files, { recursive: true, force: true });
  });

  const counts = async () => {
    const db = h.ctx.database.db;
    const [posts, outbox, media, edits] = await Promise.all(
      (["posts", "outbox_activities", "media", "post_edits"] as const).map(async (table) => Number((await db.selectFrom(table).select((eb) => eb.fn.countAll().as("n")).executeTakeFirst())?.n ?? 0)),
    );
    return { posts, outbox, media, edits };
  };
  const lastDelivered = async () => (await h.delivered()).at(-1)!;
  /** Serves a remote Note by `author` at `id`. */
  const remoteNote = (author: Actor, id: string, extra: Record<string, unknown> = {}) => {
    const note = { id, type: "Note", attributedTo: author.uri, content: `<p>note ${id}</p>`, to: [AS_PUBLIC], cc: [author.followersUrl], published: "2026-02-01T00:00:00Z", ...extra };
    h.fetcher.add(note);
    return note;
  };

  test("public post: HTML with links, hashtags and a WebFinger-resolved mention; Create to accepted followers and the mentioned actor", async () => {
    const result = await h.posts.service.publish({ username: "alice", text: "Hello @bob@remote.example, see https://herold.test/about #Launch", language: "en" });
    assert.ok(result.ok, !result.ok ? result.message : "");
    const post = result.value;
    assert.equal(post.uri, h.ctx.urls.post("alice", post.id));
    assert.equal(post.visibility, "public");
    assert.match(post.contentHtml!, /^<p>Hello <span class="h-card" translate="no"><a href="https:\/\/remote.example\/@bob" class="u-url mention">@<span>bob<\/span><\/a><\/span>, see <a href="https:\/\/herold.test\/about"/);
    assert.match(post.contentHtml!, /#<span>Launch<\/span><\/a><\/p>$/);
    assert.deepEqual(await h.ctx.repos.posts.tagsOf(post.id), ["launch"]);
    assert.deepEqual(await h.ctx.repos.posts.mentionsOf(post.id), [{ actorUri: bob.uri, handle: "bob@remote.example" }]);

    const sent = await lastDelivered();
    assert.equal(sent.type, "Create");
    assert.equal(sent.objectUri, post.uri);
    assert.deepEqual(norm(sent.json["to"]), [AS_PUBLIC]);
    assert.deepEqual(norm(sent.json["cc"]), [h.ctx.urls.followers("alice"), bob.uri]);
    assert.deepEqual(sent.json["object"]["contentMap"], { en: post.contentHtml });
    // carol (accepted) and bob (mentioned) through their shared inboxes; never dave, whose follow is pending.
    assert.deepEqual([...sent.inboxes].sort(), ["https://followers.example/inbox", "https://remote.example/inbox"]);
  });

  test("each visibility: the addressing Mastodon expects and only the recipients it allows", async () => {
    const expectations = {
      unlisted: { to: [h.ctx.urls.followers("alice")], cc: [AS_PUBLIC, bob.uri], inboxes: ["https://followers.example/inbox", "https://remote.example/inbox"] },
      followers: { to: [h.ctx.urls.followers("alice")], cc: [bob.uri], inboxes: ["https://followers.example/inbox", "https://remote.example/inbox"] },
      direct: { to: [bob.uri], cc: [], inboxes: ["https://remote.example/inbox"] },
    } as const;
    for (const [visibility, expected] of Object.entries(expectations)) {
      const result = await h.posts.service.publish({ username: "alice", text: `${visibility} for @bob@remote.example`, visibility });
      assert.ok(result.ok, !result.ok ? result.message : "");
      assert.equal(result.value.visibility, visibility);
      const sent = await lastDelivered();
      assert.deepEqual(norm(sent.json["to"]), expected.to, visibility);
      assert.deepEqual(norm(sent.json["cc"]), expected.cc, visibility);
      assert.deepEqual([...sent.inboxes].sort(), expected.inboxes, visibility);
      assert.ok(!sent.inboxes.includes(dave.inboxUrl!), `${visibility}: a pending follower gets nothing`);
    }
  });

  test("extra recipients by actor URL (--mention) are addressed and shown", async () => {
    const result = await h.posts.service.publish({ username: "alice", text: "Just for you", visibility: "direct", mentions: [bob.uri] });
    assert.ok(result.ok, !result.ok ? result.message : "");
    assert.match(result.value.contentHtml!, /^<p><span class="h-card" translate="no"><a href="https:\/\/remote.example\/@bob" class="u-url mention">@<span>bob<\/span><\/a><\/span> Just for you<\/p>$/);
    assert.deepEqual((await lastDelivered()).inboxes, ["https://remote.example/inbox"]);
    const unknown = await h.posts.service.publish({ username: "alice", text: "x", mentions: ["nobody@nowhere.example"] });
    assert.ok(!unknown.ok && unknown.error === "mention");
  });

  test("a mention written with a port is resolved, rendered and addressed with that port (issue #10, item 12)", async () => {
    const dev = await h.addRemote("dev", "dev.example:8443");
    const result = await h.posts.service.publish({ username: "alice", text: "Hi @dev@dev.example:8443: welcome", visibility: "direct" });
    assert.ok(result.ok, !result.ok ? result.message : "");
    assert.equal(
      result.value.contentHtml,
      '<p>Hi <span class="h-card" translate="no"><a href="https://dev.example:8443/@dev" class="u-url mention">@<span>dev</span></a></span>: welcome</p>',
    );
    assert.deepEqual(await h.ctx.repos.posts.mentionsOf(result.value.id), [{ actorUri: dev.uri, handle: "dev@dev.example:8443" }]);
    const sent = await lastDelivered();
    assert.deepEqual(norm(sent.json["to"]), [dev.uri]);
    assert.deepEqual(sent.inboxes, ["https://dev.example:8443/inbox"]);
  });

  test("content warning and language", async () => {
    const result = await h.posts.service.publish({ username: "alice", text: "Plot twist", contentWarning: "  Spoilers\u202e  ", language: "pt-BR" });
    assert.ok(result.ok);
    assert.deepEqual([result.value.summary, result.value.sensitive, result.value.language], ["Spoilers", true, "pt-BR"]);
    const sent = await lastDelivered();
    assert.equal(sent.json["object"]["summary"], "Spoilers");
    assert.equal(sent.json["object"]["sensitive"], true);
    // BCP 47 tags are case-insensitive; Fedify writes them in lower case.
    assert.deepEqual(Object.keys(sent.json["object"]["contentMap"]).map((k) => k.toLowerCase()), ["pt-br"]);
  });

  test("media marked sensitive without a content warning: sensitive, no summary", async () => {
    const result = await h.posts.service.publish({ username: "alice", text: "Rocket test footage", sensitive: true });
    assert.ok(result.ok);
    assert.deepEqual([result.value.summary, result.value.sensitive], [null, true]);
    const sent = await lastDelivered();
    assert.equal(sent.json["object"]["sensitive"], true);
    assert.equal(sent.json["object"]["summary"], undefined);
  });

  test("bad input gets a clear error and changes nothing", async () => {
    const before = await counts();
    const sentBefore = h.delivery.requests.length;
    const cases: [Parameters<typeof h.posts.service.publish>[0], string][] = [
      [{ username: "nobody", text: "hi" }, "unknown-account"],
      [{ username: "alice", text: "hi", visibility: "private" }, "invalid-visibility"],
      [{ username: "alice", text: "hi, nobody", visibility: "direct" }, "mention"],
      [{ username: "alice", text: "hi", language: "english!" }, "invalid-language"],
      [{ username: "alice", text: "   " }, "empty"],
      [{ username: "alice", text: "x".repeat(501) }, "too-long"],
      [{ username: "alice", text: "x".repeat(480), contentWarning: "y".repeat(21) }, "too-long"],
      [{ username: "alice", text: "hi", replyTo: "https://remote.example/users/bob/statuses/missing" }, "reply-target"],
      [{ username: "alice", text: "hi", quote: "not a url" }, "quote-target"],
      [{ username: "alice", text: "hi", media: [{ path: join(files, "missing.png"), description: null }] }, "media"],
      [{ username: "alice", text: "hi", media: Array.from({ length: 5 }, () => ({ path: join(files, "x.png"), description: null })) }, "media"],
      [{ username: "alice", text: "hi", poll: { options: ["only one"], multiple: false, durationSeconds: 3600 } }, "poll"],
      [{ username: "alice", text: "hi", poll: { options: ["a", "b"], multiple: false, durationSeconds: 10 } }, "poll"],
    ];
    for (const [input, error] of cases) {
      const result = await h.posts.service.publish(input);
      assert.ok(!result.ok, JSON.stringify(input).slice(0, 80));
      assert.equal(result.error, error, result.message);
      assert.ok(result.message.length > 0);
    }
    assert.deepEqual(await counts(), before);
    assert.equal(h.delivery.requests.length, sentBefore);
  });

  test("the character limit counts as Mastodon does: a URL is 23 characters, a mention's domain is free", async () => {
    const url = `https://herold.test/${"a".repeat(200)}`;
    const result = await h.posts.service.publish({ username: "alice", text: `${"x".repeat(470)} ${url} @bob@remote.example` });
    assert.ok(result.ok, !result.ok ? result.message : "");
  });

  test("reply to a remote post: the parent is fetched and stored, its author mentioned and addressed", async () => {
    const parent = remoteNote(bob, "https://remote.example/users/bob/statuses/100");
    const result = await h.posts.service.publish({ username: "alice", text: "Good point", replyTo: parent.id, visibility: "unlisted" });
    assert.ok(result.ok, !result.ok ? result.message : "");
    const stored = await h.ctx.repos.posts.findByUri(parent.id);
    assert.ok(stored !== null && !stored.isLocal && stored.actorId === bob.id);
    assert.equal(result.value.inReplyToId, stored.id);
    assert.equal(result.value.inReplyToUri, parent.id);
    assert.match(result.value.contentHtml!, /^<p><span class="h-card" translate="no"><a href="https:\/\/remote.example\/@bob" class="u-url mention">@<span>bob<\/span><\/a><\/span> Good point<\/p>$/);
    const sent = await lastDelivered();
    assert.equal(sent.json["object"]["inReplyTo"], parent.id);
    assert.ok(sent.inboxes.includes("https://remote.example/inbox"));
  });

  test("quote: FEP-044f and fallbacks in the Note, and a RE: line for servers without quotes", async () => {
    const quoted = remoteNote(bob, "https://remote.example/users/bob/statuses/200", { url: "https://remote.example/@bob/200" });
    const result = await h.posts.service.publish({ username: "alice", text: "Worth reading", quote: quoted.id });
    assert.ok(result.ok, !result.ok ? result.message : "");
    assert.equal(result.value.quoteUri, quoted.id);
    assert.ok(result.value.contentHtml!.endsWith('<p class="quote-inline">RE: <a href="https://remote.example/@bob/200">https://remote.example/@bob/200</a></p>'));
    const object = (await lastDelivered()).json["object"];
    for (const key of ["quote", "quoteUrl", "quoteUri", "_misskey_quote"]) assert.equal(object[key], quoted.id);

    const privatePost = remoteNote(bob, "https://remote.example/users/bob/statuses/201", { to: [bob.followersUrl], cc: [] });
    const refused = await h.posts.service.publish({ username: "alice", text: "x", quote: privatePost.id });
    assert.ok(!refused.ok && (refused.error === "quote-not-allowed" || refused.error === "quote-target"), !refused.ok ? refused.message : "");
  });

  test("replies, quotes and mentions between local accounts reach the ledger and notifications", async () => {
    const original = await h.posts.service.publish({ username: "alice", text: "Original thought" });
    assert.ok(original.ok);
    const reply = await h.posts.service.publish({ username: "erin", text: "Agreed @alice", replyTo: original.value.uri });
    assert.ok(reply.ok, !reply.ok ? reply.message : "");
    const quote = await h.posts.service.publish({ username: "erin", text: "Look", quote: original.value.uri });
    assert.ok(quote.ok);
    const counts = await h.ctx.social.interactions.countsByPost(original.value.id);
    assert.equal(counts.reply?.active, 1);
    assert.equal(counts.quote?.active, 1);
    const notifications = await h.ctx.social.notifications.list("alice");
    assert.ok(notifications.ok);
    const kinds = notifications.value.map((n) => n.kind).sort();
    // The reply mentions alice too: one notification for it, not two.
    assert.deepEqual(kinds, ["quote", "reply"]);
  });

  test("ledger entries and notifications commit in the transaction of the write that federates", async (t) => {
    const [gail, fred] = [await h.addAccount("gail"), await h.addAccount("fred")];
    const hana = await h.addAccount("hana");
    const ivy = await h.addAccount("ivy");
    const original = await h.posts.service.publish({ username: "gail", text: "Gail's thought" });
    assert.ok(original.ok);
    // What fred's write holds just before it commits with its intent to federate: a crash after
    // the commit must not leave the post, like or boost without them (or them without it).
    let seen: { ledger: string[]; notified: string[] } | undefined;
    h.bridge.setBeforeCommitHook(async (trx) => {
      const ledger = await trx.selectFrom("interactions").select(["kind", "undone_at"]).where("actor_id", "=", fred.actorId).orderBy("id").execute();
      const notified = await trx.selectFrom("notifications").select(["kind", "actor_id"]).where("from_actor_id", "=", fred.actorId).orderBy("id").execute();
      seen = {
        ledger: ledger.map((r) => `${r.kind}${r.undone_at === null ? "" : " undone"}`),
        notified: notified.map((r) => `${r.kind}:${[gail, hana, ivy].find((a) => a.actorId === r.actor_id)?.username}`),
      };
    });
    t.after(() => h.bridge.setBeforeCommitHook(undefined));

    const reply = await h.posts.service.publish({ username: "fred", text: "Yes @hana", replyTo: original.value.uri });
    assert.ok(reply.ok, !reply.ok ? reply.message : "");
    // The reply also mentions gail (its parent's author), who is told once, of the reply.
    assert.deepEqual(seen, { ledger: ["reply", "mention", "mention"], notified: ["reply:gail", "mention:hana"] });
    const edited = await h.posts.service.edit("fred", reply.value.uri, "Yes @hana and @ivy");
    assert.ok(edited.ok, !edited.ok ? edited.message : "");
    assert.deepEqual(seen, { ledger: ["reply", "mention", "mention", "mention"], notified: ["reply:gail", "mention:hana", "mention:ivy"] });
    assert.ok((await h.posts.interactions.like("fred", original.value.uri)).ok);
    assert.deepEqual(seen?.ledger.at(-1), "like");
    assert.deepEqual(seen?.notified.at(-1), "like:gail");
    assert.ok((await h.posts.interactions.boost("fred", original.value.uri)).ok);
    assert.deepEqual(seen?.ledger.at(-1), "boost");
    assert.deepEqual(seen?.notified.at(-1), "boost:gail");
    assert.ok((await h.posts.interactions.unlike("fred", original.value.uri)).ok);
    assert.ok(seen?.ledger.includes("like undone"));
  });

  test("image attachment with alt text: stored, resized, in the Note", async () => {
    const path = join(files, "photo.jpg");
    writeFileSync(path, await sharp({ create: { width: 3000, height: 1500, channels: 3, background: "#336699" } }).jpeg().toBuffer());
    const result = await h.posts.service.publish({ username: "alice", text: "Our booth", media: [{ path, description: "Our booth at the fair" }] });
    assert.ok(result.ok, !result.ok ? result.message : "");
    const media = (await h.ctx.repos.posts.mediaOf([result.value.id])).get(result.value.id) ?? [];
    assert.equal(media.length, 1);
    assert.ok(existsSync(join(h.ctx.config.dataDir, media[0]!.file_path!)));
    const attachment = list((await lastDelivered()).json["object"]["attachment"])[0] as Record<string, unknown>;
    assert.deepEqual(attachment, {
      type: "Document",
      mediaType: "image/jpeg",
      url: h.ctx.urls.media(media[0]!.id, `${media[0]!.id}.jpg`),
      name: "Our booth at the fair",
      width: 1920,
      height: 960,
    });

    const before = await counts();
    const bad = join(files, "fake.jpg");
    writeFileSync(bad, "<svg/>");
    const refused = await h.posts.service.publish({ username: "alice", text: "x", media: [{ path, description: null }, { path: bad, description: null }] });
    assert.ok(!refused.ok && refused.error === "media");
    assert.deepEqual(await counts(), before, "the first, valid image was discarded again");
  });

  test("edit: new text, previous version kept, Update with `updated` to the same audience", async () => {
    const created = await h.posts.service.publish({ username: "alice", text: "Frist post", visibility: "followers" });
    assert.ok(created.ok);
    h.clock.advance(60_000);
    const edited = await h.posts.service.edit("alice", created.value.uri, "First post, mentioning @bob@remote.example");
    assert.ok(edited.ok, !edited.ok ? edited.message : "");
    assert.equal(edited.value.sourceText, "First post, mentioning @bob@remote.example");
    assert.equal(edited.value.editedAt, h.clock.now().toISOString());
    const edits = await h.ctx.repos.posts.editsOf(created.value.id);
    assert.deepEqual(edits.map((e) => [e.sourceText, e.contentHtml]), [["Frist post", "<p>Frist post</p>"]]);
    const sent = await lastDelivered();
    assert.equal(sent.type, "Update");
    assert.equal(sent.json["object"]["updated"], h.clock.now().toISOString().replace(".000Z", "Z"));
    assert.deepEqual(norm(sent.json["to"]), [h.ctx.urls.followers("alice")]);
    assert.deepEqual(norm(sent.json["cc"]), [bob.uri]);
    assert.deepEqual([...sent.inboxes].sort(), ["https://followers.example/inbox", "https://remote.example/inbox"]);

    const before = await counts();
    for (const [username, url, text, error] of [
      ["erin", created.value.uri, "hijack", "not-owner"],
      ["alice", created.value.uri, "x".repeat(600), "too-long"],
      ["alice", "https://remote.example/users/bob/statuses/100", "x", "not-found"],
      ["alice", created.value.uri, " ", "empty"],
    ] as const) {
      const result = await h.posts.service.edit(username, url, text);
      assert.ok(!result.ok && result.error === error, `${error}: ${!result.ok ? result.message : "succeeded"}`);
    }
    assert.deepEqual(await counts(), before);
  });

  test("delete: content gone, Delete(Tombstone) to everyone who got it; only once, only by the author", async () => {
    const path = join(files, "gone.png");
    writeFileSync(path, await sharp({ create: { width: 10, height: 10, channels: 3, background: "#000" } }).png().toBuffer());
    const created = await h.posts.service.publish({ username: "alice", text: "Oops @bob@remote.example", media: [{ path, description: null }] });
    assert.ok(created.ok);
    const file = join(h.ctx.config.dataDir, (await h.ctx.repos.posts.mediaOf([created.value.id])).get(created.value.id)![0]!.file_path!);
    assert.ok(existsSync(file));
    const refused = await h.posts.service.delete("erin", created.value.uri);
    assert.ok(!refused.ok && refused.error === "not-owner");

    const deleted = await h.posts.service.delete("alice", created.value.uri);
    assert.ok(deleted.ok);
    assert.deepEqual([deleted.value.state, deleted.value.contentHtml, deleted.value.sourceText], ["deleted", null, null]);
    assert.ok(!existsSync(file), "the attachment's file is removed");
    const sent = await lastDelivered();
    assert.equal(sent.type, "Delete");
    assert.deepEqual([sent.json["object"]["type"], sent.json["object"]["id"]], ["Tombstone", created.value.uri]);
    assert.deepEqual([...sent.inboxes].sort(), ["https://followers.example/inbox", "https://remote.example/inbox"]);
    const again = await h.posts.service.delete("alice", created.value.uri);
    assert.ok(!again.ok && again.error === "not-found");
  });

  test("like and unlike a remote post: ledger, Like to the author only, Undo embedding that Like", async () => {
    const target = remoteNote(bob, "https://remote.example/users/bob/statuses/300");
    const liked = await h.posts.interactions.like("alice", target.id);
    assert.ok(liked.ok, !liked.ok ? liked.message : "");
    const like = await lastDelivered();
    assert.deepEqual([like.type, like.json["object"], like.json["actor"]], ["Like", target.id, alice.uri]);
    assert.deepEqual(like.inboxes, ["https://remote.example/inbox"]);
    assert.equal((await h.ctx.social.interactions.countsByPost(liked.value.id)).like?.active, 1);

    const twice = await h.posts.interactions.like("alice", target.id);
    assert.ok(!twice.ok && twice.error === "already-done");

    const unliked = await h.posts.interactions.unlike("alice", target.id);
    assert.ok(unliked.ok);
    const undo = await lastDelivered();
    assert.equal(undo.type, "Undo");
    assert.deepEqual([undo.json["object"]["type"], undo.json["object"]["id"], undo.json["object"]["object"]], ["Like", like.uri, target.id]);
    assert.deepEqual(undo.inboxes, ["https://remote.example/inbox"]);
    assert.equal((await h.ctx.social.interactions.countsByPost(liked.value.id)).like?.active, 0);
    const again = await h.posts.interactions.unlike("alice", target.id);
    assert.ok(!again.ok && again.error === "not-done");

    // A like after an unlike is a new Like, and its Undo names the new one.
    assert.ok((await h.posts.interactions.like("alice", target.id)).ok);
    const second = await lastDelivered();
    assert.ok((await h.posts.interactions.unlike("alice", target.id)).ok);
    assert.equal((await lastDelivered()).json["object"]["id"], second.uri);
  });

  test("boost and unboost: Announce to followers and the author, a boost entry, Undo by the Announce's id", async () => {
    const target = remoteNote(bob, "https://remote.example/users/bob/statuses/400");
    const boosted = await h.posts.interactions.boost("alice", target.id);
    assert.ok(boosted.ok, !boosted.ok ? boosted.message : "");
    const announce = await lastDelivered();
    assert.equal(announce.type, "Announce");
    assert.deepEqual(norm(announce.json["to"]), [AS_PUBLIC]);
    assert.deepEqual(norm(announce.json["cc"]), [h.ctx.urls.followers("alice"), bob.uri]);
    assert.deepEqual([...announce.inboxes].sort(), ["https://followers.example/inbox", "https://remote.example/inbox"]);
    const entry = await h.ctx.repos.posts.findBoost(alice.actorId, boosted.value.id);
    assert.equal(entry?.uri, announce.uri);

    const unboosted = await h.posts.interactions.unboost("alice", target.id);
    assert.ok(unboosted.ok);
    const undo = await lastDelivered();
    assert.deepEqual([undo.type, undo.json["object"]["type"], undo.json["object"]["id"]], ["Undo", "Announce", announce.uri]);
    assert.deepEqual([...undo.inboxes].sort(), ["https://followers.example/inbox", "https://remote.example/inbox"]);
    assert.equal(await h.ctx.repos.posts.findBoost(alice.actorId, boosted.value.id), null);

    const followersOnly = remoteNote(bob, "https://remote.example/users/bob/statuses/401", { to: [bob.followersUrl], cc: [] });
    const refused = await h.posts.interactions.boost("alice", followersOnly.id);
    assert.ok(!refused.ok, "a followers-only post of someone alice does not follow is not visible to her");
    await h.follow(alice.actorId, bob.id);
    const stillRefused = await h.posts.interactions.boost("alice", followersOnly.id);
    assert.ok(!stillRefused.ok && stillRefused.error === "not-allowed", "and followers-only posts are never boosted");
    assert.ok((await h.posts.interactions.like("alice", followersOnly.id)).ok, "but a follower may like it");
  });

  test("a post can be liked or boosted by its web address, and an unknown one is a clear error", async () => {
    const local = await h.posts.service.publish({ username: "erin", text: "Local post" });
    assert.ok(local.ok);
    assert.ok((await h.posts.interactions.like("alice", local.value.uri)).ok);
    assert.equal((await h.ctx.social.interactions.countsByPost(local.value.id)).like?.active, 1);
    const missing = await h.posts.interactions.like("alice", h.ctx.urls.post("erin", "01jzzzzzzzzzzzzzzzzzzzzzzz"));
    assert.ok(!missing.ok && missing.error === "not-found");
    const unknownAccount = await h.posts.interactions.boost("nobody", local.value.uri);
    assert.ok(!unknownAccount.ok && unknownAccount.error === "unknown-account");
  });
  test("an address resolves to a stored post only by its id or a url on the id's origin; otherwise it is fetched (issue #10, item 5)", async () => {
    const r1 = await h.addRemote("ra", "r1.example");
    const r2 = await h.addRemote("rb", "r2.example");
    await h.follow(alice.actorId, r1.id);
    const address = "https://r2.example/@rb/500";
    // R1 delivers a Note that claims R2's post as its web address.
    const claim = { id: "https://r1.example/users/ra/statuses/500", type: "Note", attributedTo: r1.uri, content: "<p>not R2's post</p>", url: address, to: [AS_PUBLIC], cc: [r1.followersUrl] };
    assert.deepEqual(await h.receive(r1, { id: `${claim.id}/activity`, type: "Create", actor: r1.uri, object: claim }), { kind: "processed" });
    const stored = await h.ctx.repos.posts.findByUri(claim.id);
    assert.equal(stored?.url, null, "a url on another origin is not stored as the post's address");
    // A row stored before this rule existed keeps its claim; lookups must still ignore it.
    await h.ctx.database.db.updateTable("posts").set({ url: address }).where("uri", "=", claim.id).execute();
    assert.equal(await h.ctx.repos.posts.findByUriOrUrl(address), null);

    // R2's real post behind that address: fetched (content negotiation), its id decides.
    const real = remoteNote(r2, "https://r2.example/users/rb/statuses/500", { url: address, content: "<p>R2's post</p>" });
    h.fetcher.add(real, address);
    const boosted = await h.posts.interactions.boost("alice", address);
    assert.ok(boosted.ok, !boosted.ok ? boosted.message : "");
    assert.equal(boosted.value.uri, real.id);
    assert.ok(h.fetcher.requests.includes(address), "R2 was asked");
    const announce = await lastDelivered();
    assert.deepEqual([announce.type, announce.json["object"]], ["Announce", real.id]);
    assert.equal((await h.ctx.repos.posts.findByUri(real.id))?.url, address, "an address on the post's own origin is kept");
    // Now the address is known, on its own origin: found without a fetch.
    const requests = h.fetcher.requests.length;
    const unboosted = await h.posts.interactions.unboost("alice", address);
    assert.ok(unboosted.ok && unboosted.value.uri === real.id);
    const quoted = await h.posts.service.publish({ username: "alice", text: "Look", quote: address });
    assert.ok(quoted.ok, !quoted.ok ? quoted.message : "");
    assert.equal(quoted.value.quoteUri, real.id);
    assert.equal(h.fetcher.requests.length, requests);
  });
});
