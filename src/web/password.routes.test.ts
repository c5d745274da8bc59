import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startTestInstance, type TestInstance } from "../testing/instance.ts";
import { setUpOwner, signIn, WebClient } from "./testing/web-client.ts";

/**
 * Issue #12 item 14: changing one's password needs the current one, ends the sessions of other
 * devices (not this one), and is throttled like signing in; refusals change nothing.
 */
describe("password change", { timeout: 120_000 }, () => {
  let a: TestInstance;
  let owner: WebClient;
  const OLD = "owner's long password";
  const NEW = "a brand new long password";

  before(async () => {
    a = await startTestInstance({ worker: false });
    owner = await setUpOwner(a, { email: "owner@acme.example", password: OLD, account_username: "acme", account_name: "ACME" });
  });
  after(async () => {
    await a?.close();
  });

  const change = async (fields: Record<string, string>) => {
    await owner.get("/app/settings/password");
    return await owner.post("/app/settings/password", fields);
  };

  test("refusals are pages in the app and change nothing", async () => {
    const settings = await owner.get("/app/settings");
    assert.ok(settings.html.includes('<a href="/app/settings/password">Change your password</a>'));
    const wrong = await change({ current: "not the password", next: NEW, repeat: NEW });
    assert.equal(wrong.status, 403);
    assert.match(wrong.html, /role="alert">The current password is not right\./);
    assert.match(wrong.html, /<nav aria-label="Main">/, "in the app's layout");
    assert.equal((await change({ current: OLD, next: NEW, repeat: `${NEW}!` })).status, 400);
    assert.equal((await change({ current: OLD, next: "short", repeat: "short" })).status, 422);
    // The old password still signs in.
    assert.ok(await signIn(a, "owner@acme.example", OLD));
  });

  test("the right current password changes it and signs out every other device, not this one", async () => {
    const laptop = await signIn(a, "owner@acme.example", OLD);
    assert.equal((await laptop.get("/app")).status, 200);
    const changed = await change({ current: OLD, next: NEW, repeat: NEW });
    assert.equal(changed.status, 303);
    assert.equal(changed.location, "/app/settings?done=password-changed");
    const here = await owner.get(changed.location!);
    assert.equal(here.status, 200, "this session stays");
    assert.match(here.html, /every other device was signed out/);
    const there = await laptop.get("/app");
    assert.equal(there.status, 303, "the other session ended");
    assert.match(there.location ?? "", /^\/app\/login/);
    await assert.rejects(signIn(a, "owner@acme.example", OLD), /HTTP 401/);
    assert.ok(await signIn(a, "owner@acme.example", NEW));
  });

  test("wrong current passwords are throttled like sign-ins (the person's counter is shared)", async () => {
    a.ctx.web.throttle.forget("owner@acme.example");
    for (let i = 0; i < 5; i++) assert.equal((await change({ current: `guess ${i}`, next: "x".repeat(12), repeat: "x".repeat(12) })).status, 403, `guess ${i}`);
    const blocked = await change({ current: NEW, next: "another long password", repeat: "another long password" });
    assert.equal(blocked.status, 429);
    // Even the right password is refused now, and signing in is locked too: one counter per person.
    const client = new WebClient(a.origin);
    await client.get("/app/login");
    assert.equal((await client.post("/app/login", { login: "owner@acme.example", password: NEW })).status, 429);
    a.ctx.web.throttle.forget("owner@acme.example");
    assert.ok(await signIn(a, "owner@acme.example", NEW), "the password did not change while throttled");
  });
});
