import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { captureCli } from "../testing/cli.ts";
import { createTestDatabase, ENGINES } from "../testing/databases.ts";
import { eventually, startTestInstances, type TestInstance, startTestInstance } from "../testing/instance.ts";

/**
 * A backup taken while an instance writes, the instance lost (its data directory and database
 * deleted), the backup restored into an empty database and data directory, and the restored
 * instance started on the same origin: it serves the same actor with the same key, holds every post
 * the backup had, and still federates with the instance that followed it.
 */
const WAIT_MS = 30_000;

for (const engine of ENGINES) {
  describe(`backup and restore [${engine}]`, () => {
    let a: TestInstance;
    let b: TestInstance;
    let restored: TestInstance | undefined;
    const work = mkdtempSync(join(tmpdir(), "herold-backup-test-"));

    const run = async (instance: TestInstance, ...argv: string[]): Promise<string> => {
      const result = await instance.cli(...argv);
      assert.equal(result.code, 0, `${argv.join(" ")}: ${result.err}`);
      return result.out;
    };
    const cli = (env: Readonly<Record<string, string>>, ...argv: string[]) => captureCli(argv, env);

    before(async () => {
      [a, b] = (await startTestInstances([{ engine }, { engine }])) as [TestInstance, TestInstance];
      await run(a, "account", "create", "acme");
      await run(b, "account", "create", "fan");
      await run(b, "follow", "fan", `acme@${a.domain}`);
      await eventually(async () => JSON.parse(await run(a, "followers", "acme", "--json")).length === 1, WAIT_MS, "fan to follow acme");
    });
    after(async () => {
      await restored?.close();
      await b?.close();
      rmSync(work, { recursive: true, force: true });
    });

    test("a backup taken during writes restores into an instance that serves the same actor and still federates", async () => {
      const actorBefore = await (await fetch(`${a.origin}/users/acme`, { headers: { accept: "application/activity+json" } })).json() as { publicKey: { publicKeyPem: string } };
      const posted: string[] = [];
      for (let i = 0; i < 3; i++) posted.push((await run(a, "post", "acme", `before the backup ${i}`)).trim());
      const archive = join(work, "herold.tar.gz");
      // Writes go on while the backup is taken (through the service: the in-process CLI runs one
      // command at a time); the backup holds a consistent state either way.
      const writing = (async () => {
        for (let i = 0; i < 5; i++) {
          const created = await a.ctx.posts.service.publish({ username: "acme", text: `during the backup ${i}`, visibility: "public", contentWarning: null, language: null, replyTo: null, quote: null, media: [], mentions: [] });
          assert.ok(created.ok);
        }
      })();
      const backup = await a.cli("backup", "--out", archive);
      await writing;
      assert.equal(backup.code, 0, backup.err);
      assert.match(backup.out, /Backup written to .*herold\.tar\.gz/);
      assert.equal((readFileSync(archive).readUInt16BE(0)), 0x1f8b, "a gzip file");

      const port = Number(new URL(a.origin).port);
      const schema = a.ctx.config.database.kind === "postgres" ? a.ctx.config.database.schema : undefined;
      await a.close(); // the machine is gone: its data directory and database are deleted

      const database = await createTestDatabase(engine, { migrate: false, ...(schema !== undefined ? { schema } : {}) });
      const dataDir = mkdtempSync(join(tmpdir(), "herold-restored-"));
      const env = { ...a.env, HEROLD_DATABASE_URL: database.url, HEROLD_DATA_DIR: dataDir };
      const result = await cli(env, "restore", archive);
      assert.equal(result.code, 0, result.err);
      assert.match(result.out, /^Restored the backup of /);
      assert.ok(existsSync(join(dataDir, "secret")), "the instance secret is restored");

      restored = await startTestInstance({ engine, reuse: { port, dataDir, database } });
      const actorAfter = await (await fetch(`${restored.origin}/users/acme`, { headers: { accept: "application/activity+json" } })).json() as { publicKey: { publicKeyPem: string } };
      assert.equal(actorAfter.publicKey.publicKeyPem, actorBefore.publicKey.publicKeyPem, "the same key");
      for (const uri of posted.slice(0, 3)) assert.ok(await restored.ctx.repos.posts.findByUri(uri), `${uri} is restored`);
      assert.deepEqual(JSON.parse(await run(restored, "followers", "acme", "--json")).map((f: { handle: string }) => f.handle), [`@fan@${b.domain}`]);

      // The follower on the other instance still receives and accepts (signature verified with the
      // key it knew) what the restored instance publishes.
      const uri = (await run(restored, "post", "acme", "after the restore")).trim();
      await eventually(async () => (await b.ctx.repos.posts.findByUri(uri)) !== null, WAIT_MS, "the new post to arrive at the follower's instance");
    });

    test("restore refuses a non-empty target without --force and changes nothing", async () => {
      assert.ok(restored);
      const archive = join(work, "second.tar.gz");
      await run(restored, "backup", "--out", archive);
      const before = readdirSync(restored.ctx.config.dataDir).sort();
      const refused = await restored.cli("restore", archive);
      assert.equal(refused.code, 1);
      assert.match(refused.err, /not empty: restore into an empty one, or add --force/);
      assert.deepEqual(readdirSync(restored.ctx.config.dataDir).sort(), before);
      assert.equal((await restored.cli("backup", "--out", archive)).code, 1, "an existing output file is not overwritten");
    });
  });
}

describe("backup of PostgreSQL without pg_dump", () => {
  test("says what to install and which command to run instead, and writes nothing", async () => {
    const instance = await startTestInstance({ engine: "postgres", worker: false });
    const out = join(tmpdir(), `herold-no-pg-dump-${process.pid}.tar.gz`);
    try {
      // An empty PATH finds no pg_dump.
      const { code, err } = await captureCli(["backup", "--out", out], { ...instance.env, PATH: "" });
      assert.equal(code, 1);
      assert.match(err, /pg_dump is not installed: .*apt-get install postgresql-client.*pg_dump --format=custom --no-owner --no-privileges --schema=t_\w+ --file=\S+ --dbname=postgres:\/\/postgres@127\.0\.0\.1/);
      assert.equal(existsSync(out), false);
    } finally {
      await instance.close();
    }
  });
});
