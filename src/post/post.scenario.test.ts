import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import sharp from "sharp";
import { ENGINES } from "../testing/databases.ts";
import { eventually, type TestInstance, startTestInstances } from "../testing/instance.ts";
import type { Post } from "./post.entity.ts";

/**
 * Three real Herold instances on 127.0.0.1 federating through their HTTP inboxes, queues and delivery
 * engines, driven by the CLI: alice on A, bob on B (follows alice), carol on C (follows bob, not
 * alice). Each scenario checks what the other side stored and what it must not have received; a
 * "must not" is only checked once every instance's delivery and inbox queues are empty.
 */
for (const engine of ENGINES) {
  describe(`posts between three instances [${engine}]`, () => {
    let a: TestInstance;
    let b: TestInstance;
    let c: TestInstance;
    let files: string;
    const published: Record<string, string> = {};

    const run = async (instance: TestInstance, ...argv: string[]): Promise<string> => {
      const result = await instance.cli(...argv);
      assert.equal(result.code, 0, `herold ${argv.join(" ")}: ${result.err}`);
      return result.out.trim();
    };
    const actor = (instance: TestInstance, username: string) => `${instance.origin}/users/${username}`;
    const find = (instance: TestInstance, uri: string): Promise<Post | null> => instance.ctx.repos.posts.findByUri(uri);
    const arrives = (instance: TestInstance, uri: string, what: string) =>
      eventually(async () => (await find(instance, uri)) ?? undefined, 15_000, `${what} on ${instance.origin}`);
    /** Every delivery and inbox job on every instance is done: anything still missing will not come. */
    const settled = () =>
      eventually(
        async () => {
          for (const instance of [a, b, c]) {
            const depth = await instance.ctx.queue.depth();
            for (const queue of ["deliver", "inbox", "posts.backfill"]) {
              const d = depth[queue];
              if (d !== undefined && d.ready + d.delayed + d.running > 0) return false;
            }
          }
          return true;
        },
        20_000,
        "delivery and inbox queues to drain",
      );
    const followAccepted = async (from: TestInstance, username: string, target: string) => {
      await run(from, "follow", username, target);
      await eventually(
        async () => {
          const row = await from.ctx.database.db
            .selectFrom("follows")
            .innerJoin("actors as f", "f.id", "follows.follower_id")
            .innerJoin("actors as t", "t.id", "follows.followee_id")
            .select("follows.state")
            .where("f.username", "=", username)
            .where("f.is_local", "=", 1)
            .where("t.uri", "=", target)
            .executeTakeFirst();
          return row?.state === "accepted";
        },
        15_000,
        `${username} following ${target}`,
      );
    };
    const notifications = async (instance: TestInstance, username: string): Promise<string[]> => {
      const result = await instance.ctx.social.notifications.list(username);
      assert.ok(result.ok);
      return result.value.map((n) => `${n.kind}:${n.from.uri}`);
    };
    const ledger = async (instance: TestInstance, uri: string) => {
      const post = await find(instance, uri);
      assert.ok(post !== null, `${uri} on ${instance.origin}`);
      return await instance.ctx.social.interactions.countsByPost(post.id);
    };
    /** A signed GET as a local account of `from` (what its server does when that account fetches). */
    const signedFetch = async (from: TestInstance, username: string, url: string) => {
      const account = await from.ctx.repos.accounts.findByUsername(username);
      const keys = await from.ctx.signingKeys.get(account!);
      return await from.ctx.federationModule.documents.fetch(url, { requireIdEquals: "final-url", signAs: { keyId: keys!.keyId, privateKey: keys!.rsaPrivate } });
    };

    before(async () => {
      files = mkdtempSync(join(tmpdir(), "herold-scenario-"));
      [a, b, c] = (await startTestInstances([{ engine }, { engine }, { engine }])) as [TestInstance, TestInstance, TestInstance];
      await run(a, "account", "create", "alice");
      await run(b, "account", "create", "bob");
      await run(c, "account", "create", "carol");
      await followAccepted(b, "bob", actor(a, "alice"));
      await followAccepted(c, "carol", actor(b, "bob"));
    });
    after(async () => {
      await Promise.all([a?.close(), b?.close(), c?.close()]);
      rmSync(files, { recursive: true, force: true });
    });

    test("a post of each visibility reaches exactly those it is for", async () => {
      for (const visibility of ["public", "unlisted", "followers"]) {
        published[visibility] = await run(a, "post", "alice", `A ${visibility} announcement #herold`, "--visibility", visibility, "--language", "en");
      }
      published["direct"] = await run(a, "post", "alice", "A word in private", "--visibility", "direct", "--mention", actor(c, "carol"));

      for (const visibility of ["public", "unlisted", "followers"]) {
        const post = await arrives(b, published[visibility]!, `the ${visibility} post`);
        assert.equal(post.visibility, visibility);
        assert.equal(post.language, "en");
      }
      const dm = await arrives(c, published["direct"]!, "the direct message");
      assert.equal(dm.visibility, "direct");
      await eventually(async () => (await notifications(c, "carol")).includes(`mention:${actor(a, "alice")}`), 10_000, "carol's mention notification");

      await settled();
      assert.equal(await find(b, published["direct"]!), null, "bob was not addressed by the direct message");
      for (const visibility of ["public", "unlisted", "followers"]) {
        assert.equal(await find(c, published[visibility]!), null, `carol does not follow alice: no ${visibility} post`);
      }
      const timeline = JSON.parse(await run(b, "timeline", "bob", "--json")) as { items: { post: { uri: string } }[] };
      assert.deepEqual(
        timeline.items.map((i) => i.post.uri),
        ["followers", "unlisted", "public"].map((v) => published[v]),
      );
    });

    test("followers-only and direct posts are served only to signed requests of those allowed", async () => {
      const followersOnly = published["followers"]!;
      const asBob = await signedFetch(b, "bob", followersOnly);
      assert.ok(asBob.ok, !asBob.ok ? asBob.message : "");
      assert.equal(asBob.value.document["id"], followersOnly);
      const asCarol = await signedFetch(c, "carol", followersOnly);
      assert.ok(!asCarol.ok && asCarol.error === "not-found");
      assert.equal((await fetch(followersOnly, { headers: { accept: "application/activity+json" } })).status, 404, "unsigned");

      const dmAsCarol = await signedFetch(c, "carol", published["direct"]!);
      assert.ok(dmAsCarol.ok, !dmAsCarol.ok ? dmAsCarol.message : "");
      const dmAsBob = await signedFetch(b, "bob", published["direct"]!);
      assert.ok(!dmAsBob.ok && dmAsBob.error === "not-found");
    });

    test("reply: stored with its parent on the author's server, in the ledger, notified", async () => {
      const reply = await run(b, "post", "bob", "Congratulations!", "--reply-to", published["public"]!);
      const stored = await arrives(a, reply, "bob's reply");
      const parent = await find(a, published["public"]!);
      assert.equal(stored.inReplyToId, parent!.id);
      // The post row and its ledger entry are separate writes of the worker: wait for the second too.
      await eventually(async () => (await ledger(a, published["public"]!)).reply?.active === 1, 10_000, "the reply in the ledger");
      await eventually(async () => (await notifications(a, "alice")).includes(`reply:${actor(b, "bob")}`), 10_000, "alice's reply notification");
    });

    test("like and unlike: counted and taken back in the ledger", async () => {
      await run(b, "like", "bob", published["public"]!);
      await eventually(async () => (await ledger(a, published["public"]!)).like?.active === 1, 10_000, "the like");
      await eventually(async () => (await notifications(a, "alice")).includes(`like:${actor(b, "bob")}`), 10_000, "alice's like notification");
      await run(b, "unlike", "bob", published["public"]!);
      await eventually(async () => (await ledger(a, published["public"]!)).like?.active === 0, 10_000, "the unlike");
      assert.equal((await ledger(a, published["public"]!)).like?.total, 1, "the undo is recorded, not erased");
    });

    test("boost and unboost: the author's ledger, and a boost in the timeline of the booster's followers", async () => {
      await run(b, "boost", "bob", published["public"]!);
      await eventually(async () => (await ledger(a, published["public"]!)).boost?.active === 1, 10_000, "the boost in alice's ledger");
      const boosted = await arrives(c, published["public"]!, "the boosted post, fetched from its origin");
      await eventually(
        async () => {
          const timeline = await c.ctx.posts.timeline.list("carol");
          return timeline.ok && timeline.value.entries.some((e) => e.post.id === boosted.id && e.boostedBy?.uri === actor(b, "bob"));
        },
        10_000,
        "the boost in carol's timeline",
      );

      await run(b, "unboost", "bob", published["public"]!);
      await eventually(async () => (await ledger(a, published["public"]!)).boost?.active === 0, 10_000, "the unboost in alice's ledger");
      await eventually(
        async () => {
          const timeline = await c.ctx.posts.timeline.list("carol");
          return timeline.ok && !timeline.value.entries.some((e) => e.boostedBy !== null);
        },
        10_000,
        "the boost gone from carol's timeline",
      );
    });

    test("quote: FEP-044f quote of a Herold post goes into its ledger and notifies", async () => {
      const quote = await run(b, "post", "bob", "This is worth reading", "--quote", published["public"]!);
      const stored = await arrives(a, quote, "bob's quote");
      assert.equal(stored.quoteUri, published["public"]);
      assert.match(stored.contentHtml ?? "", /RE: <a href/);
      await eventually(async () => (await ledger(a, published["public"]!)).quote?.active === 1, 10_000, "the quote in the ledger");
      await eventually(async () => (await notifications(a, "alice")).includes(`quote:${actor(b, "bob")}`), 10_000, "alice's quote notification");
    });

    test("image with alt text: the receiving side links the attachment, served with a safe type", async () => {
      const path = join(files, "chart.png");
      writeFileSync(path, await sharp({ create: { width: 64, height: 32, channels: 3, background: "#224466" } }).png().toBuffer());
      const uri = await run(a, "post", "alice", "Our quarterly chart", "--media", path, "--alt", "Bar chart: sales up 12%");
      const stored = await arrives(b, uri, "the post with an image");
      const media = (await b.ctx.repos.posts.mediaOf([stored.id])).get(stored.id) ?? [];
      assert.equal(media.length, 1);
      assert.deepEqual([media[0]!.kind, media[0]!.description, media[0]!.width, media[0]!.height], ["image", "Bar chart: sales up 12%", 64, 32]);
      assert.ok(media[0]!.remote_url!.startsWith(`${a.origin}/media/`));
      const image = await fetch(media[0]!.remote_url!);
      assert.equal(image.status, 200);
      assert.equal(image.headers.get("content-type"), "image/png");
      assert.equal(image.headers.get("x-content-type-options"), "nosniff");
    });

    test("edit: the follower's copy changes and keeps its history", async () => {
      const out = await run(a, "edit", "alice", published["unlisted"]!, "An unlisted announcement, corrected");
      assert.match(out, /^edited /);
      await eventually(async () => (await find(b, published["unlisted"]!))?.contentHtml === "<p>An unlisted announcement, corrected</p>", 10_000, "the edit on B");
      const post = await find(b, published["unlisted"]!);
      assert.ok(post?.editedAt !== null);
      const edits = await b.ctx.repos.posts.editsOf(post!.id);
      assert.equal(edits.length, 1);
      assert.match(edits[0]!.contentHtml ?? "", /A unlisted announcement/);
    });

    test("delete: gone on the follower's side, and its URL answers 410", async () => {
      const uri = await run(a, "post", "alice", "This will not last");
      await arrives(b, uri, "the post to delete");
      await run(a, "delete", "alice", uri);
      await eventually(async () => (await find(b, uri))?.state === "deleted", 10_000, "the deletion on B");
      assert.equal((await find(b, uri))?.contentHtml, null);
      const response = await fetch(uri, { headers: { accept: "application/activity+json" } });
      assert.equal(response.status, 410);
      assert.equal(((await response.json()) as { type: string }).type, "Tombstone");

      // A deleted followers-only post: gone for a follower, never existing for anyone else.
      const hidden = await run(a, "post", "alice", "For followers, briefly", "--visibility", "followers");
      await arrives(b, hidden, "the followers-only post to delete");
      await run(a, "delete", "alice", hidden);
      await eventually(async () => (await find(b, hidden))?.state === "deleted", 10_000, "the deletion on B");
      const asBob = await signedFetch(b, "bob", hidden);
      assert.ok(!asBob.ok && asBob.error === "gone", !asBob.ok ? asBob.error : "served");
      const asCarol = await signedFetch(c, "carol", hidden);
      assert.ok(!asCarol.ok && asCarol.error === "not-found", !asCarol.ok ? asCarol.error : "served");
      assert.equal((await fetch(hidden, { headers: { accept: "application/activity+json" } })).status, 404);
    });

    test("following backfills recent public posts from the outbox, never followers-only ones", async () => {
      // Carol has seen alice's public post already (through bob's boost), but not the unlisted one.
      assert.equal(await find(c, published["unlisted"]!), null);
      await followAccepted(c, "carol", actor(a, "alice"));
      const backfilled = await arrives(c, published["unlisted"]!, "alice's unlisted post, backfilled");
      assert.equal(backfilled.contentHtml, "<p>An unlisted announcement, corrected</p>", "as it is now, after the edit");
      await settled();
      assert.equal(await find(c, published["followers"]!), null, "followers-only posts were not public when posted");
    });

    test("after bob blocks alice, her posts no longer reach him", async () => {
      await run(b, "block", "bob", actor(a, "alice"));
      await settled();
      const uri = await run(a, "post", "alice", "Posted after the block");
      // Carol follows alice now: once her copy is there, delivery has happened.
      await arrives(c, uri, "the post after the block, at carol's");
      await settled();
      assert.equal(await find(b, uri), null, "bob blocked alice");
    });

    test("a mention written with the port (@carol@127.0.0.1:port) is found by WebFinger there and delivered (issue #10, item 12)", async () => {
      const uri = await run(a, "post", "alice", `Hello @carol@${c.domain}: this is for you`, "--visibility", "direct");
      const local = await find(a, uri);
      assert.deepEqual(await a.ctx.repos.posts.mentionsOf(local!.id), [{ actorUri: actor(c, "carol"), handle: `carol@${c.domain}` }]);
      assert.match(local!.contentHtml!, /@<span>carol<\/span><\/a><\/span>: this is for you<\/p>$/);
      const dm = await arrives(c, uri, "the direct message addressed by a handle with a port");
      assert.equal(dm.visibility, "direct");
    });

    test("bad CLI input gets one clear line and changes nothing", async () => {
      const before = await a.ctx.repos.posts.countLocalPublished();
      const tooLong = await a.cli("post", "alice", "x".repeat(501));
      assert.equal(tooLong.code, 1);
      assert.match(tooLong.err, /^herold: the post has 501 characters; the limit is 500$/);
      const badVisibility = await a.cli("post", "alice", "hi", "--visibility", "friends");
      assert.equal(badVisibility.code, 1);
      assert.match(badVisibility.err, /invalid visibility/);
      const altWithoutMedia = await a.cli("post", "alice", "hi", "--alt", "nothing to describe");
      assert.equal(altWithoutMedia.code, 2);
      const notOwner = await a.cli("delete", "alice", `${b.origin}/users/bob/posts/01jzzzzzzzzzzzzzzzzzzzzzzz`);
      assert.equal(notOwner.code, 1);
      assert.equal(await a.ctx.repos.posts.countLocalPublished(), before);
    });
  });
}
