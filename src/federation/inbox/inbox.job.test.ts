import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Actor } from "../../actor/actor.entity.ts";
import { newId } from "../../lib/id.ts";
import { ENGINES } from "../../testing/databases.ts";
import { startTestInstance, type TestInstance } from "../../testing/instance.ts";
import { FetchBudget } from "../fetch/fetch-budget.ts";
import { dispatchKey } from "./dispatch-key.ts";
import type { InboundActivity } from "./inbox.types.ts";
import { generateTestKey, startFakePeer, type FakePeer } from "./testing/fake-peer.ts";

/**
 * Processing of verified activities: dispatcher keys, the federation module's own handlers
 * (Update and Delete of actors) and the unwrapping of group announces against the inner origin.
 * Two loopback peers stand for two origins (a group's server and a member's server).
 */
for (const engine of ENGINES) {
  describe(`inbox processing [${engine}]`, () => {
    let herold: TestInstance;
    let groupServer: FakePeer;
    let memberServer: FakePeer;
    let group: Actor;
    let member: { id: string };

    before(async () => {
      herold = await startTestInstance({ engine, worker: false });
      groupServer = await startFakePeer();
      memberServer = await startFakePeer();
      const groupIds = groupServer.addActor("club", generateTestKey(), { type: "Group" });
      member = memberServer.addActor("mia", generateTestKey());
      const resolved = await herold.ctx.federationModule.resolver.resolveUri(groupIds.id);
      assert.ok(resolved.ok);
      group = resolved.value;
    });
    after(async () => {
      await Promise.all([herold?.close(), groupServer?.close(), memberServer?.close()]);
    });

    const activity = (actor: Actor, json: Record<string, unknown>): InboundActivity => ({
      id: json["id"] as string,
      type: json["type"] as string,
      actor,
      json,
      recipient: null,
      receivedAt: new Date().toISOString(),
      budget: new FetchBudget(10),
    });
    const seen = async (uri: string) =>
      (await herold.ctx.database.db.selectFrom("inbox_seen").select("uri").where("uri", "=", uri).execute()).length === 1;

    test("dispatcher keys: Undo by embedded type or stored URI, Announce of activities or posts", async () => {
      const db = herold.ctx.database.db;
      // What a bare Undo URI was comes from the modules that stored it (social registers its lookup).
      const undone = (uri: string) => herold.ctx.federationModule.inbox.undoneType(uri);
      const now = new Date().toISOString();
      const local = await herold.ctx.services.accounts.create({ username: "keys" });
      assert.ok(local.ok);
      const followUri = `${group.uri}#follows/${newId()}`;
      await db.insertInto("follows").values({ id: newId(), follower_id: group.id, followee_id: local.value.actorId, state: "accepted", uri: followUri, created_at: now, accepted_at: now, updated_at: now }).execute();
      const blockUri = `${group.uri}#blocks/${newId()}`;
      await db.insertInto("blocks").values({ id: newId(), actor_id: group.id, target_id: local.value.actorId, uri: blockUri, created_at: now }).execute();
      assert.equal(await dispatchKey({ type: "Undo", object: followUri }, undone), "Undo/Follow");
      assert.equal(await dispatchKey({ type: "Undo", object: blockUri }, undone), "Undo/Block");
      assert.equal(await dispatchKey({ type: "Undo", object: `${group.uri}#unknown` }, undone), "Undo");
      assert.equal(await dispatchKey({ type: "Undo", object: { type: "Like", id: "https://x.example/1" } }, undone), "Undo/Like");
      assert.equal(await dispatchKey({ type: "Announce", object: { type: "Create", id: "https://x.example/1" } }, undone), "Announce/Create");
      assert.equal(await dispatchKey({ type: "Announce", object: { type: "Question", id: "https://x.example/1" } }, undone), "Announce");
      assert.equal(await dispatchKey({ type: "Announce", object: "https://x.example/1" }, undone), "Announce");
      assert.equal(await dispatchKey({ type: ["Like", "Other"] }, undone), "Like");
    });

    test("an announced activity from another origin is confirmed there before it is dispatched as its actor's", async () => {
      const likeId = `${memberServer.origin}/likes/${newId()}`;
      const like = { "@context": "https://www.w3.org/ns/activitystreams", id: likeId, type: "Like", actor: member.id, object: `${memberServer.origin}/notes/1` };
      const announce = (inner: Record<string, unknown>) => activity(group, { id: `${group.uri}/announces/${newId()}`, type: "Announce", actor: group.uri, object: inner });

      // Not confirmed: the origin does not know it.
      const unconfirmed = await herold.ctx.federationModule.processor.dispatch(announce(like));
      assert.equal(unconfirmed.key, "Announce/Like");
      assert.equal(unconfirmed.outcome.kind, "rejected");
      assert.ok(!(await seen(likeId)));

      // The origin has a different activity under that id.
      memberServer.documents.set(new URL(likeId).pathname, { ...like, actor: `${memberServer.origin}/users/someone-else` });
      const differs = await herold.ctx.federationModule.processor.dispatch(announce(like));
      assert.equal(differs.outcome.kind, "rejected");
      assert.match("reason" in differs.outcome ? differs.outcome.reason : "", /differs/);

      // Confirmed: dispatched as mia's Like (the social module's handler answers), recorded as received.
      memberServer.documents.set(new URL(likeId).pathname, like);
      const confirmed = await herold.ctx.federationModule.processor.dispatch(announce(like));
      assert.notEqual(confirmed.outcome.kind, "rejected", JSON.stringify(confirmed.outcome));
      assert.ok(await seen(likeId));
      assert.ok((await herold.ctx.repos.actors.findByUri(member.id)) !== null, "the inner actor was resolved and stored");

      // A second copy is not processed again.
      const repeat = await herold.ctx.federationModule.processor.dispatch(announce(like));
      assert.equal(repeat.outcome.kind, "ignored");
    });

    test("an announced activity whose id is on another origin than its actor is refused", async () => {
      const forged = { id: `${groupServer.origin}/forged/${newId()}`, type: "Like", actor: member.id, object: `${memberServer.origin}/notes/1` };
      const result = await herold.ctx.federationModule.processor.dispatch(activity(group, { id: `${group.uri}/a/${newId()}`, type: "Announce", actor: group.uri, object: forged }));
      assert.equal(result.outcome.kind, "rejected");
      assert.ok(!(await seen(forged.id)));
    });

    test("Update of an actor: its own embedded document is stored; someone else's is only a reason to refetch", async () => {
      const ownKey = generateTestKey();
      const { id } = memberServer.addActor("upd", ownKey, { name: "Before" });
      const resolved = await herold.ctx.federationModule.resolver.resolveUri(id);
      assert.ok(resolved.ok);
      const document = { ...(memberServer.documents.get("/users/upd") as Record<string, unknown>), name: "After" };
      const self = await herold.ctx.federationModule.processor.dispatch(activity(resolved.value, { id: `${id}#updates/1`, type: "Update", actor: id, object: document }));
      assert.equal(self.outcome.kind, "processed");
      assert.equal((await herold.ctx.repos.actors.findByUri(id))?.name, "After");

      // The group claims a new name for the member: refetched from the member's origin instead.
      const claimed = { ...document, name: "Pwned" };
      const other = await herold.ctx.federationModule.processor.dispatch(activity(group, { id: `${group.uri}#updates/${newId()}`, type: "Update", actor: group.uri, object: claimed }));
      assert.equal(other.outcome.kind, "processed");
      assert.equal((await herold.ctx.repos.actors.findByUri(id))?.name, "Before", "the origin's document, not the claim");
    });

    test("Delete of an actor: only by itself; then it is gone", async () => {
      const { id } = memberServer.addActor("del", generateTestKey());
      const resolved = await herold.ctx.federationModule.resolver.resolveUri(id);
      assert.ok(resolved.ok);
      const byOther = await herold.ctx.federationModule.processor.dispatch(activity(group, { id: `${group.uri}#delete/${newId()}`, type: "Delete", actor: group.uri, object: id }));
      assert.equal(byOther.outcome.kind, "rejected");
      assert.equal((await herold.ctx.repos.actors.findByUri(id))?.goneAt, null);
      const self = await herold.ctx.federationModule.processor.dispatch(activity(resolved.value, { id: `${id}#delete`, type: "Delete", actor: id, object: { id, type: "Person" } }));
      assert.equal(self.outcome.kind, "processed");
      assert.ok((await herold.ctx.repos.actors.findByUri(id))?.goneAt != null);
    });

    test("unknown activity types are ignored politely", async () => {
      const result = await herold.ctx.federationModule.processor.dispatch(activity(group, { id: `${group.uri}/x/${newId()}`, type: "Frobnicate", actor: group.uri }));
      assert.deepEqual(result, { key: "Frobnicate", outcome: { kind: "ignored", reason: "no handler for Frobnicate" } });
    });
  });
}
