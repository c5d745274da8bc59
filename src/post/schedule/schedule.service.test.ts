import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { Kysely } from "kysely";
import sharp from "sharp";
import type { DB } from "../../db/schema.ts";
import { AccountRepository } from "../../account/account.repository.ts";
import { AccountService } from "../../account/account.service.ts";
import type { Account } from "../../account/account.entity.ts";
import { Urls } from "../../app/urls.ts";
import { newId } from "../../lib/id.ts";
import { err, ok, type Result } from "../../lib/result.ts";
import { ManualClock } from "../../lib/time.ts";
import { MediaService } from "../../media/media.service.ts";
import { createJobQueue } from "../../queue/queue.ts";
import { runWorkers } from "../../queue/worker.ts";
import { describeEachEngine } from "../../testing/databases.ts";
import type { Post } from "../post.entity.ts";
import type { PublishError, PublishInput } from "../post.service.ts";
import { scheduleDedupeKey } from "./draft.entity.ts";
import { ComposeUploadRepository } from "./compose-upload.repository.ts";
import { DraftRepository } from "./draft.repository.ts";
import { scheduledPostHandler } from "./schedule.job.ts";
import { ScheduleService, type DraftPublisher, type Editor } from "./schedule.service.ts";

/** The command line: no person, acting as the organisation. */
const CLI: Editor = { userId: null, role: "owner" };

/**
 * A stand-in for PostService.publish that writes a real post row (what the crash recovery looks
 * for) and counts calls; it can be made slow, failing or throwing.
 */
class RecordingPublisher implements DraftPublisher {
  readonly calls: PublishInput[] = [];
  mode: "ok" | "error" | "throw" = "ok";
  gate: Promise<void> | null = null;
  /** Resolves when a publish call has reached the gate (the winner of a race is inside). */
  entered: Promise<void>;
  #enter!: () => void;
  readonly deps: { db: Kysely<DB>; account: () => Account; clock: ManualClock };
  constructor(deps: { db: Kysely<DB>; account: () => Account; clock: ManualClock }) {
    this.deps = deps;
    this.entered = new Promise((resolve) => (this.#enter = resolve));
  }
  async publish(input: PublishInput): Promise<Result<Post, PublishError>> {
    this.calls.push(input);
    this.#enter();
    if (this.gate !== null) await this.gate;
    if (this.mode === "throw") throw new Error("database went away");
    if (this.mode === "error") return err("reply-target", "cannot reply to https://gone.example/1: it was deleted");
    const account = this.deps.account();
    const id = newId(this.deps.clock.now().getTime());
    const now = this.deps.clock.now().toISOString();
    const row = await this.deps.db
      .insertInto("posts")
      .values({ id, uri: `${account.uri}/posts/${id}`, actor_id: account.actorId, is_local: 1, type: "Note", state: "published", visibility: "public", source_text: input.text, content_html: `<p>${input.text}</p>`, published_at: now, created_at: now, updated_at: now })
      .returningAll()
      .executeTakeFirstOrThrow();
    return ok({ id: row.id, uri: row.uri } as Post);
  }
}

describeEachEngine("scheduled posts", (get) => {
  const setup = async (name: string) => {
    const { database } = get();
    const clock = new ManualClock("2026-05-04T09:00:20.000Z");
    const urls = new Urls(new URL("https://herold.test"));
    const accounts = new AccountRepository(database.db);
    const created = await new AccountService({ accounts, urls, domain: "herold.test", clock }).create({ username: name });
    assert.ok(created.ok);
    const account = created.value;
    const dataDir = mkdtempSync(join(tmpdir(), "herold-schedule-"));
    const queue = createJobQueue(database, { clock, pollMs: 20 });
    const publisher = new RecordingPublisher({ db: database.db, account: () => account, clock });
    const drafts = new DraftRepository(database.db);
    const service = new ScheduleService({
      db: database.db, drafts, uploads: new ComposeUploadRepository(database.db), accounts, publisher, media: new MediaService({ db: database.db, dataDir, clock }), queue, clock, maxChars: 500, maxPollOptions: 4,
    });
    const draft = async (text: string) => {
      const saved = await service.save(account, CLI, null, { text, contentWarning: "", visibility: "public", language: "en", replyTo: "", quote: "" });
      assert.ok(saved.ok);
      return saved.value;
    };
    return { database, clock, account, queue, publisher, drafts, service, draft, cleanup: async () => { await queue.close(); rmSync(dataDir, { recursive: true, force: true }); } };
  };

  test("scheduling writes the draft and its durable job together; the job publishes exactly once", async () => {
    const t = await setup("ana");
    const d = await t.draft("Spring launch");
    const at = new Date("2026-05-04T09:01:00.000Z");
    const scheduled = await t.service.schedule(t.account, CLI, d.id, at, "Europe/Berlin");
    assert.ok(scheduled.ok);
    assert.equal(scheduled.value.state, "scheduled");
    const job = await t.database.db.selectFrom("jobs").selectAll().where("dedupe_key", "=", scheduleDedupeKey({ draftId: d.id, scheduledAt: at.toISOString() })).executeTakeFirst();
    assert.equal(job?.run_at, at.toISOString());
    assert.deepEqual(JSON.parse(job!.payload), { draftId: d.id, scheduledAt: at.toISOString() });

    const payload = { draftId: d.id, scheduledAt: at.toISOString() };
    assert.equal(await t.service.runScheduled(payload), "published");
    assert.equal(await t.service.runScheduled(payload), "skipped"); // a repeated delivery of the job
    assert.equal(t.publisher.calls.length, 1);
    assert.equal(t.publisher.calls[0]!.text, "Spring launch");
    const after = await t.service.get(t.account, d.id);
    assert.equal(after?.state, "published");
    assert.ok(after?.postId);
    await t.cleanup();
  });

  test("rescheduling leaves the old job with nothing to do; cancelling too", async () => {
    const t = await setup("ben");
    const d = await t.draft("Moved post");
    const first = new Date("2026-05-04T10:00:00.000Z");
    const second = new Date("2026-05-04T11:30:00.000Z");
    assert.ok((await t.service.schedule(t.account, CLI, d.id, first, "UTC")).ok);
    assert.ok((await t.service.schedule(t.account, CLI, d.id, second, "UTC")).ok);
    assert.equal(await t.service.runScheduled({ draftId: d.id, scheduledAt: first.toISOString() }), "skipped");
    assert.equal(t.publisher.calls.length, 0);
    assert.ok((await t.service.cancel(t.account, CLI, d.id)).ok);
    assert.equal(await t.service.runScheduled({ draftId: d.id, scheduledAt: second.toISOString() }), "skipped");
    assert.equal((await t.service.get(t.account, d.id))?.state, "draft");
    // Scheduling back to a time whose job is still queued reuses that job (same dedupe key).
    assert.ok((await t.service.schedule(t.account, CLI, d.id, second, "UTC")).ok);
    const keyed = await t.database.db.selectFrom("jobs").select("id").where("dedupe_key", "=", scheduleDedupeKey({ draftId: d.id, scheduledAt: second.toISOString() })).execute();
    assert.equal(keyed.length, 1);
    assert.equal(await t.service.runScheduled({ draftId: d.id, scheduledAt: second.toISOString() }), "published");
    assert.equal(t.publisher.calls.length, 1);
    await t.cleanup();
  });

  test("two workers and a person racing for one scheduled post publish it once", async () => {
    const t = await setup("cleo");
    const d = await t.draft("Only once");
    const at = new Date("2026-05-04T09:05:00.000Z");
    assert.ok((await t.service.schedule(t.account, CLI, d.id, at, "UTC")).ok);
    let open!: () => void;
    t.publisher.gate = new Promise((resolve) => (open = resolve));
    const job = { draftId: d.id, scheduledAt: at.toISOString() };
    const racing = Promise.all([t.service.runScheduled(job), t.service.runScheduled(job), t.service.publishNow(t.account, CLI, d.id)]);
    await t.publisher.entered; // one of the three holds the claim and is publishing
    open();
    const [w1, w2, person] = await racing;
    assert.equal(t.publisher.calls.length, 1);
    const winners = [w1 === "published", w2 === "published", person.ok].filter(Boolean).length;
    assert.equal(winners, 1, JSON.stringify([w1, w2, person.ok ? "ok" : person.error]));
    await t.cleanup();
  });

  test("a claim left by a dead process: recent ones wait, stale ones recover without publishing twice", async () => {
    const t = await setup("dora");
    const d = await t.draft("Crash test");
    const at = new Date("2026-05-04T09:10:00.000Z");
    assert.ok((await t.service.schedule(t.account, CLI, d.id, at, "UTC")).ok);
    const job = { draftId: d.id, scheduledAt: at.toISOString() };
    t.clock.set("2026-05-04T09:10:00.500Z");
    // The process published, then died before recording it.
    assert.equal(await t.drafts.claim(d.id, ["scheduled"], job.scheduledAt, t.clock.now().toISOString()), true);
    await t.publisher.publish({ username: t.account.username, text: "Crash test" });
    assert.equal(await t.service.runScheduled(job), "busy");
    t.clock.advance(11 * 60_000);
    assert.equal(await t.service.runScheduled(job), "recovered");
    assert.equal(t.publisher.calls.length, 1);
    assert.equal((await t.service.get(t.account, d.id))?.state, "published");

    // Died before publishing: the stale claim is published now.
    const e = await t.draft("Second crash");
    const at2 = new Date("2026-05-04T09:30:00.000Z");
    assert.ok((await t.service.schedule(t.account, CLI, e.id, at2, "UTC")).ok);
    assert.equal(await t.drafts.claim(e.id, ["scheduled"], at2.toISOString(), t.clock.now().toISOString()), true);
    t.clock.advance(11 * 60_000);
    assert.equal(await t.service.runScheduled({ draftId: e.id, scheduledAt: at2.toISOString() }), "published");
    assert.equal(t.publisher.calls.length, 2);
    await t.cleanup();
  });

  test("rules: whole minutes in the future; a refused post is kept as failed with the reason; a throw hands the claim back", async () => {
    const t = await setup("emil");
    const d = await t.draft("Rules");
    const past = await t.service.schedule(t.account, CLI, d.id, new Date("2026-05-04T09:00:00.000Z"), "UTC");
    assert.equal(past.ok ? "ok" : past.error, "in-the-past");
    const seconds = await t.service.schedule(t.account, CLI, d.id, new Date("2026-05-04T09:02:30.000Z"), "UTC");
    assert.equal(seconds.ok ? "ok" : seconds.error, "not-whole-minute");
    const empty = await t.draft("   ");
    const nothing = await t.service.schedule(t.account, CLI, empty.id, new Date("2026-05-04T09:02:00.000Z"), "UTC");
    assert.equal(nothing.ok ? "ok" : nothing.error, "empty");

    const at = new Date("2026-05-04T09:03:00.000Z");
    assert.ok((await t.service.schedule(t.account, CLI, d.id, at, "UTC")).ok);
    t.publisher.mode = "throw";
    await assert.rejects(t.service.runScheduled({ draftId: d.id, scheduledAt: at.toISOString() }), /database went away/);
    assert.equal((await t.service.get(t.account, d.id))?.state, "scheduled");
    t.publisher.mode = "error";
    assert.equal(await t.service.runScheduled({ draftId: d.id, scheduledAt: at.toISOString() }), "failed");
    const failed = await t.service.get(t.account, d.id);
    assert.equal(failed?.state, "failed");
    assert.match(failed?.error ?? "", /cannot reply/);
    // Drafts of another account are invisible (every lookup is scoped to the account).
    const other = await t.service.get({ id: newId() }, d.id);
    assert.equal(other, null);
    await t.cleanup();
  });

  test("after a restart, the worker publishes at the post's minute and not before", async () => {
    const t = await setup("fritz");
    const d = await t.draft("Survives restarts");
    const at = new Date("2026-05-04T09:02:00.000Z");
    assert.ok((await t.service.schedule(t.account, CLI, d.id, at, "UTC")).ok);
    await t.queue.close(); // the process that scheduled it is gone

    const queue = createJobQueue(t.database, { clock: t.clock, pollMs: 20 });
    const service = new ScheduleService({
      db: t.database.db, drafts: t.drafts, uploads: new ComposeUploadRepository(t.database.db), accounts: new AccountRepository(t.database.db), publisher: t.publisher,
      media: { storeImage: async () => err("unreadable", "unused"), discard: async () => {}, unattachedFiles: async () => new Map(), reuse: async () => err("not-found", "unused") }, queue, clock: t.clock, maxChars: 500, maxPollOptions: 4,
    });
    const stop = new AbortController();
    // The worker's claims are observed: two empty claims after start mean it looked for due work at
    // least once with the job already in the queue, and found none before the post's minute.
    let emptyClaims = 0;
    let sawEmptyClaims!: () => void;
    const lookedTwice = new Promise<void>((resolve) => (sawEmptyClaims = resolve));
    const observed: typeof queue = Object.create(queue);
    observed.claim = async (name, options) => {
      const jobs = await queue.claim(name, options);
      if (jobs.length === 0 && ++emptyClaims >= 2) sawEmptyClaims();
      return jobs;
    };
    const worker = runWorkers(observed, [scheduledPostHandler(service, t.clock) as never], { workerId: "w1", signal: stop.signal, clock: t.clock, maxWaitMs: 20 });
    try {
      await lookedTwice;
      assert.equal(t.publisher.calls.length, 0, "not before its minute");
      t.clock.set("2026-05-04T09:02:00.000Z");
      const deadline = Date.now() + 10_000;
      while ((await service.get(t.account, d.id))?.state !== "published" && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
      assert.equal((await service.get(t.account, d.id))?.state, "published");
      assert.equal(t.publisher.calls.length, 1);
    } finally {
      stop.abort();
      await worker;
      await queue.close();
    }
  });

  test("images of a refused submit are held for their person and adopted once, by them only", async () => {
    const t = await setup("hella");
    const now = t.clock.now().toISOString();
    for (const id of ["u-anna", "u-ben"]) {
      await t.database.db.insertInto("users").values({ id, email: `${id}@acme.example`, username: null, display_name: id, password_hash: "x", time_zone: null, created_at: now, updated_at: now }).execute();
    }
    const anna: Editor = { userId: "u-anna", role: "publisher" };
    const ben: Editor = { userId: "u-ben", role: "publisher" };
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: "#123456" } }).png().toBuffer();
    const { held, error } = await t.service.holdUploads(t.account, anna, [{ bytes: png, description: "first" }, { bytes: Buffer.from("not an image"), description: "" }, { bytes: png, description: "second" }]);
    assert.match(error ?? "", /could not be used/);
    assert.deepEqual(held.map((m) => m.description), ["first", "second"]);
    const ids = held.map((m) => m.id);
    assert.deepEqual(await t.service.heldUploads(t.account, anna, ids), ids);
    assert.deepEqual(await t.service.heldUploads(t.account, ben, ids), [], "not another person's");
    const input = { text: "Hello", contentWarning: "", visibility: "public", language: "", replyTo: "", quote: "" };
    // Ben names Anna's images: his draft gets none of them.
    const bens = await t.service.save(t.account, ben, null, { ...input, held: held.map((m) => ({ id: m.id, description: "stolen" })) });
    assert.ok(bens.ok);
    assert.deepEqual(bens.value.media, []);
    const saved = await t.service.save(t.account, anna, null, { ...input, held: [{ id: ids[0]!, description: "first, edited" }, { id: ids[1]!, description: "" }] });
    assert.ok(saved.ok);
    assert.deepEqual(saved.value.media, [{ id: ids[0], description: "first, edited" }, { id: ids[1], description: null }]);
    // The same page submitted again adopts nothing twice.
    const again = await t.service.save(t.account, anna, null, { ...input, held: held.map((m) => ({ id: m.id, description: "" })) });
    assert.ok(again.ok);
    assert.deepEqual(again.value.media, []);
    assert.deepEqual(await t.service.heldUploads(t.account, anna, ids), []);
    // Over the limit: nothing is adopted, the images stay held for the next try.
    const more = await t.service.holdUploads(t.account, anna, [{ bytes: png, description: "third" }]);
    const refused = await t.service.save(t.account, anna, null, { ...input, text: "x".repeat(501), held: more.held });
    assert.equal(refused.ok, false);
    assert.deepEqual(await t.service.heldUploads(t.account, anna, more.held.map((m) => m.id)), more.held.map((m) => m.id));
    await t.service.dropHeldUploads(t.account, anna, more.held.map((m) => m.id));
    assert.deepEqual(await t.service.heldUploads(t.account, anna, more.held.map((m) => m.id)), []);
    assert.equal(await t.database.db.selectFrom("media").select("id").where("id", "=", more.held[0]!.id).executeTakeFirst(), undefined, "a dropped image is deleted");
    // Abandoned holds go after a day.
    const old = await t.service.holdUploads(t.account, anna, [{ bytes: png, description: "old" }]);
    t.clock.set("2026-05-05T09:30:00.000Z");
    await t.service.holdUploads(t.account, anna, [{ bytes: png, description: "new" }]);
    assert.deepEqual(await t.service.heldUploads(t.account, anna, old.held.map((m) => m.id)), []);
    await t.cleanup();
  });
});
