import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { generateCryptoKeyPair, signRequest, type Federation } from "@fedify/fedify";
import { CryptographicKey, Person } from "@fedify/vocab";
import type { RemoteDocument } from "@fedify/vocab";
import { offlineContextLoader } from "../federation/context-loader.ts";
import { createHeroldFederation } from "../federation/federation.ts";
import type { FederationLoaders } from "../federation/federation.deps.ts";
import { describeEachEngine } from "../testing/databases.ts";
import { COLLECTION_PAGE_SIZE } from "./follow.collections.ts";
import { FollowRepository } from "./follow.repository.ts";
import { createSocialHarness, type SocialHarness } from "./testing/social-harness.ts";

/** A remote fetcher that knows only the documents a test put in it: no network. */
function memoryLoaders(documents: Map<string, unknown>): FederationLoaders {
  const load = async (url: string): Promise<RemoteDocument> => {
    const document = documents.get(url.split("#")[0]!);
    if (document === undefined) throw new Error(`no document at ${url} in this test`);
    return { contextUrl: null, documentUrl: url, document };
  };
  return { documentLoaderFactory: () => load, authenticatedDocumentLoaderFactory: () => load };
}

describeEachEngine("followers and following collections", (getDb) => {
  let h: SocialHarness;
  let federation: Federation<void>;
  const documents = new Map<string, unknown>();

  const federationWith = (authorizedFetch: boolean) =>
    createHeroldFederation(
      {
        config: { ...h.base.config, authorizedFetch },
        database: h.base.database,
        clock: h.clock,
        urls: h.urls,
        accounts: h.base.repos.accounts,
        posts: h.base.repos.posts,
        signingKeys: h.base.signingKeys,
        version: "test",
        loaders: memoryLoaders(documents),
      },
      h.social.fedifyDispatchers ?? [],
    );
  const get = async (fedify: Federation<void>, path: string, init: RequestInit = {}) => {
    const response = await fedify.fetch(new Request(`https://herold.test${path}`, { ...init, headers: { accept: "application/activity+json", ...init.headers } }), {
      contextData: undefined,
    });
    return { status: response.status, json: response.status === 200 ? ((await response.json()) as Record<string, any>) : null };
  };

  before(async () => {
    h = await createSocialHarness(getDb());
    federation = federationWith(false);
  });
  after(async () => {
    await h.close();
  });

  test("counts and lists only accepted follows, newest first, paged", async () => {
    const owner = await h.addAccount("coll");
    await h.addAccount("closed", { manuallyApprovesFollowers: true });
    const one = await h.addRemote("one", "a.example");
    const two = await h.addRemote("two", "b.example");
    const pending = await h.addRemote("three", "a.example");
    await h.receive(one, { type: "Follow", id: "https://a.example/f/1", actor: one.uri, object: owner.uri });
    await h.receive(two, { type: "Follow", id: "https://b.example/f/2", actor: two.uri, object: owner.uri });
    const requested = await h.social.follows.follow("coll", pending.uri); // ours, still pending
    assert.ok(requested.ok);
    const followed = await h.social.follows.follow("coll", one.uri);
    assert.ok(followed.ok);
    await h.receive(one, { type: "Accept", id: "https://a.example/a/1", actor: one.uri, object: followed.value.follow.uri });
    await h.receive(pending, { type: "Follow", id: "https://a.example/f/3", actor: pending.uri, object: "https://herold.test/users/closed" });

    const followers = await get(federation, "/users/coll/followers");
    assert.equal(followers.status, 200);
    assert.equal(followers.json?.type, "OrderedCollection");
    assert.equal(followers.json?.id, "https://herold.test/users/coll/followers");
    assert.equal(followers.json?.totalItems, 2);
    const firstUrl = new URL(String(followers.json?.first));
    const page = await get(federation, firstUrl.pathname + firstUrl.search);
    assert.equal(page.json?.type, "OrderedCollectionPage");
    assert.deepEqual(page.json?.orderedItems, [two.uri, one.uri]);
    assert.equal(page.json?.next, undefined);

    const filtered = await get(federation, `/users/coll/followers?base-url=${encodeURIComponent("https://b.example/")}&cursor=start`);
    assert.deepEqual(filtered.json?.orderedItems, [two.uri]);

    const following = await get(federation, "/users/coll/following");
    assert.equal(following.json?.totalItems, 1, "the pending request is not counted");
    const followingPage = await get(federation, "/users/coll/following?cursor=start");
    assert.deepEqual(followingPage.json?.orderedItems, [one.uri]);

    const closed = await get(federation, "/users/closed/followers?cursor=start");
    assert.equal(closed.json?.orderedItems, undefined, "a pending follower is not listed");
    assert.equal((await get(federation, "/users/closed/followers")).json?.totalItems, 0);

    assert.equal((await get(federation, "/users/nobody/followers")).status, 404);
    assert.equal((await get(federation, "/users/nobody/following?cursor=start")).status, 404);
    assert.equal((await get(federation, "/users/coll/followers?cursor=..%2Fx")).status, 404);
  });

  test("pages hold at most a page of items and link to the next one", async () => {
    const big = await h.addAccount("big");
    const repo = new FollowRepository(h.base.database.db);
    for (let i = 0; i < COLLECTION_PAGE_SIZE + 1; i++) {
      const fan = await h.addRemote(`fan${i}`, "many.example", { register: false });
      await repo.create({ followerId: fan.id, followeeId: big.actorId, state: "accepted", uri: `https://many.example/f/${i}` }, h.clock.now().toISOString());
    }
    const first = await get(federation, "/users/big/followers?cursor=start");
    assert.equal(first.json?.orderedItems.length, COLLECTION_PAGE_SIZE);
    const next = new URL(String(first.json?.next));
    const second = await get(federation, next.pathname + next.search);
    assert.deepEqual(second.json?.orderedItems, ["https://many.example/users/fan0"]);
    assert.equal(second.json?.next, undefined);
  });

  test("with authorized fetch, only signed fetches get the collections", async () => {
    const secure = federationWith(true);
    const owner = await h.addAccount("private");
    const signer = await h.addRemote("signer", "signed.example");
    await h.receive(signer, { type: "Follow", id: "https://signed.example/f/1", actor: signer.uri, object: owner.uri });
    const keys = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
    const keyId = new URL(`${signer.uri}#main-key`);
    const person = new Person({
      id: new URL(signer.uri),
      preferredUsername: "signer",
      inbox: new URL(`${signer.uri}/inbox`),
      publicKey: new CryptographicKey({ id: keyId, owner: new URL(signer.uri), publicKey: keys.publicKey }),
    });
    documents.set(signer.uri, await person.toJsonLd({ contextLoader: offlineContextLoader }));

    assert.equal((await get(secure, "/users/private/followers")).status, 401);
    assert.equal((await get(secure, "/users/private/followers?cursor=start")).status, 401);
    assert.equal((await get(secure, "/users/private/following?cursor=start")).status, 401);
    const signed = await signRequest(
      new Request("https://herold.test/users/private/followers", { headers: { accept: "application/activity+json" } }),
      keys.privateKey,
      keyId,
    );
    const response = await secure.fetch(signed, { contextData: undefined });
    assert.equal(response.status, 200);
    assert.equal(((await response.json()) as { totalItems: number }).totalItems, 1);
  });
});
