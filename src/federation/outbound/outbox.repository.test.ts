import assert from "node:assert/strict";
import { before, test } from "node:test";
import { newId } from "../../lib/id.ts";
import { describeEachEngine } from "../../testing/databases.ts";
import { OutboxRepository, type StoredActivity } from "./outbox.repository.ts";

describeEachEngine("OutboxRepository", (get) => {
  let outbox: OutboxRepository;
  let acme: string;
  let zed: string;

  const activity = (over: Partial<StoredActivity> = {}): StoredActivity => {
    const id = newId();
    return {
      id,
      uri: `https://social.example.org/users/acme/activities/${id}`,
      actorId: acme,
      type: "Create",
      objectUri: "https://social.example.org/users/acme/posts/1",
      visibility: "public",
      json: JSON.stringify({ type: "Create" }),
      createdAt: new Date().toISOString(),
      ...over,
    };
  };

  before(async () => {
    const db = get().database.db;
    outbox = new OutboxRepository(db);
    const now = new Date().toISOString();
    acme = newId();
    zed = newId();
    for (const [id, username] of [[acme, "acme"], [zed, "zed"]] as const) {
      await db.insertInto("actors").values({ id, uri: `https://social.example.org/users/${username}`, is_local: 1, type: "Person", username, domain: "social.example.org", created_at: now, updated_at: now }).execute();
    }
  });

  test("stores an activity once: a repeated insert with the same id stores nothing and says so", async () => {
    const a = activity();
    assert.equal(await outbox.insert(a), true);
    assert.equal(await outbox.insert({ ...a, json: "{}" }), false);
    assert.deepEqual(await outbox.findOwned(a.uri, acme), a);
  });

  test("findOwned answers only for the actor that sent the activity", async () => {
    const a = activity();
    await outbox.insert(a);
    assert.equal(await outbox.findOwned(a.uri, zed), null);
    assert.equal(await outbox.findOwned(`${a.uri}x`, acme), null);
  });

  test("latestAbout is the newest activity of the type about the object, from that actor only", async () => {
    const objectUri = `https://remote.example/notes/${newId()}`;
    const older = activity({ type: "Like", objectUri });
    const newer = activity({ type: "Like", objectUri });
    await outbox.insert(older);
    await outbox.insert(newer);
    await outbox.insert(activity({ type: "Announce", objectUri }));
    await outbox.insert(activity({ type: "Like", objectUri, actorId: zed }));
    assert.equal((await outbox.latestAbout(acme, objectUri, "Like"))?.id, newer.id);
    assert.equal(await outbox.latestAbout(acme, `${objectUri}x`, "Like"), null);
  });
});
