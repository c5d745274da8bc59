import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { AccountRepository } from "../account/account.repository.ts";
import { generateAccountKeys } from "../account/keys.ts";
import { Urls } from "../app/urls.ts";
import { newId } from "../lib/id.ts";
import { describeEachEngine } from "../testing/databases.ts";
import { remoteActorData } from "../testing/fixtures.ts";
import type { RemoteActorData } from "./actor.entity.ts";
import { ActorRepository } from "./actor.repository.ts";

/** The shared fixture, filled in everywhere so the round trip checks every column. */
function remote(host: string, username: string, overrides: Partial<RemoteActorData> = {}): RemoteActorData {
  const uri = `https://${host}/users/${username}`;
  return remoteActorData(host, username, {
    name: `${username} at ${host}`,
    summaryHtml: "<p>Hi</p>",
    featuredUrl: `${uri}/collections/featured`,
    publicKeyPem: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
    iconUrl: `https://${host}/avatars/${username}.png`,
    fields: [{ name: "Site", value: "<p>example</p>" }],
    emojis: [{ name: "wave", url: `https://${host}/emoji/wave.png` }],
    publishedAt: "2020-01-01T00:00:00.000Z",
    rawJson: JSON.stringify({ id: uri }),
    ...overrides,
  });
}

describeEachEngine("ActorRepository (core: remote actors, lookups, local actors)", (get) => {
  let repo: ActorRepository;
  const t1 = "2026-03-01T12:00:00.000Z";
  const t2 = "2026-03-02T12:00:00.000Z";

  before(() => {
    repo = new ActorRepository(get().database.db);
  });

  describe("remote actors", () => {
    test("upsertRemote stores a new actor with every field", async () => {
      const actor = await repo.upsertRemote(remote("remote.example", "bob"), t1);
      assert.equal(actor.uri, "https://remote.example/users/bob");
      assert.equal(actor.isLocal, false);
      assert.equal(actor.handle, "bob@remote.example");
      assert.equal(actor.name, "bob at remote.example");
      assert.equal(actor.sharedInboxUrl, "https://remote.example/inbox");
      assert.deepEqual(actor.fields, [{ name: "Site", value: "<p>example</p>" }]);
      assert.deepEqual(actor.emojis, [{ name: "wave", url: "https://remote.example/emoji/wave.png" }]);
      assert.equal(actor.discoverable, true);
      assert.equal(actor.manuallyApprovesFollowers, false);
      assert.equal(actor.fetchedAt, t1);
      assert.equal(actor.createdAt, t1);
      assert.equal(actor.goneAt, null);
      assert.equal(await repo.findRawJson(actor.id), JSON.stringify({ id: "https://remote.example/users/bob" }));
    });

    test("upsertRemote refreshes the same row on a second fetch, keeping its id and creation time", async () => {
      const first = (await repo.findByUri("https://remote.example/users/bob"))!;
      const second = await repo.upsertRemote(remote("remote.example", "bob", { name: "Bob B.", manuallyApprovesFollowers: true, fields: [], movedToUri: "https://new.example/users/bob" }), t2);
      assert.equal(second.id, first.id);
      assert.equal(second.createdAt, t1);
      assert.equal(second.updatedAt, t2);
      assert.equal(second.fetchedAt, t2);
      assert.equal(second.name, "Bob B.");
      assert.equal(second.manuallyApprovesFollowers, true);
      assert.deepEqual(second.fields, []);
      assert.equal(second.movedToUri, "https://new.example/users/bob");
    });

    test("a remote document never overwrites a local actor with the same id", async () => {
      const accounts = new AccountRepository(get().database.db);
      const urls = new Urls(new URL("https://social.example.org"));
      const local = await accounts.create(
        {
          username: "acme", type: "Organization", name: "ACME", summaryHtml: "", uri: urls.actor("acme"), url: urls.profile("acme"),
          domain: "social.example.org", inboxUrl: urls.inbox("acme"), sharedInboxUrl: urls.sharedInbox(), outboxUrl: urls.outbox("acme"),
          followersUrl: urls.followers("acme"), followingUrl: urls.following("acme"), featuredUrl: urls.featured("acme"),
          keyId: urls.rsaKeyId("acme"), keys: await generateAccountKeys(),
        },
        t1,
      );
      await assert.rejects(repo.upsertRemote(remote("social.example.org", "acme", { uri: local.uri, name: "Impostor" }), t2), /refusing to overwrite local actor/);
      const stored = (await repo.findById(local.actorId))!;
      assert.equal(stored.name, "ACME");
      assert.equal(stored.isLocal, true);
      assert.equal(await repo.countLocal(), 1);
    });

    test("markGone marks remote actors only", async () => {
      const bob = (await repo.findByUri("https://remote.example/users/bob"))!;
      assert.deepEqual(await repo.markGone([bob.id], t2), [bob.id]);
      assert.equal((await repo.findById(bob.id))?.goneAt, t2);
      const acme = (await repo.findByUri("https://social.example.org/users/acme"))!;
      assert.deepEqual(await repo.markGone([acme.id], t2), []);
      assert.equal((await repo.findById(acme.id))?.goneAt, null);
      // A new fetch revives a gone actor.
      const revived = await repo.upsertRemote(remote("remote.example", "bob"), "2026-03-03T00:00:00.000Z");
      assert.equal(revived.goneAt, null);
    });
  });

  describe("lookups", () => {
    test("by id, URI, handle (domain in any case) and public key id", async () => {
      const carol = await repo.upsertRemote(remote("Other.Example", "carol"), t1);
      assert.equal(carol.domain, "other.example");
      assert.equal((await repo.findById(carol.id))?.uri, carol.uri);
      assert.equal((await repo.findByUri(carol.uri))?.id, carol.id);
      assert.equal((await repo.findByHandle("carol", "OTHER.example"))?.id, carol.id);
      assert.equal((await repo.findByPublicKeyId(`${carol.uri}#main-key`))?.id, carol.id);
      assert.equal(await repo.findByPublicKeyId("https://social.example.org/users/acme#main-key"), null, "local keys are not remote keys");
      assert.equal(await repo.findById(newId()), null);
      assert.equal(await repo.findByUri("https://remote.example/users/nobody"), null);
      assert.equal(await repo.findByHandle("carol", "remote.example"), null);
    });

    test("findManyByIds returns the known ones, once each", async () => {
      const bob = (await repo.findByUri("https://remote.example/users/bob"))!;
      const carol = (await repo.findByHandle("carol", "other.example"))!;
      const found = await repo.findManyByIds([bob.id, carol.id, bob.id, newId()]);
      assert.deepEqual([...found.keys()].sort(), [bob.id, carol.id].sort());
      assert.equal(found.get(carol.id)?.username, "carol");
      assert.equal((await repo.findManyByIds([])).size, 0);
    });
  });
});
