import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { createTestDatabase, ENGINES, type TestDatabase } from "../../testing/databases.ts";
import { captureCli } from "../../testing/cli.ts";

/**
 * The social commands against a real database. Targets here are local accounts or malformed input
 * only: resolving a remote handle would leave the machine (remote targets are covered by the
 * scenario tests between loopback instances, src/social/social.scenario.test.ts).
 */
for (const engine of ENGINES) {
  describe(`herold CLI: follows, blocks, notifications [${engine}]`, () => {
    let database: TestDatabase;
    let dataDir: string;
    const cli = (...argv: string[]) => captureCli(argv, { HEROLD_DATABASE_URL: database.url, HEROLD_DATA_DIR: dataDir, HEROLD_ORIGIN: "https://social.example.org" });
    const ok = async (...argv: string[]) => {
      const run = await cli(...argv);
      assert.equal(run.code, 0, `${argv.join(" ")}: ${run.err}`);
      assert.equal(run.err, "");
      return run.out;
    };
    const fails = async (code: number, message: RegExp, ...argv: string[]) => {
      const run = await cli(...argv);
      assert.equal(run.code, code, `${argv.join(" ")}: ${run.out}`);
      assert.equal(run.out, "");
      assert.match(run.err, /^herold: /);
      assert.match(run.err.split("\n")[0]!, message);
      assert.doesNotMatch(run.err, /\n\s+at /, "no stack trace");
      if (code === 1) assert.equal(run.err.split("\n").length, 1, `one line: ${run.err}`);
    };

    before(async () => {
      database = await createTestDatabase(engine);
      dataDir = mkdtempSync(join(tmpdir(), "herold-cli-social-"));
      for (const name of ["shop", "fan", "critic"]) await ok("account", "create", name);
    });
    after(async () => {
      await database?.close();
      rmSync(dataDir, { recursive: true, force: true });
    });

    test("follow, followers, following and notifications between local accounts", async () => {
      assert.equal(await ok("follow", "fan", "@shop@social.example.org"), "fan now follows @shop@social.example.org");
      assert.equal(await ok("follow", "critic", "https://social.example.org/users/shop"), "critic now follows @shop@social.example.org");
      const followers = JSON.parse(await ok("followers", "shop", "--json")) as { handle: string; state: string }[];
      assert.deepEqual(followers.map((f) => [f.handle, f.state]), [["@critic@social.example.org", "accepted"], ["@fan@social.example.org", "accepted"]]);
      assert.match(await ok("followers", "shop"), /^@critic@social\.example\.org\s+accepted\s+since \d{4}-/);
      assert.equal(await ok("followers", "shop", "--pending"), "shop has no pending follow requests");
      assert.match(await ok("following", "fan"), /^@shop@social\.example\.org\s+accepted/);
      assert.equal(await ok("following", "shop"), "shop follows nobody yet");

      const lines = (await ok("notifications", "shop")).split("\n");
      assert.equal(lines.length, 2);
      assert.match(lines[0]!, /^\d{4}-\d\d-\d\dT[\d:.]+Z {2}@critic@social\.example\.org followed you$/);
      const json = JSON.parse(await ok("notifications", "shop", "--json", "--limit", "1")) as { kind: string; from: { handle: string } }[];
      assert.deepEqual(json.map((n) => [n.kind, n.from.handle]), [["follow", "@critic@social.example.org"]]);

      assert.equal(await ok("followers", "reject", "shop", "critic@social.example.org"), "@critic@social.example.org removed from the followers of shop");
      assert.equal(await ok("unfollow", "fan", "shop@social.example.org"), "fan no longer follows @shop@social.example.org");
      assert.equal(await ok("followers", "shop"), "shop has no followers yet");
    });

    test("block ends the follow and refuses a new one; unblock lifts it", async () => {
      await ok("follow", "fan", "critic@social.example.org");
      assert.equal(await ok("block", "critic", "@fan@social.example.org"), "critic now blocks @fan@social.example.org");
      assert.equal(await ok("followers", "critic"), "critic has no followers yet");
      await fails(1, /cannot follow @?fan@social\.example\.org|one of the two accounts blocks the other/, "follow", "fan", "critic@social.example.org");
      await fails(1, /already blocks/, "block", "critic", "fan@social.example.org");
      assert.match(await ok("blocks", "critic"), /^@fan@social\.example\.org\s+since /);
      assert.equal(await ok("unblock", "critic", "fan@social.example.org"), "critic no longer blocks @fan@social.example.org");
      assert.equal(await ok("blocks", "critic"), "critic blocks nobody");
    });

    test("bad input: one clear line, nothing changed", async () => {
      await fails(1, /no local account "nobody"/, "follow", "nobody", "shop@social.example.org");
      await fails(1, /invalid target "not a handle": use @user@host, user@host or the account's URL/, "follow", "fan", "not a handle");
      await fails(1, /invalid target/, "block", "fan", "javascript:alert(1)");
      await fails(1, /no local account "ghost@social.example.org"/, "follow", "fan", "ghost@social.example.org");
      await fails(1, /cannot follow itself/, "follow", "fan", "fan@social.example.org");
      await fails(1, /does not follow/, "unfollow", "fan", "critic@social.example.org");
      await fails(1, /no pending follow request/, "followers", "approve", "shop", "fan@social.example.org");
      await fails(1, /does not follow shop/, "followers", "reject", "shop", "fan@social.example.org");
      await fails(1, /no local account "nobody"/, "notifications", "nobody");
      await fails(2, /missing <target>/, "follow", "fan");
      await fails(2, /unexpected argument/, "following", "fan", "extra");
      await fails(2, /--limit must be a number from 1 to 200/, "notifications", "shop", "--limit", "0");
      await fails(2, /--limit must be a number from 1 to 200/, "notifications", "shop", "--limit", "many");
      assert.equal(await ok("following", "fan"), "fan follows nobody yet");
    });
  });
}
