import assert from "node:assert/strict";
import { test } from "node:test";
import { generatePassword, hashPassword, needsRehash, verifyPassword } from "./password.ts";

const CHEAP = { memoryKiB: 1024, passes: 1, parallelism: 1 };

test("argon2id hashes record algorithm and parameters and verify only the right password", async () => {
  const hash = await hashPassword("correct horse battery", CHEAP);
  assert.match(hash, /^\$argon2id\$v=19\$m=1024,t=1,p=1\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/);
  assert.equal(await verifyPassword("correct horse battery", hash), true);
  assert.equal(await verifyPassword("correct horse batterY", hash), false);
  assert.equal(await verifyPassword("", hash), false);
  // Same password, new salt: different hash.
  assert.notEqual(await hashPassword("correct horse battery", CHEAP), hash);
});

test("malformed or foreign hashes never verify", async () => {
  for (const stored of ["", "plain", "$argon2id$v=19$m=1024,t=1,p=1$xx$yy", "$2b$10$abcdefghijklmnopqrstuv", "$argon2i$v=19$m=1024,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaA"]) {
    assert.equal(await verifyPassword("anything", stored), false, stored);
  }
});

test("weaker stored parameters ask for a rehash; the defaults do not", async () => {
  const weak = await hashPassword("a long password", CHEAP);
  assert.equal(needsRehash(weak), true);
  assert.equal(needsRehash(weak, CHEAP), false);
  assert.equal(needsRehash("$scrypt$ln=17,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaA"), true);
});

test("generated passwords are long, readable and different each time", () => {
  const a = generatePassword();
  const b = generatePassword();
  assert.match(a, /^[a-zA-Z2-9]{5}(?:-[a-zA-Z2-9]{5}){3}$/);
  assert.notEqual(a, b);
});
