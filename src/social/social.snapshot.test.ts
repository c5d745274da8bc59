import assert from "node:assert/strict";
import { after, before, describe, snapshot, test } from "node:test";
import { AS_PUBLIC } from "../content/validate.ts";
import { createHeroldFederation } from "../federation/federation.ts";
import { createTestDatabase, type TestDatabase } from "../testing/databases.ts";
import { createSocialHarness, type SentActivity, type SocialHarness } from "./testing/social-harness.ts";

/**
 * Every document the social module sends, as stored by the outbound bridge (the exact bytes that are
 * delivered), as JSON snapshots (src/social/social.snapshot.test.ts.snapshot; refresh with
 * `node --test --test-update-snapshots`). Minted ids and key material are normalised. Each one is also
 * checked against what Mastodon documents it needs (docs.joinmastodon.org/spec/activitypub), so a change
 * that breaks Mastodon fails even when the snapshot is refreshed.
 */
snapshot.setDefaultSnapshotSerializers([(value) => JSON.stringify(value, null, 2)]);

const ORIGIN = "https://herold.test";
const ACTIVITY_ID = /^https:\/\/herold\.test\/users\/[a-z0-9_.-]+\/activities\/[0-9a-z]{26}$/;

/** Replaces what differs between runs (minted ids, generated keys) with stable placeholders. */
function normalise(value: unknown): unknown {
  if (typeof value === "string") {
    if (value.startsWith("-----BEGIN PUBLIC KEY-----")) return "{rsa-public-key-pem}";
    if (/^z6Mk[1-9A-HJ-NP-Za-km-z]+$/.test(value)) return "{ed25519-multibase}";
    return value.replace(/\/activities\/[0-9a-z]{26}/g, "/activities/{id}");
  }
  if (Array.isArray(value)) return value.map(normalise);
  if (typeof value === "object" && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalise(v)]));
  return value;
}

/** What Mastodon requires of every activity it receives. */
function assertMastodonBasics(activity: SentActivity, type: string, actorUri: string): void {
  const json = activity.json;
  assert.equal(json.type, type);
  const context = Array.isArray(json["@context"]) ? json["@context"] : [json["@context"]];
  assert.ok(context.includes("https://www.w3.org/ns/activitystreams"), "the ActivityStreams context");
  assert.match(String(json.id), ACTIVITY_ID, "an id Herold minted, on the actor's host (Mastodon refuses other hosts)");
  assert.equal(new URL(String(json.id)).host, new URL(actorUri).host);
  assert.equal(json.actor, actorUri, "`actor` is the actor id as a string");
}

describe("outgoing social activities", () => {
  let db: TestDatabase;
  let h: SocialHarness;
  let brandUri: string;
  const remote = { uri: "https://remote.example/users/bob", inbox: "https://remote.example/inbox" };

  before(async () => {
    db = await createTestDatabase("sqlite");
    h = await createSocialHarness(db);
    const brand = await h.addAccount("brand");
    await h.base.repos.accounts.updateProfile(brand.id, { name: "Brand Inc.", summaryHtml: "<p>We make things.</p>" }, h.clock.now().toISOString());
    brandUri = brand.uri;
    await h.addRemote("bob", "remote.example");
  });
  after(async () => {
    await h.close();
    await db.close();
  });

  const last = async (): Promise<SentActivity> => {
    const sent = (await h.sent()).at(-1);
    assert.ok(sent !== undefined, "an activity was sent");
    return sent;
  };

  test("Follow", async (t) => {
    const result = await h.social.follows.follow("brand", remote.uri);
    assert.ok(result.ok);
    const follow = await last();
    assertMastodonBasics(follow, "Follow", brandUri);
    assert.equal(follow.json.object, remote.uri, "`object` is the followed actor");
    assert.deepEqual(follow.inboxes, [remote.inbox]);
    assert.equal(follow.visibility, "direct");
    t.assert.snapshot(normalise(follow.json));
  });

  test("Undo(Follow)", async (t) => {
    const following = await h.social.follows.listFollowing("brand");
    assert.ok(following.ok);
    const followUri = following.value.items[0]?.follow.uri;
    assert.ok(followUri);
    assert.ok((await h.social.follows.unfollow("brand", remote.uri)).ok);
    const undo = await last();
    assertMastodonBasics(undo, "Undo", brandUri);
    // Mastodon finds the follow by the embedded Follow's `object` (the followee on its side) and `actor`.
    assert.deepEqual(undo.json.object, { id: followUri, type: "Follow", actor: brandUri, object: remote.uri });
    assert.deepEqual(undo.inboxes, [remote.inbox]);
    t.assert.snapshot(normalise(undo.json));
  });

  test("Accept(Follow)", async (t) => {
    const bob = await h.base.repos.actors.findByUri(remote.uri);
    assert.ok(bob);
    await h.receive(bob, { type: "Follow", id: "https://remote.example/0f1e2d3c", actor: remote.uri, object: brandUri });
    const accept = await last();
    assertMastodonBasics(accept, "Accept", brandUri);
    // Mastodon matches the Accept by the Follow's original id, or by its embedded actor and object.
    assert.deepEqual(accept.json.object, { id: "https://remote.example/0f1e2d3c", type: "Follow", actor: remote.uri, object: brandUri });
    assert.deepEqual(accept.inboxes, [remote.inbox]);
    t.assert.snapshot(normalise(accept.json));
  });

  test("Reject(Follow)", async (t) => {
    const result = await h.social.follows.reject("brand", remote.uri);
    assert.ok(result.ok);
    const reject = await last();
    assertMastodonBasics(reject, "Reject", brandUri);
    assert.deepEqual(reject.json.object, { id: "https://remote.example/0f1e2d3c", type: "Follow", actor: remote.uri, object: brandUri });
    t.assert.snapshot(normalise(reject.json));
  });

  test("Block and Undo(Block)", async (t) => {
    const blocked = await h.social.blocks.block("brand", remote.uri);
    assert.ok(blocked.ok);
    const block = await last();
    assertMastodonBasics(block, "Block", brandUri);
    assert.equal(block.json.object, remote.uri, "`object` is the blocked actor, on the receiving server");
    assert.deepEqual(block.inboxes, [remote.inbox]);
    t.assert.snapshot(normalise(block.json));

    assert.ok((await h.social.blocks.unblock("brand", remote.uri)).ok);
    const undo = await last();
    assertMastodonBasics(undo, "Undo", brandUri);
    assert.equal(undo.json.object.id, block.json.id, "the Undo embeds the Block with its original id");
    assert.equal(undo.json.object.type, "Block");
    assert.equal(undo.json.object.object, remote.uri);
    t.assert.snapshot(normalise(undo.json));
  });

  test("Update(actor)", async (t) => {
    const account = await h.base.repos.accounts.findByUsername("brand");
    assert.ok(account);
    const bob = await h.base.repos.actors.findByUri(remote.uri);
    assert.ok(bob);
    await h.receive(bob, { type: "Follow", id: "https://remote.example/7a8b9c", actor: remote.uri, object: brandUri });
    await h.bridge.publish({ type: "account.updated", accountId: account.id });
    const update = await last();
    assertMastodonBasics(update, "Update", brandUri);
    const actor = update.json.object;
    assert.equal(actor.id, brandUri, "only the actor's own document may be updated");
    assert.equal(actor.type, "Organization");
    assert.equal(actor.inbox, `${ORIGIN}/users/brand/inbox`);
    assert.equal(actor.publicKey.id, `${brandUri}#main-key`);
    assert.equal(actor.publicKey.owner, brandUri);
    assert.match(actor.publicKey.publicKeyPem, /^-----BEGIN PUBLIC KEY-----/);
    assert.ok(["as:Public", AS_PUBLIC].includes(update.json.to), "public, like Mastodon's own Update of an actor");
    assert.deepEqual(update.inboxes, [remote.inbox], "delivered to followers");
    t.assert.snapshot(normalise(update.json));

    // The Update carries exactly the document the actor's id answers with.
    const noNetwork = async (url: string): Promise<never> => {
      throw new Error(`no network in this test: ${url}`);
    };
    const federation = createHeroldFederation({
      config: h.base.config,
      database: h.base.database,
      clock: h.clock,
      urls: h.urls,
      accounts: h.base.repos.accounts,
      posts: h.base.repos.posts,
      signingKeys: h.base.signingKeys,
      version: "test",
      loaders: { documentLoaderFactory: () => noNetwork, authenticatedDocumentLoaderFactory: () => noNetwork },
    });
    const response = await federation.fetch(new Request(brandUri, { headers: { accept: "application/activity+json" } }), { contextData: undefined });
    const { "@context": _context, ...served } = (await response.json()) as Record<string, unknown>;
    assert.deepEqual(actor, served);
  });
});
