import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ENGINES } from "../testing/databases.ts";
import { eventually, startTestInstances, type TestInstance } from "../testing/instance.ts";

/**
 * Issue #14 between two real Herold instances on loopback (each with its own database and worker):
 * a follower on B makes A fetch B's NodeInfo (A's audience by software), and a post of A reaches B
 * and is counted as delivered there (A's delivery reach). Nothing leaves 127.0.0.1.
 */
const WAIT_MS = 30_000;

for (const engine of ENGINES) {
  describe(`delivery reach and server software between instances [${engine}]`, () => {
    let a: TestInstance;
    let b: TestInstance;
    const run = async (instance: TestInstance, ...argv: string[]): Promise<string> => {
      const result = await instance.cli(...argv);
      assert.equal(result.code, 0, `${argv.join(" ")} on ${instance.domain}: ${result.err}`);
      return result.out;
    };

    before(async () => {
      [a, b] = (await startTestInstances([{ engine }, { engine }])) as [TestInstance, TestInstance];
    });
    after(async () => {
      await Promise.all([a, b].map((instance) => instance?.close()));
    });

    test("B's follower makes A learn B's software; A's post is delivered to B and counted there", async () => {
      await run(a, "account", "create", "alice");
      await run(b, "account", "create", "bob");
      await run(b, "follow", "bob", `@alice@${a.domain}`);
      const alice = (await a.ctx.repos.accounts.findByUsername("alice"))!;
      await eventually(async () => (await a.ctx.social.followers.counts(alice.actorId)).followers === 1, WAIT_MS, "alice to have bob as follower");

      // The accepted follower queued a NodeInfo fetch of B; A's worker ran it against B's real NodeInfo.
      const software = await eventually(async () => (await a.ctx.federationModule.serverSoftware.softwareOf([b.domain])).get(b.domain), WAIT_MS, "A to know B's software");
      assert.equal(software, "herold");

      const uri = (await run(a, "post", "alice", "reach me")).trim();
      const postId = a.ctx.urls.parsePost(uri)?.postId;
      assert.ok(postId, uri);
      await eventually(async () => (await b.ctx.repos.posts.findByUri(uri)) !== null, WAIT_MS, "B to receive the post");
      const reach = await eventually(async () => {
        const figures = (await a.ctx.delivery.reach.reachOf([postId])).get(postId);
        return figures !== undefined && figures.pendingServers === 0 ? figures : undefined;
      }, WAIT_MS, "the delivery to B to be settled");
      assert.deepEqual(reach, { deliveredServers: 1, failedServers: 0, pendingServers: 0, deliveredHosts: [b.domain] });
    });
  });
}
