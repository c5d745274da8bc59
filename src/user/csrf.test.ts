import assert from "node:assert/strict";
import { test } from "node:test";
import { Csrf } from "./csrf.ts";

test("session tokens are bound to the session and the instance secret", () => {
  const csrf = new Csrf(Buffer.alloc(32, 1));
  const other = new Csrf(Buffer.alloc(32, 2));
  const token = csrf.forSession("session-a");
  assert.equal(csrf.checkSession("session-a", token), true);
  assert.equal(csrf.checkSession("session-b", token), false);
  assert.equal(other.checkSession("session-a", token), false);
  assert.equal(csrf.checkSession("session-a", token.slice(0, -1) + (token.endsWith("A") ? "B" : "A")), false);
  assert.equal(csrf.checkSession("session-a", undefined), false);
  assert.equal(csrf.checkSession("session-a", ""), false);
});

test("pre-session tokens need the matching cookie nonce", () => {
  const csrf = new Csrf(Buffer.alloc(32, 1));
  const nonce = csrf.newPreSessionNonce();
  const token = csrf.forPreSession(nonce);
  assert.equal(csrf.checkPreSession(nonce, token), true);
  assert.equal(csrf.checkPreSession(csrf.newPreSessionNonce(), token), false);
  assert.equal(csrf.checkPreSession(undefined, token), false);
  // The session and pre-session domains are separated: a session token is no pre-session token.
  assert.equal(csrf.checkPreSession(nonce, csrf.forSession(nonce)), false);
});
