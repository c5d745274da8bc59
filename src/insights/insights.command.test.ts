import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { createTestDatabase, ENGINES, type TestDatabase } from "../testing/databases.ts";
import { captureCli } from "../testing/cli.ts";

// `herold stats` (issue #14) with exactly the issue's interface, on local accounts' interactions.
for (const engine of ENGINES) {
  describe(`herold stats [${engine}]`, () => {
    let database: TestDatabase;
    let dataDir: string;
    let post = "";
    const run = (...argv: string[]) => captureCli(argv, { HEROLD_DATABASE_URL: database.url, HEROLD_DATA_DIR: dataDir, HEROLD_ORIGIN: "https://social.example.org" });
    const ok = async (...argv: string[]) => {
      const r = await run(...argv);
      assert.equal(r.code, 0, `${argv.join(" ")}: ${r.err}`);
      return r.out;
    };

    before(async () => {
      database = await createTestDatabase(engine);
      dataDir = mkdtempSync(join(tmpdir(), "herold-cli-stats-"));
      for (const name of ["acme", "fan", "pal"]) await ok("account", "create", name);
      await ok("follow", "fan", "acme@social.example.org");
      await ok("follow", "pal", "acme@social.example.org");
      await ok("unfollow", "pal", "acme@social.example.org");
      post = (await ok("post", "acme", "hello #launch")).trim();
      await ok("post", "acme", "second");
      await ok("like", "fan", post);
      await ok("like", "pal", post);
      await ok("unlike", "pal", post);
      await ok("boost", "fan", post);
      await ok("post", "fan", "a reply", "--reply-to", post);
      await ok("post", "pal", "a quote", "--quote", post);
    });
    after(async () => {
      await database?.close();
      rmSync(dataDir, { recursive: true, force: true });
    });

    test("--json prints the issue's object: totals, previous, days, posts, servers", async () => {
      const json = JSON.parse(await ok("stats", "acme", "--days", "2", "--json"));
      assert.deepEqual(Object.keys(json), ["account", "from", "to", "totals", "previous", "days", "posts", "servers"]);
      assert.equal(json.account, "acme");
      assert.deepEqual(json.totals, {
        likes: 1, boosts: 1, replies: 1, quotes: 1, reactions: 0, interactions: 4,
        followersGained: 2, followersLost: 1, followersNet: 1, followers: 1, pageViews: 0,
      });
      assert.deepEqual(json.previous, { likes: 0, boosts: 0, replies: 0, quotes: 0, reactions: 0, interactions: 0, followersGained: 0, followersLost: 0, followersNet: 0, followers: 0, pageViews: 0 });
      assert.equal(json.days.length, 2);
      assert.equal(json.days.reduce((n: number, d: { interactions: number }) => n + d.interactions, 0), 4);
      assert.equal(json.days[1].followers, 1);
      const [second, first] = json.posts;
      assert.equal(first.uri, post);
      assert.deepEqual([first.likes, first.boosts, first.replies, first.quotes, first.reactions, first.interactions, first.accounts, first.servers], [1, 1, 1, 1, 0, 4, 2, 1]);
      assert.equal(second.interactions, 0);
      assert.deepEqual(json.servers, [{ host: "social.example.org", software: null, followers: 1, interactions: 4 }]);
    });

    test("--post holds that post only; --csv prints the days table; the table by default", async () => {
      const json = JSON.parse(await ok("stats", "acme", "--days", "2", "--post", post, "--json"));
      assert.deepEqual(json.posts.map((p: { uri: string }) => p.uri), [post]);
      const csv = (await ok("stats", "acme", "--days", "2", "--csv")).split("\r\n");
      assert.equal(csv[0], "date,likes,boosts,replies,quotes,reactions,interactions,followersGained,followersLost,followersNet,followers,pageViews");
      assert.equal(csv.length, 3);
      const table = await ok("stats", "@acme", "--days", "2");
      assert.match(table, /^acme: \d{4}-\d{2}-\d{2} to \d{4}-\d{2}-\d{2} \(UTC\)/);
      assert.match(table, /Interactions\s+4\s+0\s+\+4/);
    });

    test("a period with nothing is zeros; an unknown account exits 1 and a bad date 2, each one line", async () => {
      const empty = JSON.parse(await ok("stats", "acme", "--from", "2001-01-01", "--to", "2001-01-03", "--json"));
      assert.deepEqual([empty.from, empty.to, empty.days.length, empty.totals.interactions, empty.totals.followers, empty.posts.length], ["2001-01-01", "2001-01-03", 3, 0, 0, 0]);
      const unknown = await run("stats", "nobody", "--json");
      assert.deepEqual([unknown.code, unknown.out, unknown.err.split("\n").length], [1, "", 1]);
      assert.match(unknown.err, /no local account "nobody"/);
      for (const argv of [["--from", "2026-02-30", "--to", "2026-03-01"], ["--from", "2026-03-02", "--to", "2026-03-01"], ["--from", "yesterday", "--to", "2026-03-01"], ["--from", "2026-03-01"], ["--days", "0"], ["--days", "x"], ["--days", "7", "--from", "2026-03-01", "--to", "2026-03-02"], ["--json", "--csv"]]) {
        const bad = await run("stats", "acme", ...argv);
        assert.equal(bad.code, 2, argv.join(" "));
        assert.equal(bad.err.split("\n").length, 1, argv.join(" "));
        assert.equal(bad.out, "");
      }
      const noPost = await run("stats", "acme", "--post", "https://social.example.org/users/acme/posts/00000000000000000000000000");
      assert.equal(noPost.code, 1);
    });

    test("account time-zone sets the zone insights count in and recounts", async () => {
      assert.match(await ok("account", "time-zone", "acme", "America/New_York"), /acme counts insights in America\/New_York now/);
      const json = JSON.parse(await ok("stats", "acme", "--days", "2", "--json"));
      assert.equal(json.totals.interactions, 4);
      const bad = await run("account", "time-zone", "acme", "Nowhere/City");
      assert.equal(bad.code, 2);
      assert.equal(await ok("repair"), "All counters are correct.");
    });
  });
}
