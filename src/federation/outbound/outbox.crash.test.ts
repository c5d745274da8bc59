import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { createAppContext, type AppContext } from "../../app/context.ts";
import { startWorker } from "../../app/worker.ts";
import { loadConfig } from "../../config/config.ts";
import { newId } from "../../lib/id.ts";
import { startTestServer, type TestServer } from "../../testing/test-server.ts";
import { describeEachEngine } from "../../testing/databases.ts";
import { remoteActorData } from "../../testing/fixtures.ts";
import { FEDERATE_GRACE_MS, FEDERATE_QUEUE } from "./bridge.ts";

const CHILD = fileURLToPath(new URL("./testing/publish-child.ts", import.meta.url));
const ORIGIN = "http://127.0.0.1:1"; // never contacted: the follower's inbox is the loopback receiver

// Issue #10 item 13: a post committed by a process that dies before it federates the post must
// still reach its followers. The child publishes and is SIGKILLed at the fault point right after
// the commit; a new process (here: a context in the test process with a worker) sends it.
describeEachEngine("transactional outbox", (get) => {
  test("a post whose process was killed after the commit reaches the follower after a restart", { timeout: 120_000 }, async (t) => {
    const dataDir = mkdtempSync(join(tmpdir(), "herold-outbox-"));
    const receiver: TestServer = await startTestServer((_request, response) => response.writeHead(202).end());
    const env = {
      PATH: process.env.PATH ?? "",
      HEROLD_ORIGIN: ORIGIN,
      HEROLD_DATABASE_URL: get().url,
      HEROLD_DATA_DIR: dataDir,
      HEROLD_ALLOW_PRIVATE_ADDRESS: "true",
      HEROLD_LOG_LEVEL: "error",
    };
    // The restarted process sees time after the grace period, as a worker would: the fake clock
    // is driven past it instead of waiting 30 s.
    const later = { now: () => new Date(Date.now() + FEDERATE_GRACE_MS + 5_000) };
    let ctx: AppContext | undefined = await createAppContext(loadConfig(env), { migrate: true, clock: later });
    const stop = new AbortController();
    let worker: Promise<void> | undefined;
    t.after(async () => {
      stop.abort();
      await worker;
      await ctx?.close();
      await receiver.close();
      rmSync(dataDir, { recursive: true, force: true });
    });
    const alice = await ctx.services.accounts.create({ username: "alice" });
    assert.ok(alice.ok);
    const now = new Date().toISOString();
    const bob = await ctx.repos.actors.upsertRemote(
      remoteActorData("127.0.0.1", "bob", { uri: receiver.url("/users/bob"), inboxUrl: receiver.url("/users/bob/inbox"), sharedInboxUrl: null }),
      now,
    );
    await ctx.database.db
      .insertInto("follows")
      .values({ id: newId(), follower_id: bob.id, followee_id: alice.value.actorId, state: "accepted", uri: `${bob.uri}#follow`, created_at: now, accepted_at: now, updated_at: now })
      .execute();

    const text = `survives a crash ${newId()}`;
    const child = spawn(process.execPath, [CHILD], { env: { ...env, HEROLD_TEST_POST_TEXT: text }, stdio: ["ignore", "inherit", "inherit"] });
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once("exit", (c, s) => resolve([c, s])));
    assert.equal(signal, "SIGKILL", `the child died at the fault point (exit code ${code})`);

    const db = ctx.database.db;
    const post = await db.selectFrom("posts").select(["id", "uri"]).where("source_text", "=", text).executeTakeFirst();
    assert.ok(post, "the post was committed before the crash");
    assert.equal((await db.selectFrom("outbox_activities").select("id").execute()).length, 0, "nothing was sent before the crash");
    const intents = await db.selectFrom("jobs").select("payload").where("queue", "=", FEDERATE_QUEUE).execute();
    assert.equal(intents.length, 1, "the intent to federate committed with the post");
    assert.doesNotMatch(intents[0]!.payload, /PRIVATE KEY/, "the intent carries ids, not keys");

    worker = startWorker(ctx, stop.signal);
    const creates = () =>
      receiver.requests.filter((r) => r.method === "POST" && r.url === "/users/bob/inbox").map((r) => JSON.parse(r.body.toString()) as { type: string; object: { id: string } });
    const drained = async () => {
      const depth = await ctx!.queue.depth();
      return depth[FEDERATE_QUEUE] === undefined && depth["deliver"] === undefined;
    };
    for (let i = 0; i < 3000 && !(creates().length > 0 && (await drained())); i++) await new Promise((r) => setTimeout(r, 20));
    const received = creates();
    assert.equal(received.length, 1, "the follower received the post exactly once");
    assert.equal(received[0]!.type, "Create");
    assert.equal(received[0]!.object.id, post.uri);
    assert.equal((await db.selectFrom("outbox_activities").select("id").execute()).length, 1, "stored once");
  });
});
