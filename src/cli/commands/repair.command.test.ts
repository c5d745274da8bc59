import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { createTestDatabase, ENGINES, type TestDatabase } from "../../testing/databases.ts";
import { runCli } from "../herold.ts";

// `herold repair` (issue #15): recounts the counters after writes that bypassed them.
for (const engine of ENGINES) {
  describe(`herold repair [${engine}]`, () => {
    let database: TestDatabase;
    let dataDir: string;
    const ok = async (...argv: string[]) => {
      const out: string[] = [];
      const err: string[] = [];
      const env = { HEROLD_DATABASE_URL: database.url, HEROLD_DATA_DIR: dataDir, HEROLD_ORIGIN: "https://social.example.org" };
      const code = await runCli(argv, env, { out: (t) => out.push(t), err: (t) => err.push(t) });
      assert.equal(code, 0, `${argv.join(" ")}: ${err.join("\n")}`);
      assert.equal(err.join("\n"), "");
      return out.join("\n");
    };

    before(async () => {
      database = await createTestDatabase(engine);
      dataDir = mkdtempSync(join(tmpdir(), "herold-cli-repair-"));
      for (const name of ["acme", "fan"]) await ok("account", "create", name);
      await ok("follow", "fan", "acme@social.example.org");
      await ok("post", "acme", "hello");
      await ok("post", "acme", "again");
    });
    after(async () => {
      await database?.close();
      rmSync(dataDir, { recursive: true, force: true });
    });

    test("nothing to correct after ordinary writes; plain SQL changes are recounted and printed; --json", async () => {
      assert.equal(await ok("repair"), "All counters are correct.");
      const db = database.database.db;
      // A bulk import: one more post and one follow gone, past the repository.
      const acme = await db.selectFrom("actors").select("id").where("username", "=", "acme").executeTakeFirstOrThrow();
      const post = await db.selectFrom("posts").selectAll().where("actor_id", "=", acme.id).executeTakeFirstOrThrow();
      await db.insertInto("posts").values({ ...post, id: `${post.id.slice(0, -4)}zzzz`, uri: `${post.uri}-copy` }).execute();
      await db.deleteFrom("follows").execute();
      assert.equal(
        await ok("repair"),
        [
          "acme posts.public: 2 → 3", "instance posts.local: 2 → 3", "acme social.followers: 1 → 0", "fan social.following: 1 → 0",
          // Insights' followers per server, recounted from the follows too (the follow history is unchanged).
          "acme insights.followers: 1 → 0",
          "Corrected 5 counter(s).",
        ].join("\n"),
      );
      assert.deepEqual(JSON.parse(await ok("repair", "--json")), { corrected: [] });
    });
  });
}
