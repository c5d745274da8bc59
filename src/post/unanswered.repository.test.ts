import assert from "node:assert/strict";
import { before, test } from "node:test";
import type { Kysely } from "kysely";
import type { DB } from "../db/schema.ts";
import { newId } from "../lib/id.ts";
import { describeEachEngine } from "../testing/databases.ts";
import type { PostState, Visibility } from "./post.entity.ts";
import { UnansweredRepository } from "./unanswered.repository.ts";

const DAY = 86_400_000;

/** "Needs a reply" (issue #12, item 11), case by case, on both engines. */
describeEachEngine("UnansweredRepository", (get) => {
  let db: Kysely<DB>;
  let repo: UnansweredRepository;
  const acme = { id: newId(), uri: "https://social.example.org/users/acme" };
  const other = { id: newId(), uri: "https://social.example.org/users/brand" };
  let bob = "";
  let eve = "";
  let acmePost = "";
  let acmePostId = "";
  const since = new Date(Date.now() - 14 * DAY).toISOString();

  const actor = async (id: string, uri: string, local: boolean) => {
    const now = new Date().toISOString();
    const url = new URL(uri);
    await db.insertInto("actors").values({ id, uri, is_local: local ? 1 : 0, type: "Person", username: url.pathname.split("/").at(-1)!, domain: url.host, created_at: now, updated_at: now }).execute();
  };
  const post = async (row: { actorId: string; inReplyTo?: string | null; mentions?: readonly string[]; visibility?: Visibility; state?: PostState; ageDays?: number; local?: boolean; boostOf?: string }) => {
    const id = newId();
    const at = new Date(Date.now() - (row.ageDays ?? 1) * DAY).toISOString();
    const uri = `https://${row.local ? "social.example.org" : "remote.example"}/posts/${id}`;
    await db
      .insertInto("posts")
      .values({
        id, uri, actor_id: row.actorId, is_local: row.local ? 1 : 0, type: row.boostOf ? "Announce" : "Note", state: row.state ?? "published",
        visibility: row.visibility ?? "public", content_html: `<p>${id}</p>`, in_reply_to_uri: row.inReplyTo ?? null, boost_of_id: row.boostOf ?? null,
        published_at: at, created_at: at, updated_at: at,
      })
      .execute();
    for (const m of row.mentions ?? []) await db.insertInto("post_mentions").values({ post_id: id, actor_uri: m, handle: null }).execute();
    return { id, uri };
  };
  const listed = async () => (await repo.list(acme, { since, limit: 50 })).map((p) => p.id).sort();

  before(async () => {
    db = get().database.db;
    repo = new UnansweredRepository(db);
    bob = newId();
    eve = newId();
    await actor(acme.id, acme.uri, true);
    await actor(other.id, other.uri, true);
    await actor(bob, "https://remote.example/users/bob", false);
    await actor(eve, "https://remote.example/users/eve", false);
    const own = await post({ actorId: acme.id, local: true, ageDays: 3 });
    acmePost = own.uri;
    acmePostId = own.id;
  });

  test("a remote reply and a remote mention wait; the account's published answer takes one off", async () => {
    const reply = await post({ actorId: bob, inReplyTo: acmePost });
    const mention = await post({ actorId: bob, mentions: [acme.uri] });
    assert.deepEqual(await listed(), [reply.id, mention.id].sort());
    await post({ actorId: acme.id, local: true, inReplyTo: reply.uri, ageDays: 0 });
    assert.deepEqual(await listed(), [mention.id]);
    // A deleted answer is not an answer.
    await post({ actorId: acme.id, local: true, inReplyTo: mention.uri, state: "deleted", ageDays: 0 });
    assert.deepEqual(await listed(), [mention.id]);
    // Another local account's answer is not this account's.
    await post({ actorId: other.id, local: true, inReplyTo: mention.uri, ageDays: 0 });
    assert.deepEqual(await listed(), [mention.id]);
    await post({ actorId: acme.id, local: true, inReplyTo: mention.uri, ageDays: 0 });
    assert.deepEqual(await listed(), []);
  });

  test("not listed: older than the window, deleted, boosts, others' conversations, what the account may not see, blocked authors", async () => {
    await post({ actorId: bob, inReplyTo: acmePost, ageDays: 20 });
    await post({ actorId: bob, inReplyTo: acmePost, state: "deleted" });
    await post({ actorId: bob, mentions: ["https://remote.example/users/eve"] });
    await post({ actorId: bob, mentions: [acme.uri], boostOf: acmePostId });
    // Followers-only without a follow and without a mention of acme: not acme's to read.
    await post({ actorId: bob, inReplyTo: acmePost, visibility: "followers" });
    assert.deepEqual(await listed(), []);
    const fromEve = await post({ actorId: eve, mentions: [acme.uri] });
    assert.deepEqual(await listed(), [fromEve.id]);
    await db.insertInto("blocks").values({ id: newId(), actor_id: acme.id, target_id: eve, uri: null, created_at: new Date().toISOString() }).execute();
    assert.deepEqual(await listed(), []);
  });

  test("newest first, at most the limit", async () => {
    const older = await post({ actorId: bob, mentions: [acme.uri], ageDays: 2 });
    const newer = await post({ actorId: bob, mentions: [acme.uri], ageDays: 1 });
    assert.deepEqual((await repo.list(acme, { since, limit: 1 })).map((p) => p.id), [newer.id]);
    assert.deepEqual((await repo.list(acme, { since, limit: 5 })).map((p) => p.id), [newer.id, older.id]);
  });
});
