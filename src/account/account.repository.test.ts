import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { Urls } from "../app/urls.ts";
import { toBool } from "../db/rows.ts";
import { describeEachEngine } from "../testing/databases.ts";
import type { AccountType } from "./account.entity.ts";
import { AccountRepository, type NewAccount } from "./account.repository.ts";
import { generateAccountKeys, type GeneratedKeys } from "./keys.ts";

const urls = new Urls(new URL("https://social.example.org"));

function newAccount(username: string, keys: GeneratedKeys, type: AccountType = "Organization"): NewAccount {
  return {
    username,
    type,
    name: `${username} name`,
    summaryHtml: "<p>About us</p>",
    uri: urls.actor(username),
    url: urls.profile(username),
    domain: "social.example.org",
    inboxUrl: urls.inbox(username),
    sharedInboxUrl: urls.sharedInbox(),
    outboxUrl: urls.outbox(username),
    followersUrl: urls.followers(username),
    followingUrl: urls.following(username),
    featuredUrl: urls.featured(username),
    keyId: urls.rsaKeyId(username),
    keys,
  };
}

describeEachEngine("AccountRepository (core: accounts, keys, profiles)", (get) => {
  let keys: GeneratedKeys;
  let repo: AccountRepository;
  const now = "2026-03-01T12:00:00.000Z";

  before(async () => {
    keys = await generateAccountKeys();
    repo = new AccountRepository(get().database.db);
  });

  describe("create and find", () => {
    test("creates an account with its local actor in one step", async () => {
      const account = await repo.create(newAccount("acme", keys), now);
      assert.equal(account.username, "acme");
      assert.equal(account.type, "Organization");
      assert.equal(account.uri, "https://social.example.org/users/acme");
      assert.equal(account.name, "acme name");
      assert.equal(account.summaryHtml, "<p>About us</p>");
      assert.deepEqual(account.fields, []);
      assert.equal(account.manuallyApprovesFollowers, false);
      assert.equal(account.discoverable, true);
      assert.equal(account.iconUrl, null);
      assert.deepEqual(account.alsoKnownAs, []);
      assert.equal(account.movedTo, null);
      assert.equal(account.rsaPublicPem, keys.rsaPublicPem);
      assert.equal(account.ed25519PublicPem, keys.ed25519PublicPem);
      assert.equal(account.createdAt, now);
      const actor = await get().database.db.selectFrom("actors").selectAll().where("id", "=", account.actorId).executeTakeFirstOrThrow();
      assert.equal(toBool(actor.is_local), true);
      assert.equal(actor.inbox_url, "https://social.example.org/users/acme/inbox");
      assert.equal(actor.shared_inbox_url, "https://social.example.org/inbox");
      assert.equal(actor.public_key_id, "https://social.example.org/users/acme#main-key");
      assert.equal(actor.domain, "social.example.org");
    });

    test("the account entity carries no private key", async () => {
      const account = (await repo.findByUsername("acme"))!;
      assert.ok(!JSON.stringify(account).includes("PRIVATE KEY"));
    });

    test("finds by username (any case), id and actor id", async () => {
      const account = (await repo.findByUsername("acme"))!;
      assert.equal((await repo.findByUsername("ACME"))?.id, account.id);
      assert.equal((await repo.findById(account.id))?.username, "acme");
      assert.equal((await repo.findByActorId(account.actorId))?.username, "acme");
      assert.equal(await repo.findByUsername("nobody"), null);
      assert.equal(await repo.findById("0".repeat(26)), null);
      assert.equal(await repo.findByActorId("0".repeat(26)), null);
    });

    test("a second account with the same username is refused by the database and leaves nothing behind", async () => {
      const actorsBefore = await get().database.db.selectFrom("actors").select("id").execute();
      await assert.rejects(repo.create({ ...newAccount("acme", keys), uri: "https://social.example.org/users/acme-2" }, now));
      const actorsAfter = await get().database.db.selectFrom("actors").select("id").execute();
      assert.equal(actorsAfter.length, actorsBefore.length, "the actor row was rolled back");
      assert.equal(await repo.count(), 1);
    });

    test("lists in creation order and counts", async () => {
      await repo.create(newAccount("press", keys, "Person"), "2026-03-02T12:00:00.000Z");
      await repo.create(newAccount("bot", keys, "Service"), "2026-03-03T12:00:00.000Z");
      assert.deepEqual((await repo.list()).map((a) => [a.username, a.type]), [["acme", "Organization"], ["press", "Person"], ["bot", "Service"]]);
      assert.equal(await repo.count(), 3);
    });
  });

  describe("keys", () => {
    test("private keys are read only through loadKeyPems", async () => {
      const account = (await repo.findByUsername("acme"))!;
      assert.deepEqual(await repo.loadKeyPems(account.id), keys);
      assert.equal(await repo.loadKeyPems("0".repeat(26)), null);
    });
  });

  describe("profile updates", () => {
    test("updates only the given fields", async () => {
      const account = (await repo.findByUsername("press"))!;
      const later = "2026-04-01T00:00:00.000Z";
      const updated = await repo.updateProfile(
        account.id,
        {
          name: "Press Office",
          fields: [{ name: "Website", value: '<a href="https://acme.example/">acme.example</a>' }],
          manuallyApprovesFollowers: true,
          discoverable: false,
          iconUrl: "https://social.example.org/media/a/avatar.png",
          alsoKnownAs: ["https://old.example/users/press"],
        },
        later,
      );
      assert.ok(updated);
      assert.equal(updated.name, "Press Office");
      assert.equal(updated.summaryHtml, "<p>About us</p>", "unchanged");
      assert.deepEqual(updated.fields, [{ name: "Website", value: '<a href="https://acme.example/">acme.example</a>' }]);
      assert.equal(updated.manuallyApprovesFollowers, true);
      assert.equal(updated.discoverable, false);
      assert.equal(updated.iconUrl, "https://social.example.org/media/a/avatar.png");
      assert.equal(updated.imageUrl, null, "unchanged");
      assert.deepEqual(updated.alsoKnownAs, ["https://old.example/users/press"]);
      assert.equal(updated.type, "Person", "unchanged");
      const cleared = await repo.updateProfile(account.id, { iconUrl: null, type: "Organization" }, later);
      assert.equal(cleared?.iconUrl, null);
      assert.equal(cleared?.type, "Organization");
      assert.equal(cleared?.name, "Press Office");
    });

    test("an unknown account is not updated", async () => {
      assert.equal(await repo.updateProfile("0".repeat(26), { name: "x" }, now), null);
    });
  });
});
