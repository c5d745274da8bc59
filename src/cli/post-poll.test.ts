import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { createAppContext } from "../app/context.ts";
import { loadConfig } from "../config/config.ts";
import { createTestDatabase, ENGINES, type TestDatabase } from "../testing/databases.ts";
import { captureCli } from "../testing/cli.ts";

/** `herold post … --poll OPTION --poll OPTION [--poll-multiple] [--poll-duration SECONDS]`. */
for (const engine of ENGINES) {
  describe(`herold post --poll [${engine}]`, () => {
    let database: TestDatabase;
    let dataDir: string;
    const env = () => ({ HEROLD_DATABASE_URL: database.url, HEROLD_DATA_DIR: dataDir, HEROLD_ORIGIN: "https://social.example.org" });
    const cli = (...argv: string[]) => captureCli(argv, env());

    before(async () => {
      database = await createTestDatabase(engine);
      dataDir = mkdtempSync(join(tmpdir(), "herold-cli-poll-"));
      assert.equal((await cli("account", "create", "pollster")).code, 0);
    });
    after(async () => {
      await database?.close();
      rmSync(dataDir, { recursive: true, force: true });
    });

    test("publishes a poll with its options, choice and duration; refused polls publish nothing", async () => {
      const made = await cli("post", "pollster", "Lunch?", "--poll", "Pasta", "--poll", "Salad", "--poll-multiple", "--poll-duration", "600");
      assert.equal(made.code, 0, made.err);
      const refusals: Array<[string[], number, RegExp]> = [
        [["--poll", "Pasta"], 1, /at least two options/],
        [["--poll", "Pasta", "--poll", "Salad", "--poll-duration", "60"], 1, /between 5 minutes and 7 days/],
        [["--poll", "Pasta", "--poll", "Salad", "--poll-duration", "ten"], 2, /whole seconds/],
        [["--poll-multiple"], 2, /--poll OPTION/],
      ];
      for (const [extra, code, message] of refusals) {
        const run = await cli("post", "pollster", "Lunch?", ...extra);
        assert.equal(run.code, code, `${extra.join(" ")}: ${run.err}`);
        assert.match(run.err, message);
        assert.equal(run.out, "");
      }
      const ctx = await createAppContext(loadConfig(env()), { migrate: false });
      try {
        const post = await ctx.repos.posts.findByUri(made.out.trim());
        assert.ok(post?.poll);
        assert.deepEqual(post.poll.options, [{ name: "Pasta", votes: 0 }, { name: "Salad", votes: 0 }]);
        assert.equal(post.poll.multiple, true);
        assert.equal(Date.parse(post.poll.endsAt!) - Date.parse(post.publishedAt!), 600_000);
        const count = await ctx.database.db.selectFrom("posts").select((eb) => eb.fn.countAll().as("n")).executeTakeFirst();
        assert.equal(Number(count?.n), 1, "only the valid poll was published");
      } finally {
        await ctx.close();
      }
    });
  });
}
