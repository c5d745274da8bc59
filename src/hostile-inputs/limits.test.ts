import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { generateTestKey, post, streamingPost } from "../federation/inbox/testing/fake-peer.ts";
import { startHostileEnv, startScriptedPeer, type HostileEnv, type RemoteActor, type ScriptedPeer } from "./harness.ts";
import { checkInvariants } from "./invariants.ts";

/**
 * Every limit in `config.limits` is enforced on what actually arrives: streamed bytes, parsed
 * values, counts while reading, fetches made. The instance runs with small limits so each one can
 * be crossed by a small document, and each refusal is held to the four parts of the rule
 * (hostile-inputs cases 16 and 17). Limits do not depend on the database engine: SQLite only.
 */
const AS = "https://www.w3.org/ns/activitystreams";
const LIMITS = {
  HEROLD_LIMIT_ACTIVITY_BYTES: "16384",
  HEROLD_LIMIT_FETCH_BYTES: "8192",
  HEROLD_LIMIT_FETCH_TIMEOUT_MS: "800",
  HEROLD_LIMIT_JSON_DEPTH: "8",
  HEROLD_LIMIT_STRING_LENGTH: "2000",
  HEROLD_LIMIT_ATTACHMENTS: "2",
  HEROLD_LIMIT_POLL_OPTIONS: "3",
  HEROLD_LIMIT_TAGS: "5",
  HEROLD_POST_MAX_CHARS: "50",
  HEROLD_LIMIT_COLLECTION_PAGES: "2",
  HEROLD_LIMIT_REPLY_DEPTH: "1",
  HEROLD_LIMIT_FETCHES_PER_ACTIVITY: "1",
  HEROLD_SIGNATURE_WINDOW_SECONDS: "60",
};

describe("configured limits are enforced [sqlite]", () => {
  let env: HostileEnv;
  let evil: ScriptedPeer;

  before(async () => {
    env = await startHostileEnv("sqlite", { env: LIMITS });
    evil = await startScriptedPeer();
    for (const actor of [env.alice, env.bob]) assert.ok((await env.herold.ctx.federationModule.actors.resolveUri(actor.id)).ok);
    assert.equal(env.herold.ctx.config.limits.activityBodyBytes, 16384, "the limits above are in effect");
  });
  after(async () => {
    await Promise.all([env?.close(), evil?.close()]);
  });

  const newEvilActor = (extra: Record<string, unknown> = {}): RemoteActor & { document: Record<string, unknown> } => {
    const key = generateTestKey();
    const name = `e${env.next()}`;
    const document = { ...evil.actorDocument(name, key), ...extra };
    evil.json(`/users/${name}`, document);
    return { id: document["id"] as string, keyId: `${document["id"] as string}#main-key`, key, peer: evil, name, document };
  };
  const limits = () => env.herold.ctx.config.limits;

  test("activityBodyBytes: counted on the streamed bytes, with or without Content-Length", async () => {
    const limit = limits().activityBodyBytes;
    // Padded with insignificant whitespace: the bytes count, not what they parse to.
    const padded = (size: number) => {
      const text = JSON.stringify(env.create(env.alice));
      return text + " ".repeat(size - Buffer.byteLength(text));
    };
    const over = padded(limit + 1);
    assert.equal(Buffer.byteLength(over), limit + 1);
    await env.refused(() => post(env.inbox(), over, env.sign(env.alice, over)), { status: 413, log: /refused with 413/ });
    await env.refused(async () => {
      const bytes = Buffer.from(over);
      let sent = false;
      const status = await streamingPost(env.inbox(), { ...env.sign(env.alice, over), "transfer-encoding": "chunked" }, () => {
        if (sent) return null;
        sent = true;
        return new Uint8Array(bytes);
      });
      return { status };
    }, { status: 413, log: /refused with 413: body larger than 16384 bytes/ });
    const exact = padded(limit);
    const response = await post(env.inbox(), exact, env.sign(env.alice, exact));
    assert.equal(response.status, 202, `a body of exactly the limit is accepted: ${response.body}`);
    await env.drain();
  });

  test("jsonDepth and maxStringLength: inbound bodies and fetched documents", async () => {
    const nested = (depth: number): unknown => (depth === 0 ? "leaf" : { n: nested(depth - 1) });
    // The activity itself is depth 1, its object 2; `extension` nests further.
    const tooDeep = env.create(env.alice, { extension: nested(limits().jsonDepth - 1) });
    await env.refused(() => env.deliver(env.alice, tooDeep), { status: 400, log: /nesting deeper than 8 levels/ });
    const deepest = env.create(env.alice, { extension: nested(limits().jsonDepth - 2) });
    assert.equal((await env.deliver(env.alice, deepest)).status, 202);
    const tooLong = env.create(env.alice, { content: "x".repeat(limits().maxStringLength + 1) });
    await env.refused(() => env.deliver(env.alice, tooLong), { status: 400, log: /longer than 2000 characters/ });
    const longest = env.create(env.alice, { content: "y".repeat(limits().maxStringLength) });
    assert.equal((await env.deliver(env.alice, longest)).status, 202);
    await env.drain();
    // The same limits apply to documents Herold fetches (here: a signer's actor document).
    const deepActor = newEvilActor({ extension: nested(limits().jsonDepth) });
    await env.refused(() => env.deliver(deepActor, env.create(deepActor)), { status: 401, log: /refused with 401: .*nesting deeper than 8/ });
    const longActor = newEvilActor({ summary: "s".repeat(limits().maxStringLength + 1) });
    await env.refused(() => env.deliver(longActor, env.create(longActor)), { status: 401, log: /refused with 401: .*longer than 2000/ });
  });

  test("fetchResponseBytes and fetchTimeoutMs: documents larger or slower than allowed are refused", async () => {
    const big = newEvilActor({ padding: "b".repeat(limits().fetchResponseBytes) });
    await env.refused(() => env.deliver(big, env.create(big)), { status: 401, log: /refused with 401: .*larger than 8192 bytes/ });
    const key = generateTestKey();
    const slow: RemoteActor = { id: `${evil.origin}/users/slow`, keyId: `${evil.origin}/users/slow#main-key`, key, peer: evil, name: "slow" };
    evil.routes.set("/users/slow", (_request, response) => {
      response.writeHead(200, { "content-type": "application/activity+json" });
      response.write("{");
      response.on("error", () => undefined);
      setTimeout(() => response.destroy(), 3000).unref();
    });
    await env.refused(() => env.deliver(slow, env.create(slow)), { status: 401, log: /refused with 401: .*no complete response within 800 ms/ });
    const fits = newEvilActor({ padding: "f".repeat(2000) });
    assert.equal((await env.deliver(fits, env.create(fits))).status, 202, "a document within the limit is accepted");
    await env.drain();
  });

  test("maxAttachments, maxPollOptions and maxTags (hashtags, mentions, emoji) cap what one post stores", async () => {
    const many = Array.from({ length: 40 }, (_, i) => i);
    const activity = env.create(env.alice, {
      type: "Question",
      content: "<p>one post, too much of everything</p>",
      oneOf: many.map((i) => ({ type: "Note", name: `option ${i}` })),
      attachment: many.map((i) => ({ type: "Document", mediaType: "image/png", url: `${env.peerA.origin}/media/${i}.png`, name: `alt ${i}` })),
      tag: many.flatMap((i) => [
        { type: "Hashtag", name: `#tag${i}`, href: `${env.peerA.origin}/tags/tag${i}` },
        { type: "Mention", href: `${env.peerA.origin}/users/m${i}`, name: `@m${i}@peer` },
        { type: "Emoji", name: `:e${i}:`, icon: { type: "Image", url: `${env.peerA.origin}/emoji/${i}.png` } },
      ]),
    });
    assert.equal((await env.deliver(env.alice, activity)).status, 202);
    const [outcome] = await env.drain();
    assert.equal(outcome?.outcome.kind, "processed", JSON.stringify(outcome));
    const stored = await env.herold.ctx.repos.posts.findByUri(activity.object.id);
    assert.ok(stored !== null && stored.poll !== null);
    assert.equal(stored.poll.options.length, limits().maxPollOptions);
    const db = env.herold.ctx.database.db;
    const media = await db.selectFrom("media").select("id").where("post_id", "=", stored.id).execute();
    assert.equal(media.length, limits().maxAttachments);
    const tags = await db.selectFrom("post_tags").select("tag").where("post_id", "=", stored.id).execute();
    // carol is mentioned through the addressing (`to`), which has its own cap; the rest came from `tag`.
    const mentions = (await db.selectFrom("post_mentions").select("actor_uri").where("post_id", "=", stored.id).execute()).filter((m) => m.actor_uri !== env.carol.uri);
    assert.ok(tags.length + mentions.length + stored.emojis.length <= limits().maxTags, `${tags.length} + ${mentions.length} + ${stored.emojis.length}`);
    assert.ok(tags.length > 0 && mentions.length > 0 && stored.emojis.length > 0, "each kind is read, within the cap");
    // The same cap on an actor document's emoji.
    const emojiActor = newEvilActor({ tag: many.map((i) => ({ type: "Emoji", name: `:a${i}:`, icon: { type: "Image", url: `${evil.origin}/e/${i}.png` } })) });
    assert.equal((await env.deliver(emojiActor, env.create(emojiActor))).status, 202);
    await env.drain();
    const actor = await env.herold.ctx.repos.actors.findByUri(emojiActor.id);
    assert.ok(actor !== null && actor.emojis.length === limits().maxTags, `${actor?.emojis.length}`);
    assert.deepEqual(await checkInvariants(db, limits(), env.herold.origin), []);
  });

  test("signatureWindowSeconds: the configured window, not a default, decides", async () => {
    const window = limits().signatureWindowSeconds * 1000;
    await env.refused(() => env.deliver(env.alice, env.create(env.alice), { now: new Date(Date.now() - window - 30_000) }), { status: 401, log: /refused with 401/ });
    await env.refused(() => env.deliver(env.alice, env.create(env.alice), { now: new Date(Date.now() + window + 30_000), spec: "rfc9421" }), { status: 401, log: /refused with 401/ });
    assert.equal((await env.deliver(env.alice, env.create(env.alice), { now: new Date(Date.now() - window / 2) })).status, 202);
    await env.drain();
  });

  test("fetchesPerActivity: one activity causes at most that many fetches, at the door and while processing", async () => {
    const gets = () => evil.server.requests.filter((r) => r.method === "GET").length;
    // At the door: a key published at its own URL needs the key document and then its owner: 2 fetches.
    const key = generateTestKey();
    const owner = newEvilActor();
    const keyId = `${evil.origin}/keys/k${env.next()}`;
    evil.json(`/users/${owner.name}`, { ...owner.document, publicKey: { id: keyId, owner: owner.id, publicKeyPem: key.publicKeyPem } });
    evil.json(new URL(keyId).pathname, { "@context": "https://w3id.org/security/v1", id: keyId, type: "Key", owner: owner.id, publicKeyPem: key.publicKeyPem });
    const signer: RemoteActor = { ...owner, key, keyId };
    let before = gets();
    await env.refused(() => env.deliver(signer, env.create(signer)), { status: 401, log: /refused with 401: .*budget of 1 fetches/ });
    assert.equal(gets() - before, limits().fetchesPerActivity, "exactly the budget was fetched");
    // While processing: a boost of an unknown post by an unknown author needs the post and then the author.
    const author = newEvilActor();
    const postPath = `/notes/budget-${env.next()}`;
    evil.json(postPath, { "@context": AS, id: `${evil.origin}${postPath}`, type: "Note", attributedTo: author.id, to: [`${AS}#Public`], content: "<p>far away</p>" });
    const boost = { "@context": AS, id: `${env.alice.id}/activities/boost-${env.next()}`, type: "Announce", actor: env.alice.id, to: [`${AS}#Public`], object: `${evil.origin}${postPath}` };
    before = gets();
    await env.refused(() => env.deliver(env.alice, boost), { status: 202, processing: true, debugLog: true, log: /ignored Announce .*budget of 1 fetches/ });
    assert.equal(gets() - before, limits().fetchesPerActivity, "exactly the budget was fetched");
  });

  test("replyFetchDepth: a reply's thread is not crawled (depth 0 ≤ the configured depth)", async () => {
    const chain: string[] = [];
    for (let i = 0; i < 6; i++) {
      const id = `${evil.origin}/notes/thread-${env.next()}`;
      evil.json(new URL(id).pathname, { "@context": AS, id, type: "Note", attributedTo: `${evil.origin}/users/nobody`, inReplyTo: chain.at(-1) ?? null, content: `<p>${i}</p>` });
      chain.push(id);
    }
    const before = evil.server.requests.length;
    const reply = env.create(env.alice, { inReplyTo: chain.at(-1) });
    assert.equal((await env.deliver(env.alice, reply)).status, 202);
    await env.drain();
    const fetched = evil.server.requests.slice(before).filter((r) => r.url.startsWith("/notes/thread-")).length;
    assert.ok(fetched <= limits().replyFetchDepth, `${fetched} posts of the thread fetched`);
    assert.ok(await env.herold.ctx.repos.posts.findByUri(reply.object.id), "the reply itself is stored");
  });

  test("postMaxChars: local posts longer than the limit are refused", async () => {
    const result = await env.herold.ctx.posts.service.publish({ username: "carol", text: "z".repeat(limits().postMaxChars + 1) });
    assert.ok(!result.ok && result.error === "too-long", JSON.stringify(result));
    assert.ok((await env.herold.ctx.posts.service.publish({ username: "carol", text: "z".repeat(limits().postMaxChars) })).ok);
  });

  test("collectionPagesFetched: an endless outbox is read for the configured number of pages only", async () => {
    const key = generateTestKey();
    const name = `outboxer${env.next()}`;
    const id = `${evil.origin}/users/${name}`;
    evil.json(`/users/${name}`, { ...evil.actorDocument(name, key), outbox: `${id}/outbox` });
    evil.json(`/users/${name}/outbox`, { "@context": AS, id: `${id}/outbox`, type: "OrderedCollection", first: `${id}/outbox/page/1` });
    let pagesServed = 0;
    for (let page = 1; page <= 50; page++) {
      evil.routes.set(`/users/${name}/outbox/page/${page}`, (_request, response) => {
        pagesServed++;
        response.writeHead(200, { "content-type": "application/activity+json" }).end(
          JSON.stringify({ "@context": AS, id: `${id}/outbox/page/${page}`, type: "OrderedCollectionPage", next: `${id}/outbox/page/${page + 1}`, orderedItems: [] }),
        );
      });
    }
    const actor = await env.herold.ctx.federationModule.actors.resolveUri(id);
    assert.ok(actor.ok);
    await env.herold.ctx.posts.backfill.run(actor.value.id);
    assert.equal(pagesServed, limits().collectionPagesFetched);
  });
});
