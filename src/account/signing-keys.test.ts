import assert from "node:assert/strict";
import { test } from "node:test";
import type { Account } from "./account.entity.ts";
import type { AccountRepository } from "./account.repository.ts";
import { generateAccountKeys } from "./keys.ts";
import { SigningKeyStore } from "./signing-keys.ts";

test("signing key store: one import per account, a bounded cache, the actor id with the keys, missing accounts not kept", async () => {
  const pems = await generateAccountKeys();
  const loads: string[] = [];
  const accounts = {
    findById: async (id: string) => (id === "gone" ? null : ({ id, username: `user-${id}`, actorId: `actor-${id}` } as Account)),
    loadKeyPems: async (id: string) => {
      loads.push(id);
      return id === "gone" ? null : pems;
    },
  } as unknown as AccountRepository;
  const store = new SigningKeyStore(accounts, (username) => `https://h.example/users/${username}#main-key`, 2);

  const [a1, a2] = await Promise.all([store.get({ id: "a" }), store.get({ id: "a" })]);
  assert.ok(a1 !== null && a1 === a2, "concurrent gets share one load");
  assert.equal(a1.actorId, "actor-a");
  assert.equal(a1.keyId, "https://h.example/users/user-a#main-key");
  assert.equal(await store.get({ id: "gone" }), null);
  await store.get({ id: "b" });
  await store.get({ id: "c" });
  assert.equal(store.size, 2, "the cache is bounded");
  await store.get({ id: "a" }); // evicted as least recently used: loaded again
  assert.deepEqual(loads, ["a", "gone", "b", "c", "a"]);
});
