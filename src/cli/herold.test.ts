import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { createTestDatabase, ENGINES, type TestDatabase } from "../testing/databases.ts";
import { runCli } from "./herold.ts";

interface Run {
  code: number;
  out: string;
  err: string;
}

for (const engine of ENGINES) {
  describe(`herold CLI: accounts [${engine}]`, () => {
    let database: TestDatabase;
    let dataDir: string;
    /** Everything any command printed, checked for key material at the end. */
    const transcript: string[] = [];

    const cli = async (argv: string[], extraEnv: Record<string, string> = {}): Promise<Run> => {
      const out: string[] = [];
      const err: string[] = [];
      const env = { HEROLD_DATABASE_URL: database.url, HEROLD_DATA_DIR: dataDir, HEROLD_ORIGIN: "https://social.example.org", ...extraEnv };
      const code = await runCli(argv, env, { out: (t) => out.push(t), err: (t) => err.push(t) });
      transcript.push(...out, ...err);
      return { code, out: out.join("\n"), err: err.join("\n") };
    };
    /** An expected failure: the exit code, nothing on stdout, exactly one line on stderr. */
    const failure = async (argv: string[], code: number, message: RegExp, env?: Record<string, string>) => {
      const run = await cli(argv, env);
      assert.equal(run.code, code, `${argv.join(" ")}: ${run.err}`);
      assert.equal(run.out, "");
      assert.equal(run.err.split("\n").length, 1, `one line: ${run.err}`);
      assert.match(run.err, /^herold: /);
      assert.match(run.err, message);
      assert.doesNotMatch(run.err, /\n\s+at /, "no stack trace");
      return run;
    };
    const usernames = async () => {
      const run = await cli(["account", "list", "--json"]);
      assert.equal(run.code, 0);
      return (JSON.parse(run.out) as { username: string }[]).map((a) => a.username);
    };

    before(async () => {
      database = await createTestDatabase(engine);
      dataDir = mkdtempSync(join(tmpdir(), "herold-cli-"));
    });
    after(async () => {
      await database?.close();
      rmSync(dataDir, { recursive: true, force: true });
    });

    test("account list on an empty server says how to create one", async () => {
      const run = await cli(["account", "list"]);
      assert.equal(run.code, 0);
      assert.match(run.out, /no accounts yet; create one with: herold account create <username>/);
      assert.deepEqual(await usernames(), []);
    });

    test("account create makes an organisation account by default and prints its addresses", async () => {
      const run = await cli(["account", "create", "acme", "--name", "ACME GmbH", "--summary", "We make things.\n\nSince 1920."]);
      assert.equal(run.code, 0, run.err);
      assert.equal(run.err, "");
      assert.equal(run.out, "created Organization @acme@social.example.org\n  profile: https://social.example.org/@acme\n  actor:   https://social.example.org/users/acme");
    });

    test("--type maps to Organization, Person and Service, case-insensitively", async () => {
      for (const [username, type, expected] of [["press", "person", "Person"], ["newsbot", "Service", "Service"], ["acme_eu", "ORGANIZATION", "Organization"]] as const) {
        const run = await cli(["account", "create", username, "--type", type, "--json"]);
        assert.equal(run.code, 0, run.err);
        const view = JSON.parse(run.out) as Record<string, unknown>;
        assert.equal(view.type, expected);
        assert.equal(view.username, username);
        assert.equal(view.handle, `@${username}@social.example.org`);
        assert.equal(view.uri, `https://social.example.org/users/${username}`);
      }
    });

    test("account show prints one account, as text and as JSON", async () => {
      const text = await cli(["account", "show", "acme"]);
      assert.equal(text.code, 0);
      assert.match(text.out, /^ACME GmbH \(@acme@social\.example\.org\)\n  type:     Organization\n  profile:  https:\/\/social\.example\.org\/@acme\n/);
      const json = await cli(["account", "show", "acme", "--json"]);
      assert.equal(json.code, 0, json.err);
      const view = JSON.parse(json.out) as Record<string, unknown>;
      assert.equal(view.name, "ACME GmbH");
      assert.equal(view.summary, "<p>We make things.</p><p>Since 1920.</p>");
      assert.equal(view.url, "https://social.example.org/@acme");
      assert.equal(view.manuallyApprovesFollowers, false);
      assert.equal(view.discoverable, true);
      assert.deepEqual(view.fields, []);
      assert.ok(!Number.isNaN(Date.parse(String(view.createdAt))));
      assert.deepEqual(Object.keys(view).filter((k) => /key|pem|secret|private/i.test(k)), []);
    });

    test("account list shows every account in creation order", async () => {
      assert.deepEqual(await usernames(), ["acme", "press", "newsbot", "acme_eu"]);
      const text = await cli(["account", "list"]);
      assert.equal(text.out.split("\n").length, 4);
      assert.match(text.out.split("\n")[0]!, /^@acme@social\.example\.org\s+Organization\s+ACME GmbH$/);
    });

    test("a taken username is refused in any case and changes nothing", async () => {
      await failure(["account", "create", "acme"], 1, /^herold: the username "acme" is already taken$/);
      await failure(["account", "create", "ACME", "--type", "person"], 1, /already taken/);
      assert.deepEqual(await usernames(), ["acme", "press", "newsbot", "acme_eu"]);
    });

    test("invalid and reserved usernames are refused", async () => {
      for (const username of ["Bad Name", ".acme", "acme-", "a".repeat(31), "ac/me", "acme@social.example.org", "ü", ""]) {
        await failure(["account", "create", username], 1, /^herold: invalid username/);
      }
      for (const username of ["admin", "inbox", "users", "actor"]) {
        await failure(["account", "create", username], 1, new RegExp(`^herold: the username "${username}" is reserved$`));
      }
      assert.equal((await usernames()).length, 4);
    });

    test("an invalid type or name is refused", async () => {
      await failure(["account", "create", "robot1", "--type", "robot"], 1, /^herold: invalid type "robot": use organization, person or service$/);
      await failure(["account", "create", "longname", "--name", "x".repeat(101)], 1, /^herold: the display name must be 1–100 characters$/);
      await failure(["account", "create", "blankname", "--name", "   "], 1, /display name/);
      assert.equal((await usernames()).length, 4);
    });

    test("usage mistakes print one line with the usage and exit 2", async () => {
      await failure(["account", "create"], 2, /^herold: missing <username> \(usage: herold account create <username> /);
      await failure(["account", "show"], 2, /^herold: missing <username> \(usage: herold account show <username> \[--json\]\)$/);
      await failure(["account", "create", "one", "two"], 2, /unexpected argument "two"/);
      await failure(["account", "list", "extra"], 2, /unexpected argument "extra"/);
      await failure(["account", "create", "acme2", "--colour", "red"], 2, /--colour/);
      await failure(["account", "create", "acme2", "--type"], 2, /--type/);
      await failure(["account", "rename", "acme"], 2, /^herold: unknown command "account rename"; "npm run -s herold -- help" lists the commands$/);
      await failure(["frobnicate"], 2, /unknown command "frobnicate"/);
      assert.equal((await usernames()).length, 4);
    });

    test("an unknown account is one line and exit 1", async () => {
      await failure(["account", "show", "nobody"], 1, /^herold: no local account "nobody"$/);
    });

    test("bad configuration is one line and exit 2", async () => {
      await failure(["account", "list"], 2, /^herold: configuration error: HEROLD_ORIGIN: /, { HEROLD_ORIGIN: "social.example.org" });
      await failure(["account", "list"], 2, /^herold: configuration error: HEROLD_DATABASE_URL: /, { HEROLD_DATABASE_URL: "mysql://db/herold" });
    });

    test("migrate reports an up-to-date schema; help lists the commands", async () => {
      const migrate = await cli(["migrate"]);
      assert.equal(migrate.code, 0);
      assert.equal(migrate.out, "database schema is up to date");
      const help = await cli(["help"]);
      assert.equal(help.code, 0);
      for (const usage of ["account create <username>", "account list [--json]", "account show <username> [--json]", "migrate"]) {
        assert.ok(help.out.includes(usage), usage);
      }
    });

    test("no output ever contains key material", async () => {
      // The keys exist (the account has them) but no command prints them.
      const pems = await database.database.db.selectFrom("accounts").select(["rsa_private_pem", "ed25519_private_pem"]).execute();
      assert.equal(pems.length, 4);
      assert.ok(pems.every((p) => p.rsa_private_pem.includes("PRIVATE KEY")));
      const all = transcript.join("\n");
      assert.ok(transcript.length > 20);
      assert.ok(!all.includes("PRIVATE KEY"), "private key in CLI output");
      assert.ok(!all.includes("-----BEGIN"), "key material in CLI output");
    });
  });
}
