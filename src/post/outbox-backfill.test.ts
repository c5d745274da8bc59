import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Actor } from "../actor/actor.entity.ts";
import { AS_PUBLIC } from "../content/validate.ts";
import { describeEachEngine } from "../testing/databases.ts";
import { OutboxBackfill } from "./outbox-backfill.ts";
import { createPostHarness, type PostHarness } from "./testing/post-harness.ts";

describeEachEngine("outbox backfill", (getDb) => {
  let h: PostHarness;
  let bob: Actor;

  before(async () => {
    h = await createPostHarness(getDb());
    bob = await h.addRemote("bob", "remote.example");
  });
  after(() => h.close());

  const note = (id: string, extra: Record<string, unknown> = {}) => ({
    id: `${bob.uri}/statuses/${id}`,
    type: "Note",
    attributedTo: bob.uri,
    content: `<p>${id}</p>`,
    to: [AS_PUBLIC],
    cc: [bob.followersUrl],
    ...extra,
  });
  const createOf = (object: unknown, actor = bob.uri) => ({ id: `${typeof object === "string" ? object : (object as { id: string }).id}/activity`, type: "Create", actor, object });

  test("reads a bounded number of pages and keeps only the account's own public posts", async () => {
    const outbox = bob.outboxUrl!;
    const byReference = note("by-reference");
    h.fetcher.add(byReference);
    h.fetcher.add({ id: outbox, type: "OrderedCollection", totalItems: 9, first: `${outbox}?page=1` });
    h.fetcher.add({
      id: `${outbox}?page=1`,
      type: "OrderedCollectionPage",
      next: `${outbox}?page=2`,
      orderedItems: [
        createOf(note("public")),
        createOf(note("unlisted", { to: [bob.followersUrl], cc: [AS_PUBLIC] })),
        createOf(note("followers-only", { to: [bob.followersUrl], cc: [] })),
        createOf(note("direct", { to: ["https://herold.test/users/someone"], cc: [] })),
        createOf(byReference.id),
        createOf("https://evil.example/notes/planted"),
        createOf({ ...note("forged"), attributedTo: "https://evil.example/users/e" }),
        createOf(note("other-actor"), "https://remote.example/users/carol"),
        { id: `${bob.uri}/statuses/boost/activity`, type: "Announce", actor: bob.uri, object: "https://far.example/notes/1" },
      ],
    });
    h.fetcher.add({ id: `${outbox}?page=2`, type: "OrderedCollectionPage", next: `${outbox}?page=3`, orderedItems: [createOf(note("page-two"))] });
    h.fetcher.add({ id: `${outbox}?page=3`, type: "OrderedCollectionPage", orderedItems: [createOf(note("page-three"))] });

    const backfill = new OutboxBackfill({ actors: h.ctx.repos.actors, fetcher: h.fetcher, remote: h.posts.remote, queue: h.ctx.queue, limits: { pages: 2, objectFetches: 5 }, clock: h.clock });
    assert.equal(await backfill.run(bob.id), 4);
    const stored = async (id: string) => (await h.ctx.repos.posts.findByUri(`${bob.uri}/statuses/${id}`)) !== null;
    for (const id of ["public", "unlisted", "by-reference", "page-two"]) assert.ok(await stored(id), id);
    for (const id of ["followers-only", "direct", "forged", "other-actor", "page-three"]) assert.ok(!(await stored(id)), id);
    assert.ok(!h.fetcher.requests.includes("https://evil.example/notes/planted"), "nothing fetched from another origin");
    assert.ok(!h.fetcher.requests.includes(`${outbox}?page=3`), "no page beyond the limit");

    // Running again stores nothing twice.
    assert.equal(await backfill.run(bob.id), 0);
  });

  test("an unreachable outbox is not an error; a request is queued once per actor", async () => {
    const carol = await h.addRemote("carol", "down.example");
    h.fetcher.fail(carol.outboxUrl!, "network");
    const backfill = new OutboxBackfill({ actors: h.ctx.repos.actors, fetcher: h.fetcher, remote: h.posts.remote, queue: h.ctx.queue, limits: { pages: 2, objectFetches: 5 }, clock: h.clock });
    assert.equal(await backfill.run(carol.id), 0);
    await backfill.request(carol.id);
    await backfill.request(carol.id);
    const jobs = await h.ctx.database.db.selectFrom("jobs").select("payload").where("queue", "=", "posts.backfill").execute();
    assert.deepEqual(jobs.map((j) => JSON.parse(j.payload)), [{ actorId: carol.id }]);
  });
});
