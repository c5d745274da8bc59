import assert from "node:assert/strict";
import { createPublicKey, verify } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { FetchBudget } from "../federation/fetch/fetch-budget.ts";
import { generateTestKey, startFakePeer, type FakePeer } from "../federation/inbox/testing/fake-peer.ts";
import { newId } from "../lib/id.ts";
import { ENGINES } from "../testing/databases.ts";
import { startTestInstance, type TestInstance } from "../testing/instance.ts";

/** ActorService against a loopback peer and a second Herold instance; everything on 127.0.0.1. */
for (const engine of ENGINES) {
  describe(`ActorService [${engine}]`, () => {
    let herold: TestInstance;
    let other: TestInstance;
    let peer: FakePeer;

    before(async () => {
      herold = await startTestInstance({ engine, worker: false });
      other = await startTestInstance({ engine, worker: false });
      peer = await startFakePeer();
    });
    after(async () => {
      await Promise.all([herold?.close(), other?.close(), peer?.close()]);
    });

    test("fetches an actor with a GET signed by the instance actor, stores it sanitised, and caches it", async () => {
      const key = generateTestKey();
      const { id, keyId } = peer.addActor("ann", key, { name: "Ann <script>alert(1)</script>", summary: '<p onclick="x()">hi <a href="javascript:evil()">x</a></p>' });
      const result = await herold.ctx.federationModule.resolver.resolveUri(id);
      assert.ok(result.ok, result.ok ? "" : result.message);
      assert.equal(result.value.uri, id);
      assert.equal(result.value.publicKeyId, keyId);
      assert.equal(result.value.name, "Ann", "markup and script text are gone from the display name");
      assert.doesNotMatch(result.value.summaryHtml ?? "", /onclick|javascript/);

      const request = peer.server.requests.at(-1)!;
      const signature = String(request.headers["signature"]);
      const instanceKeyId = `${herold.origin}/actor#main-key`;
      assert.ok(signature.includes(`keyId="${instanceKeyId}"`), signature);
      // The signature verifies with the public key the instance actor publishes at /actor.
      const actorDocument = (await (await fetch(`${herold.origin}/actor`)).json()) as { type: string; publicKey: { id: string; publicKeyPem: string } };
      assert.equal(actorDocument.type, "Application");
      assert.equal(actorDocument.publicKey.id, instanceKeyId);
      const signed = /headers="([^"]+)"/.exec(signature)![1]!.split(" ");
      const lines = signed.map((h) => (h === "(request-target)" ? `(request-target): get ${request.url}` : `${h}: ${String(request.headers[h])}`));
      const bytes = Buffer.from(/signature="([^"]+)"/.exec(signature)![1]!, "base64");
      assert.ok(verify("sha256", Buffer.from(lines.join("\n")), createPublicKey(actorDocument.publicKey.publicKeyPem), bytes));

      const count = peer.server.requests.length;
      const again = await herold.ctx.federationModule.resolver.resolveUri(id);
      assert.ok(again.ok);
      assert.equal(peer.server.requests.length, count, "a fresh cached actor is not fetched again");
      const refreshed = await herold.ctx.federationModule.resolver.resolveUri(id, { refresh: true });
      assert.ok(refreshed.ok);
      assert.equal(peer.server.requests.length, count + 1, "refresh fetches");
    });

    test("refuses a document whose id is not the requested one, and stores nothing", async () => {
      const key = generateTestKey();
      const { id: realId } = peer.addActor("real", key);
      const document = peer.documents.get("/users/real") as Record<string, unknown>;
      peer.documents.set("/users/impostor", { ...document });
      const result = await herold.ctx.federationModule.resolver.resolveUri(`${peer.origin}/users/impostor`);
      assert.equal(result.ok, false);
      assert.equal(result.ok ? "" : result.error, "invalid");
      assert.equal(await herold.ctx.repos.actors.findByUri(realId), null);
      assert.equal(await herold.ctx.repos.actors.findByUri(`${peer.origin}/users/impostor`), null);
    });

    test("410 Gone marks a known actor gone and removes its follows both ways", async () => {
      const { id } = peer.addActor("leaving", generateTestKey());
      const resolved = await herold.ctx.federationModule.resolver.resolveUri(id);
      assert.ok(resolved.ok);
      const created = await herold.ctx.services.accounts.create({ username: `local${newId().slice(-6)}` });
      assert.ok(created.ok);
      const db = herold.ctx.database.db;
      const now = new Date().toISOString();
      const follow = (follower: string, followee: string) => ({ id: newId(), follower_id: follower, followee_id: followee, state: "accepted", uri: null, created_at: now, accepted_at: now, updated_at: now });
      await db.insertInto("follows").values([follow(resolved.value.id, created.value.actorId), follow(created.value.actorId, resolved.value.id)]).execute();

      peer.statuses.set("/users/leaving", 410);
      const gone = await herold.ctx.federationModule.resolver.resolveUri(id, { refresh: true });
      assert.equal(gone.ok ? "" : gone.error, "gone");
      const stored = await herold.ctx.repos.actors.findByUri(id);
      assert.ok(stored?.goneAt != null);
      const follows = await db.selectFrom("follows").select("id").where((eb) => eb.or([eb("follower_id", "=", resolved.value.id), eb("followee_id", "=", resolved.value.id)])).execute();
      assert.equal(follows.length, 0);
    });

    test("refuses blocked domains and used-up budgets without a request", async () => {
      const { id } = peer.addActor("blocked", generateTestKey());
      const count = peer.server.requests.length;
      const exhausted = new FetchBudget(0);
      const unreachable = await herold.ctx.federationModule.resolver.resolveUri(id, { budget: exhausted });
      assert.equal(unreachable.ok ? "" : unreachable.error, "unreachable");
      const db = herold.ctx.database.db;
      await db.insertInto("domain_blocks").values({ domain: new URL(peer.origin).host, reason: null, created_at: new Date().toISOString() }).execute();
      try {
        const blocked = await herold.ctx.federationModule.resolver.resolveUri(id);
        assert.equal(blocked.ok ? "" : blocked.error, "blocked");
        const fetched = await herold.ctx.federationModule.documents.fetch(id, { requireIdEquals: "requested-url" });
        assert.equal(fetched.ok ? "" : fetched.error, "blocked");
      } finally {
        await db.deleteFrom("domain_blocks").execute();
      }
      assert.equal(peer.server.requests.length, count);
    });

    test("resolves handles by WebFinger, and finds the instance actor as acct:<domain>@<domain>", async () => {
      const created = await other.ctx.services.accounts.create({ username: "erin" });
      assert.ok(created.ok);
      const erin = await herold.ctx.federationModule.resolver.resolveHandle(`@erin@${other.domain}`);
      assert.ok(erin.ok, erin.ok ? "" : erin.message);
      assert.equal(erin.value.uri, `${other.origin}/users/erin`);
      assert.equal(erin.value.handle, `erin@${other.domain}`);
      const missing = await herold.ctx.federationModule.resolver.resolveHandle(`nobody@${other.domain}`);
      assert.equal(missing.ok ? "" : missing.error, "not-found");

      const webfinger = await fetch(`${other.origin}/.well-known/webfinger?resource=${encodeURIComponent(`acct:${other.domain}@${other.domain}`)}`);
      assert.equal(webfinger.status, 200);
      const jrd = (await webfinger.json()) as { links: { rel: string; href: string }[] };
      assert.equal(jrd.links.find((l) => l.rel === "self")?.href, `${other.origin}/actor`);
      const instance = await herold.ctx.federationModule.resolver.resolveHandle(`${other.domain}@${other.domain}`);
      assert.ok(instance.ok, instance.ok ? "" : instance.message);
      assert.equal(instance.value.type, "Application");
      assert.equal(instance.value.uri, `${other.origin}/actor`);
    });
  });
}
