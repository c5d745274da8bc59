import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test, type TestContext } from "node:test";
import { createAppContext, type AppContext } from "../../app/context.ts";
import { startWorker } from "../../app/worker.ts";
import { loadConfig } from "../../config/config.ts";
import { newId } from "../../lib/id.ts";
import { startTestServer, type TestServer } from "../../testing/test-server.ts";
import type { Post } from "../../post/post.entity.ts";
import { createTestDatabase, describeEachEngine, type Engine } from "../../testing/databases.ts";
import { remoteActorData } from "../../testing/fixtures.ts";
import { FEDERATE_GRACE_MS, FEDERATE_QUEUE } from "./bridge.ts";

const CHILD = fileURLToPath(new URL("./testing/publish-child.ts", import.meta.url));
const ORIGIN = "http://127.0.0.1:1"; // never contacted: bob's inbox is the loopback receiver

interface Received {
  readonly type: string;
  readonly id: string;
  readonly object: string | { id: string };
}

/**
 * A Herold (a context in the test process, the "restarted" process) with alice and a remote bob
 * who follows her and has a post of his own, bob's inbox a loopback receiver; `child` runs one
 * write in publish-child.ts, which dies at a fault point; `drain` runs a worker until `done`.
 */
async function setUp(t: TestContext, engine: Engine) {
  // A database of its own per test: each starts with the same accounts.
  const database = await createTestDatabase(engine);
  const dataDir = mkdtempSync(join(tmpdir(), "herold-outbox-"));
  const receiver: TestServer = await startTestServer((_request, response) => response.writeHead(202).end());
  const env = {
    PATH: process.env.PATH ?? "",
    HEROLD_ORIGIN: ORIGIN,
    HEROLD_DATABASE_URL: database.url,
    HEROLD_DATA_DIR: dataDir,
    HEROLD_ALLOW_PRIVATE_ADDRESS: "true",
    HEROLD_LOG_LEVEL: "error",
  };
  // The restarted process sees time after the grace period, as a worker would: the fake clock
  // is driven past it instead of waiting 30 s.
  const later = { now: () => new Date(Date.now() + FEDERATE_GRACE_MS + 5_000) };
  const ctx: AppContext = await createAppContext(loadConfig(env), { migrate: true, clock: later });
  const stop = new AbortController();
  let worker: Promise<void> | undefined;
  t.after(async () => {
    stop.abort();
    await worker;
    await ctx.close();
    await receiver.close();
    await database.close();
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
  const bobsPostUri = receiver.url(`/users/bob/statuses/${newId()}`);
  await ctx.repos.posts.insert(newId(), {
    uri: bobsPostUri, actorId: bob.id, isLocal: false, type: "Note", state: "published", visibility: "public",
    sourceText: null, contentHtml: "<p>bob's post</p>", summary: null, name: null, sensitive: false, language: null, url: bobsPostUri,
    inReplyToUri: null, inReplyToId: null, quoteUri: null, quoteId: null, boostOfId: null, conversationUri: bobsPostUri,
    to: ["https://www.w3.org/ns/activitystreams#Public"], cc: [], emojis: [], poll: null, card: null, rawJson: null, publishedAt: now, editedAt: null,
  }, { mentions: [], tags: [] }, now);
  const bobsPost = (await ctx.repos.posts.findByUri(bobsPostUri)) as Post;

  const child = async (vars: Record<string, string>) => {
    const process_ = spawn(process.execPath, [CHILD], { env: { ...env, ...vars }, stdio: ["ignore", "inherit", "inherit"] });
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => process_.once("exit", (c, s) => resolve([c, s])));
    assert.equal(signal, "SIGKILL", `the child died at the fault point (exit code ${code})`);
  };
  const received = (): Received[] =>
    receiver.requests.filter((r) => r.method === "POST" && r.url === "/users/bob/inbox").map((r) => JSON.parse(r.body.toString()) as Received);
  const drain = async (done: () => boolean) => {
    worker ??= startWorker(ctx, stop.signal);
    const drained = async () => {
      const depth = await ctx.queue.depth();
      return depth[FEDERATE_QUEUE] === undefined && depth["deliver"] === undefined;
    };
    for (let i = 0; i < 3000 && !(done() && (await drained())); i++) await new Promise((r) => setTimeout(r, 20));
  };
  return { ctx, db: ctx.database.db, alice: alice.value, bobsPost, child, received, drain };
}

const objectId = (activity: Received) => (typeof activity.object === "string" ? activity.object : activity.object.id);

// Issue #10 item 13: a write committed by a process that dies before it federates the write must
// still federate. The child writes and is SIGKILLed at a fault point; a new process (here: a
// context in the test process with a worker) sends what was committed.
describeEachEngine("transactional outbox", (get) => {
  test("a post whose process was killed after the commit reaches the follower after a restart", { timeout: 120_000 }, async (t) => {
    const { db, child, received, drain } = await setUp(t, get().engine);
    const text = `survives a crash ${newId()}`;
    await child({ HEROLD_TEST_POST_TEXT: text });

    const post = await db.selectFrom("posts").select(["id", "uri"]).where("source_text", "=", text).executeTakeFirst();
    assert.ok(post, "the post was committed before the crash");
    assert.equal((await db.selectFrom("outbox_activities").select("id").execute()).length, 0, "nothing was sent before the crash");
    const intents = await db.selectFrom("jobs").select("payload").where("queue", "=", FEDERATE_QUEUE).execute();
    assert.equal(intents.length, 1, "the intent to federate committed with the post");
    assert.doesNotMatch(intents[0]!.payload, /PRIVATE KEY/, "the intent carries ids, not keys");

    await drain(() => received().length > 0);
    const creates = received();
    assert.equal(creates.length, 1, "the follower received the post exactly once");
    assert.equal(creates[0]!.type, "Create");
    assert.equal(objectId(creates[0]!), post.uri);
    assert.equal((await db.selectFrom("outbox_activities").select("id").execute()).length, 1, "stored once");
  });

  test("a like and a boost whose process was killed after the commit reach the author after a restart", { timeout: 120_000 }, async (t) => {
    const { db, alice, bobsPost, child, received, drain } = await setUp(t, get().engine);
    await child({ HEROLD_TEST_ACTION: "like", HEROLD_TEST_TARGET: bobsPost.uri });
    await child({ HEROLD_TEST_ACTION: "boost", HEROLD_TEST_TARGET: bobsPost.uri });

    const ledger = await db.selectFrom("interactions").select("kind").where("actor_id", "=", alice.actorId).where("undone_at", "is", null).orderBy("kind").execute();
    assert.deepEqual(ledger.map((r) => r.kind), ["boost", "like"], "both were committed before the crashes");
    assert.equal((await db.selectFrom("jobs").select("id").where("queue", "=", FEDERATE_QUEUE).execute()).length, 2, "each with its intent");
    assert.equal((await db.selectFrom("outbox_activities").select("id").execute()).length, 0, "nothing was sent before the crashes");

    await drain(() => received().length >= 2);
    const got = received();
    assert.deepEqual(got.map((a) => a.type).sort(), ["Announce", "Like"], "bob received the like and the boost exactly once each");
    for (const activity of got) assert.equal(objectId(activity), bobsPost.uri);
    // The boost's timeline row carries the id the Announce went out with.
    const announce = got.find((a) => a.type === "Announce")!;
    const row = await db.selectFrom("posts").select("uri").where("actor_id", "=", alice.actorId).where("type", "=", "Announce").executeTakeFirst();
    assert.equal(row?.uri, announce.id);
  });

  test("a like and a boost killed before their commit leave nothing half-done, and federate when made again", { timeout: 120_000 }, async (t) => {
    const { ctx, db, alice, bobsPost, child, received, drain } = await setUp(t, get().engine);
    await child({ HEROLD_TEST_ACTION: "like", HEROLD_TEST_TARGET: bobsPost.uri, HEROLD_TEST_FAULT: "before-commit" });
    await child({ HEROLD_TEST_ACTION: "boost", HEROLD_TEST_TARGET: bobsPost.uri, HEROLD_TEST_FAULT: "before-commit" });

    // Neither the ledger, nor a notification, nor a timeline row may outlive the intent to federate:
    // the like and the boost did not happen (and so can be made again), rather than happened unsent.
    const ledger = await db.selectFrom("interactions").select("kind").where("actor_id", "=", alice.actorId).execute();
    assert.deepEqual(ledger, [], "no ledger entry without its intent to federate");
    assert.equal((await db.selectFrom("posts").select("id").where("actor_id", "=", alice.actorId).execute()).length, 0, "no boost row");
    assert.equal((await db.selectFrom("jobs").select("id").where("queue", "=", FEDERATE_QUEUE).execute()).length, 0);

    const liked = await ctx.posts.interactions.like("alice", bobsPost.uri);
    assert.ok(liked.ok, liked.ok ? "" : liked.message);
    const boosted = await ctx.posts.interactions.boost("alice", bobsPost.uri);
    assert.ok(boosted.ok, boosted.ok ? "" : boosted.message);
    await drain(() => received().length >= 2);
    assert.deepEqual(received().map((a) => a.type).sort(), ["Announce", "Like"]);
  });
});
