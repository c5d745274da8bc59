import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startTestInstance, type TestInstance } from "../testing/instance.ts";
import { WebClient } from "./testing/web-client.ts";

/**
 * Issue #10 item 6: the organisation's account was created with the CLI (the README's quick start)
 * and no person exists yet. The setup page must not make whoever reaches it the owner: it asks for the
 * one-time token `npm start` printed (the test instance issues one the same way).
 */
describe("first-run setup needs the token printed at start", { timeout: 60_000 }, () => {
  let a: TestInstance;

  before(async () => {
    a = await startTestInstance({ worker: false });
    const created = await a.cli("account", "create", "acme", "--type", "organization", "--name", "ACME");
    assert.equal(created.code, 0, created.err);
  });
  after(async () => {
    await a?.close();
  });

  const attempt = async (token: string | undefined) => {
    const client = new WebClient(a.origin);
    const page = await client.get("/app/setup");
    assert.equal(page.status, 200);
    const fields: Record<string, string> = { email: "stranger@example.org", password: "a stranger's long password" };
    if (token !== undefined) fields.setup_token = token;
    return { client, response: await client.post("/app/setup", fields) };
  };

  test("without the token, or with a wrong one, a stranger is refused and nothing changes", async () => {
    for (const token of [undefined, "", "not-the-token", `${a.setupToken}x`]) {
      const { client, response } = await attempt(token);
      assert.equal(response.status, 403, `token ${JSON.stringify(token)}`);
      assert.match(response.html, /setup token/i);
      assert.equal(client.cookie("herold_session"), undefined);
    }
    assert.equal(await a.ctx.web.userRepository.count(), 0);
  });

  test("the form says names are lower case before it refuses one", async () => {
    const page = await new WebClient(a.origin).get("/app/setup");
    assert.match(page.html, /id="username-hint" class="hint">2–30 lower-case letters/);
    assert.match(page.html, /id="account-hint" class="hint">Lower-case letters/);
    assert.match(page.html, /name="account_username"[^>]*title="Lower-case letters/, "the browser's own refusal says it too");
  });

  test("the token from the start banner makes the owner of the CLI-made account, once", async () => {
    assert.ok(a.setupToken !== null && a.setupToken.length >= 40);
    const owner = new WebClient(a.origin);
    const page = await owner.get(`/app/setup?token=${encodeURIComponent(a.setupToken)}`);
    assert.match(page.html, new RegExp(`name="setup_token"[^>]*value="${a.setupToken}"`), "the link prefills the token");
    const response = await owner.post("/app/setup", { email: "owner@acme.example", password: "the owner's long password", setup_token: a.setupToken });
    assert.equal(response.status, 303);
    assert.equal(response.location, "/app");
    const acme = await a.ctx.repos.accounts.findByUsername("acme");
    const owners = await a.ctx.web.userRepository.membersOf(acme!.id);
    assert.deepEqual(owners.map((m) => m.role), ["owner"]);
    // Used: even with every person gone again, the same token opens nothing.
    await a.ctx.database.db.deleteFrom("users").execute();
    const { response: reused } = await attempt(a.setupToken);
    assert.equal(reused.status, 403);
    assert.equal(await a.ctx.web.userRepository.count(), 0);
  });

  test("herold user create, the CLI alternative, ends first-run setup and its tokens too", async () => {
    const fresh = await a.ctx.web.users.issueSetupToken();
    assert.ok(fresh !== null);
    const created = await a.cli("user", "create", "cli-owner@acme.example", "--account", "acme", "--role", "owner");
    assert.equal(created.code, 0, created.err);
    assert.equal((await a.ctx.database.db.selectFrom("setup_tokens").select("id").execute()).length, 0);
    await a.ctx.database.db.deleteFrom("users").execute();
    const { response } = await attempt(fresh);
    assert.equal(response.status, 403);
  });
});
