/**
 * Herold under test, in its own process (so its peak RSS is its own): the real composition root on a
 * fresh database, one organisation account with followers on every simulated server, the worker
 * role running. On "go" it publishes one post through the post service; the outbound bridge stores
 * the activity and queues one delivery per inbox, and the worker delivers them.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAppContext, type AppContext } from "../../src/app/context.ts";
import { startWorker } from "../../src/app/worker.ts";
import { loadConfig } from "../../src/config/config.ts";
import { newId } from "../../src/lib/id.ts";
import { setupLogging } from "../../src/lib/logger.ts";
import { createTestDatabase, type Engine, type TestDatabase } from "../../src/testing/databases.ts";
import { cpuMessage, followersOf, peakRssMiB, type Message, type ServerSpec } from "./protocol.ts";

const USERNAME = "acme";
const WARM_UP_USERNAME = "warmup";
let ctx: AppContext | undefined;
let test: TestDatabase | undefined;
let dataDir: string | undefined;
const stop = new AbortController();
let worker: Promise<void> | undefined;

const POST_TEXT =
  "Our spring collection is here! Twelve new designs, made to last, repairable and shipped in recycled packaging. " +
  "Come and see them in our shops from Saturday, or read the story behind each piece on our website. #spring #design";

async function setup(servers: readonly ServerSpec[], warmUpPort: number, engine: Engine, env: Record<string, string>): Promise<Message> {
  await setupLogging("warning", "text");
  test = await createTestDatabase(engine);
  dataDir = mkdtempSync(join(tmpdir(), "herold-bench-"));
  const config = loadConfig({
    HEROLD_ORIGIN: "https://herold.bench",
    HEROLD_DATABASE_URL: test.url,
    HEROLD_DATA_DIR: dataDir,
    // The simulated servers are loopback ports: dev/test switch, as in every test.
    HEROLD_ALLOW_PRIVATE_ADDRESS: "true",
    ...env,
  });
  ctx = await createAppContext(config, { migrate: true });
  const startupRssMiB = process.memoryUsage.rss() / 1048576;
  const created = await ctx.services.accounts.create({ username: USERNAME, type: "organization", name: "ACME" });
  if (!created.ok) throw new Error(created.message);
  const account = created.value;

  let followers = 0;
  const now = new Date().toISOString();
  for (const server of servers) {
    for (const f of followersOf(server)) {
      const actor = await ctx.repos.actors.upsertRemote(
        {
          uri: f.actorUri, type: "Person", username: f.username, domain: `127.0.0.1:${server.port}`, name: f.username,
          summaryHtml: null, url: null, inboxUrl: f.inbox, sharedInboxUrl: f.sharedInbox, outboxUrl: null, followersUrl: null,
          followingUrl: null, featuredUrl: null, publicKeyId: null, publicKeyPem: null, iconUrl: null, imageUrl: null, fields: [],
          alsoKnownAs: [], movedToUri: null, manuallyApprovesFollowers: false, discoverable: true, emojis: [], publishedAt: null, rawJson: "{}",
        },
        now,
      );
      await ctx.database.db
        .insertInto("follows")
        .values({ id: newId(), follower_id: actor.id, followee_id: account.actorId, state: "accepted", uri: null, created_at: now, accepted_at: now, updated_at: now })
        .execute();
      followers++;
    }
  }
  // A second account with one follower on the warm-up server: its posts warm the code paths
  // (post service, JSON-LD, queue, signing) without opening connections to the measured servers.
  const warm = await ctx.services.accounts.create({ username: WARM_UP_USERNAME, type: "organization" });
  if (!warm.ok) throw new Error(warm.message);
  const warmOrigin = `http://127.0.0.1:${warmUpPort}`;
  const warmActor = await ctx.repos.actors.upsertRemote(
    {
      uri: `${warmOrigin}/users/w`, type: "Person", username: "w", domain: `127.0.0.1:${warmUpPort}`, name: "w", summaryHtml: null, url: null,
      inboxUrl: `${warmOrigin}/users/w/inbox`, sharedInboxUrl: null, outboxUrl: null, followersUrl: null, followingUrl: null, featuredUrl: null,
      publicKeyId: null, publicKeyPem: null, iconUrl: null, imageUrl: null, fields: [], alsoKnownAs: [], movedToUri: null,
      manuallyApprovesFollowers: false, discoverable: true, emojis: [], publishedAt: null, rawJson: "{}",
    },
    now,
  );
  await ctx.database.db
    .insertInto("follows")
    .values({ id: newId(), follower_id: warmActor.id, followee_id: warm.value.actorId, state: "accepted", uri: null, created_at: now, accepted_at: now, updated_at: now })
    .execute();
  worker = startWorker(ctx, stop.signal);
  return {
    type: "ready",
    keys: [
      { keyId: ctx.urls.rsaKeyId(USERNAME), pem: account.rsaPublicPem },
      { keyId: ctx.urls.rsaKeyId(WARM_UP_USERNAME), pem: warm.value.rsaPublicPem },
    ],
    followers,
    startupRssMiB,
    rssMiB: process.memoryUsage.rss() / 1048576,
  };
}

async function publish(username: string): Promise<Message> {
  const started = performance.now();
  const result = await ctx!.posts.service.publish({ username, text: POST_TEXT });
  if (!result.ok) throw new Error(result.message);
  const activity = await ctx!.database.db
    .selectFrom("outbox_activities")
    .select(["uri", "json"])
    .where("object_uri", "=", result.value.uri)
    .executeTakeFirstOrThrow();
  return { type: "published", activityId: activity.uri, json: activity.json, publishMs: performance.now() - started };
}

process.on("message", (message: Message) => {
  void (async () => {
    try {
      switch (message.type) {
        case "cpu":
          process.send!(cpuMessage());
          break;
        case "setup":
          process.send!(await setup(message.servers as ServerSpec[], message.warmUpPort as number, message.engine as Engine, message.env as Record<string, string>));
          break;
        case "warm-up":
          process.send!({ ...(await publish(WARM_UP_USERNAME)), type: "warmed" });
          break;
        case "go":
          process.send!(await publish(USERNAME));
          break;
        case "stats": {
          const totals = ctx!.delivery.metrics.totals();
          const depth = (await ctx!.queue.depth()).deliver ?? null;
          const memory = Object.fromEntries(Object.entries(process.memoryUsage()).map(([k, v]) => [k, Math.round(v / 1048576)]));
          process.send!({ type: "stats", peakRssMiB: peakRssMiB(), rssMiB: process.memoryUsage.rss() / 1048576, memory, totals, depth });
          break;
        }
        case "stop":
          if (stop.signal.aborted) break;
          stop.abort();
          await worker;
          await ctx?.close();
          await test?.close();
          if (dataDir) rmSync(dataDir, { recursive: true, force: true });
          if (process.connected) process.disconnect();
          break;
      }
    } catch (error) {
      process.stderr.write(`herold child: ${(error as Error).stack ?? String(error)}\n`);
      process.exit(1);
    }
  })();
});
