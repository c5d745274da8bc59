import assert from "node:assert/strict";
import { test } from "node:test";
import { AccountRepository } from "../account/account.repository.ts";
import { AccountService } from "../account/account.service.ts";
import { Urls } from "../app/urls.ts";
import { describeEachEngine } from "../testing/databases.ts";
import { ManualClock } from "../lib/time.ts";
import { LoginThrottle, type LoginThrottleOptions } from "./login-throttle.ts";
import { SessionStore } from "./session.store.ts";
import { UserRepository } from "./user.repository.ts";
import { UserService } from "./user.service.ts";

const CHEAP = { memoryKiB: 1024, passes: 1, parallelism: 1 };

describeEachEngine("people, sessions and memberships", (get) => {
  const setup = (throttleOptions: LoginThrottleOptions = {}, clock = new ManualClock("2026-03-01T10:00:00Z")) => {
    const { database } = get();
    const urls = new Urls(new URL("https://herold.test"));
    const accounts = new AccountRepository(database.db);
    const accountService = new AccountService({ accounts, urls, domain: "herold.test", clock });
    const users = new UserRepository(database);
    const service = new UserService({ users, accounts, accountService, throttle: new LoginThrottle(clock, Buffer.alloc(32), throttleOptions), clock, hashParams: CHEAP });
    return { database, clock, accounts, users, service, sessions: new SessionStore(database.db, clock) };
  };

  // Issue #10 item 6: first-run setup used to make whoever came first the owner.
  test("setup needs a valid one-time token; a token from one process works in another; it expires", async () => {
    const { database, service, clock } = setup();
    // Another web process on the same database.
    const { service: other } = setup({}, clock);
    const token = await service.issueSetupToken();
    assert.ok(token !== null);
    const stored = await database.db.selectFrom("setup_tokens").select("id").execute();
    assert.equal(stored.length, 1);
    assert.notEqual(stored[0]!.id, token, "only a hash is stored");
    for (const setupToken of ["", "guess", `${token}x`]) {
      const refused = await other.setup({ setupToken, email: "stranger@example.org", password: "a stranger's password", account: { username: "stranger" } });
      assert.equal(refused.ok ? "ok" : refused.error, "invalid-setup-token");
    }
    assert.equal(await database.db.selectFrom("accounts").select("id").where("username", "=", "stranger").executeTakeFirst(), undefined, "nothing was created");
    clock.advance(25 * 3600_000);
    const expired = await other.setup({ setupToken: token, email: "late@example.org", password: "a good long password" });
    assert.equal(expired.ok ? "ok" : expired.error, "invalid-setup-token");
    // A later start prints a fresh token; the expired row is dropped then.
    const fresh = await other.issueSetupToken();
    assert.equal((await database.db.selectFrom("setup_tokens").select("id").execute()).length, 1);
    // A refused form (weak password) does not spend it.
    const weak = await service.setup({ setupToken: fresh!, email: "x@example.org", password: "short" });
    assert.equal(weak.ok ? "ok" : weak.error, "weak-password");
    assert.equal((await database.db.selectFrom("setup_tokens").select("id").execute()).length, 1);
    // The other process accepts it, once.
    const owner = await other.setup({ setupToken: fresh!, email: "first@example.org", password: "a good long password" });
    assert.ok(owner.ok);
    assert.equal((await database.db.selectFrom("setup_tokens").select("id").execute()).length, 0, "setup spends every token");
    // Tidy up for the next test, which sets up for real.
    await database.db.deleteFrom("users").execute();
  });

  test("first-run setup creates the owner and the organisation account once, and only once", async () => {
    const { service, users } = setup();
    assert.equal(await service.needsSetup(), true);
    const setupToken = (await service.issueSetupToken())!;
    const results = await Promise.all([
      service.setup({ setupToken, email: "Owner@Example.org", password: "a good long password", account: { username: "acme", name: "ACME" } }),
      service.setup({ setupToken, email: "intruder@example.org", password: "another long password" }),
    ]);
    assert.equal(results.filter((r) => r.ok).length, 1);
    assert.equal(await users.count(), 1);
    const winner = results.find((r) => r.ok)!;
    assert.ok(winner.ok);
    const memberships = await users.membershipsOf(winner.value.id);
    assert.equal(winner.value.email, "owner@example.org");
    assert.deepEqual(memberships.map((m) => [m.username, m.role]), [["acme", "owner"]]);
    const again = await service.setup({ setupToken, email: "late@example.org", password: "a good long password" });
    assert.equal(again.ok ? "ok" : again.error, "already-set-up");
    assert.equal(await service.issueSetupToken(), null, "no token once someone is set up");
  });

  test("sign-in by e-mail or name; wrong passwords and unknown names fail alike", async () => {
    const { service } = setup();
    const created = await service.create({ email: "anna@example.org", username: "anna", password: "anna's long password", accountUsername: "acme", role: "publisher" });
    assert.ok(created.ok);
    const byEmail = await service.signIn("ANNA@example.org", "anna's long password", "c1");
    assert.ok(byEmail.ok);
    const byName = await service.signIn("anna", "anna's long password", "c1");
    assert.ok(byName.ok);
    const wrong = await service.signIn("anna", "wrong password!!", "c1");
    const unknown = await service.signIn("nobody", "wrong password!!", "c1");
    assert.equal(wrong.ok ? "ok" : wrong.error, "invalid-credentials");
    assert.equal(unknown.ok ? "ok" : unknown.error, "invalid-credentials");
    assert.equal(!wrong.ok && !unknown.ok && wrong.message === unknown.message, true);
  });

  test("validation: bad e-mail, short password, taken address, unknown account", async () => {
    const { service } = setup();
    const cases = [
      [{ email: "not-an-address", password: "long enough password" }, "invalid-email"],
      [{ email: "b@example.org", password: "short" }, "weak-password"],
      [{ email: "anna@example.org", password: "long enough password" }, "taken"],
      [{ email: "c@example.org", username: "Bad Name!", password: "long enough password" }, "invalid-username"],
    ] as const;
    for (const [input, expected] of cases) {
      const result = await service.create({ ...input, accountUsername: "acme", role: "author" });
      assert.equal(result.ok ? "ok" : result.error, expected, JSON.stringify(input));
    }
    const noAccount = await service.create({ email: "d@example.org", password: "long enough password", accountUsername: "nope", role: "author" });
    assert.equal(noAccount.ok ? "ok" : noAccount.error, "no-such-account");
  });

  test("sessions: only the hash is stored, idle expiry slides, sign out everywhere ends them all", async () => {
    const { sessions, users, clock, database } = setup();
    const found = await users.findCredentials("anna");
    assert.ok(found);
    const a = await sessions.create(found.user.id, null);
    const b = await sessions.create(found.user.id, null);
    const stored = await database.db.selectFrom("sessions").select("id").execute();
    assert.ok(stored.every((row) => row.id !== a.token && row.id !== b.token));
    assert.equal((await sessions.lookup(a.token))?.user.email, "anna@example.org");
    assert.equal(await sessions.lookup(a.token.slice(0, -2) + "xx"), null);
    assert.equal(await sessions.lookup("../../etc"), null);
    clock.advance(13 * 86_400_000);
    assert.ok(await sessions.lookup(a.token)); // used: extended
    clock.advance(13 * 86_400_000);
    assert.ok(await sessions.lookup(a.token));
    assert.equal(await sessions.lookup(b.token), null); // idle for 26 days: gone
    const c = await sessions.create(found.user.id, null);
    assert.equal(await sessions.deleteAllOf(found.user.id), 2);
    assert.equal(await sessions.lookup(a.token), null);
    assert.equal(await sessions.lookup(c.token), null);
  });

  test("memberships: one per person and account, role changes in place", async () => {
    const { users, accounts, clock } = setup();
    const found = await users.findCredentials("anna@example.org");
    const acme = await accounts.findByUsername("acme");
    assert.ok(found && acme);
    await users.upsertMembership(found.user.id, acme.id, "admin", clock.now().toISOString());
    const list = await users.membershipsOf(found.user.id);
    assert.deepEqual(list.map((m) => [m.username, m.role]), [["acme", "admin"]]);
    assert.equal((await users.membership(found.user.id, acme.id))?.role, "admin");
    assert.equal((await users.membersOf(acme.id)).length, 2);
  });

  // Issue #10 item 1: attempts used to be counted only after the hash was checked.
  test("a burst of parallel guesses for one person is counted before hashing: only five are checked", async () => {
    const { service } = setup({ inFlightPerKey: 100, inFlightTotal: 100 });
    assert.ok((await service.create({ email: "burst@example.org", password: "burst's long password", accountUsername: "acme", role: "owner" })).ok);
    const results = await Promise.all(Array.from({ length: 45 }, (_, i) => service.signIn("burst@example.org", `wrong guess number ${i}`, `client-${i}`)));
    const outcomes = results.map((r) => (r.ok ? "ok" : r.error));
    assert.equal(outcomes.filter((o) => o === "invalid-credentials").length, 5, "five guesses are checked, no more");
    assert.equal(outcomes.filter((o) => o === "throttled").length, 40);
    const right = await service.signIn("burst@example.org", "burst's long password", "client-right");
    assert.equal(right.ok ? "ok" : right.error, "throttled");
  });

  test("password checks in flight are bounded per client and in total; the excess is refused at once", async () => {
    const { service } = setup({ inFlightPerKey: 2, inFlightTotal: 3 });
    const count = (results: readonly { ok: boolean; error?: string }[], outcome: string) => results.filter((r) => (r.ok ? "ok" : r.error) === outcome).length;
    // One client, many unknown names: each would cost a full hash.
    const one = await Promise.all(Array.from({ length: 6 }, (_, i) => service.signIn(`nobody${i}`, "wrong password!!", "one-client")));
    assert.deepEqual([count(one, "invalid-credentials"), count(one, "busy")], [2, 4]);
    // Many clients, many names: the total bound.
    const many = await Promise.all(Array.from({ length: 6 }, (_, i) => service.signIn(`someone${i}`, "wrong password!!", `client-${i}`)));
    assert.deepEqual([count(many, "invalid-credentials"), count(many, "busy")], [3, 3]);
    // Once they are answered, checks are admitted again.
    const later = await service.signIn("nobody0", "wrong password!!", "one-client");
    assert.equal(later.ok ? "ok" : later.error, "invalid-credentials");
  });

  test("a person's own success does not wipe failures another client caused", async () => {
    const { service } = setup();
    assert.ok((await service.create({ email: "dora@example.org", password: "dora's long password", accountUsername: "acme", role: "owner" })).ok);
    for (let i = 0; i < 3; i++) assert.equal((await service.signIn("dora@example.org", `guess ${i} is wrong`, "guesser")).ok, false);
    // Dora mistypes once, then signs in: her own failure is forgiven, the guesser's three are not.
    assert.equal((await service.signIn("dora@example.org", "dora's typo password", "dora's laptop")).ok, false);
    assert.ok((await service.signIn("dora@example.org", "dora's long password", "dora's laptop")).ok);
    for (let i = 3; i < 5; i++) {
      const guess = await service.signIn("dora@example.org", `guess ${i} is wrong`, "guesser");
      assert.equal(guess.ok ? "ok" : guess.error, "invalid-credentials");
    }
    const blocked = await service.signIn("dora@example.org", "dora's long password", "dora's phone");
    assert.equal(blocked.ok ? "ok" : blocked.error, "throttled", "five failures from the guesser block the name");
  });
});
