import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { generateTestKey, post } from "../federation/inbox/testing/fake-peer.ts";
import { ENGINES } from "../testing/databases.ts";
import { startHostileEnv, startScriptedPeer, type HostileEnv, type RemoteActor, type ScriptedPeer } from "./harness.ts";
import { ACTIVITYPUB_FIXTURES } from "../testing/fixtures.ts";

/**
 * Hostile-inputs cases 1, 6, 8 and 9: documents that pretend to be what they are not. A scripted
 * loopback peer ("eve's server") serves wrong content types, ids on other origins, redirects to
 * other actors and objects attributed to someone else; peers A and B hold the genuine actors.
 */
const FIXTURES = ACTIVITYPUB_FIXTURES;

for (const engine of ENGINES) {
  describe(`origins of documents [${engine}]`, () => {
    let env: HostileEnv;
    let evil: ScriptedPeer;

    before(async () => {
      env = await startHostileEnv(engine);
      evil = await startScriptedPeer();
      for (const actor of [env.alice, env.bob, env.mallory]) assert.ok((await env.herold.ctx.federationModule.actors.resolveUri(actor.id)).ok);
    });
    after(async () => {
      await Promise.all([env?.close(), evil?.close()]);
    });

    /** An actor on eve's server whose document is served as the test decides. */
    const evilActor = (name: string): RemoteActor & { document: Record<string, unknown> } => {
      const key = generateTestKey();
      const document = evil.actorDocument(name, key);
      return { id: document["id"] as string, keyId: `${document["id"] as string}#main-key`, key, peer: evil, name, document };
    };
    const announce = (by: RemoteActor, object: string) => ({
      "@context": "https://www.w3.org/ns/activitystreams",
      id: `${by.id}/activities/announce-${env.next()}`,
      type: "Announce",
      actor: by.id,
      to: ["https://www.w3.org/ns/activitystreams#Public"],
      object,
    });
    const evilNote = (path: string, fields: Record<string, unknown>) => ({
      "@context": "https://www.w3.org/ns/activitystreams",
      id: `${evil.origin}${path}`,
      type: "Note",
      content: "<p>counterfeit</p>",
      to: ["https://www.w3.org/ns/activitystreams#Public"],
      ...fields,
    });

    describe("case 1: origin confusion (CVE-2024-23832)", () => {
      test("documents served with a content type that is not ActivityPub are neither actors nor objects", async () => {
        for (const contentType of ["text/html", "application/json", "text/plain", "image/png", "application/activity+jsonx"]) {
          const n = env.next();
          // As an actor: the key of an actor document served as HTML cannot sign anything.
          const eve = evilActor(`ctype${n}`);
          evil.json(`/users/${eve.name}`, eve.document, contentType);
          await env.refused(() => env.deliver(eve, env.create(eve)), { status: 401, log: /refused with 401: .*not ActivityPub/, what: contentType });
          // As an object: alice boosts a "post" served as HTML.
          const path = `/notes/ctype-${n}`;
          const author = evilActor(`author${n}`);
          evil.json(`/users/${author.name}`, author.document);
          evil.json(path, evilNote(path, { attributedTo: author.id }), contentType);
          await env.refused(() => env.deliver(env.alice, announce(env.alice, `${evil.origin}${path}`)), {
            status: 202, processing: true, debugLog: true, log: /ignored Announce .*unavailable.*not ActivityPub/, what: contentType,
          });
        }
      });

      test("an object whose id is not on the origin it was finally served from is refused, also after a redirect", async () => {
        const n = env.next();
        // Served by eve under her URL, but claiming to be alice's post on peer A.
        evil.json(`/notes/claims-a-${n}`, { ...evilNote("", { attributedTo: env.alice.id }), id: `${env.alice.id}/notes/claimed-${n}` });
        // Redirected from eve's server to peer B, whose answer claims eve's URL as its id.
        evil.routes.set(`/notes/hop-${n}`, { status: 302, headers: { location: `${env.peerB.origin}/notes/landing-${n}` } });
        env.peerB.documents.set(`/notes/landing-${n}`, { ...evilNote(`/notes/hop-${n}`, { attributedTo: env.mallory.id }) });
        for (const path of [`/notes/claims-a-${n}`, `/notes/hop-${n}`]) {
          await env.refused(() => env.deliver(env.alice, announce(env.alice, `${evil.origin}${path}`)), {
            status: 202, processing: true, debugLog: true, log: /ignored Announce .*unavailable.*(not on the origin|differs)/, what: path,
          });
        }
        assert.equal(await env.herold.ctx.repos.posts.findByUri(`${env.alice.id}/notes/claimed-${n}`), null);
      });

      test("an object attributed to an actor on another host than the object's id is not stored", async () => {
        const n = env.next();
        const path = `/notes/stolen-${n}`;
        evil.json(path, evilNote(path, { attributedTo: env.alice.id, content: "<p>alice never wrote this</p>" }));
        await env.refused(() => env.deliver(env.alice, announce(env.alice, `${evil.origin}${path}`)), {
          status: 202, processing: true, debugLog: true, log: /ignored Announce .*names no author on its own origin/,
        });
        // Delivered directly by mallory, naming alice as author on mallory's origin: refused the same way.
        const direct = env.create(env.mallory, { attributedTo: env.alice.id, content: "<p>alice never wrote this either</p>" });
        await env.refused(() => env.deliver(env.mallory, direct), { status: 202, processing: true, log: /rejected Create .*not attributed to/ });
      });
    });

    describe("case 6: an actor URL answering with another actor (GHSA-8863-8468-7hq7)", () => {
      test("a redirect from eve's actor URL to alice does not make eve's key alice's", async () => {
        const eve = evilActor(`redir${env.next()}`);
        evil.routes.set(`/users/${eve.name}`, { status: 302, headers: { location: env.alice.id } });
        await env.refused(() => env.deliver(eve, env.create(eve)), { status: 401, log: /refused with 401/ });
        await env.refused(() => env.deliver(eve, env.create(env.alice), { keyId: eve.keyId }), { status: 401, log: /refused with 401/ });
      });

      test("an actor URL serving another actor's document on the same origin is not that actor", async () => {
        const n = env.next();
        const frank = evilActor(`frank${n}`);
        const eve = evilActor(`eve${n}`);
        // eve's key document names eve as owner; eve's URL answers with frank's document, which lists the key.
        const keyId = `${evil.origin}/keys/eve${n}`;
        evil.json(`/keys/eve${n}`, { "@context": "https://w3id.org/security/v1", id: keyId, type: "Key", owner: eve.id, publicKeyPem: eve.key.publicKeyPem });
        evil.json(`/users/${eve.name}`, { ...frank.document, publicKey: { id: keyId, owner: frank.id, publicKeyPem: eve.key.publicKeyPem } });
        await env.refused(() => env.deliver(eve, env.create(eve), { keyId }), { status: 401, log: /refused with 401/ });
        assert.equal(await env.herold.ctx.repos.actors.findByUri(eve.id), null, "no actor stored under eve's id");
        // A redirect to frank changes nothing.
        evil.routes.set(`/users/${eve.name}`, { status: 301, headers: { location: frank.id } });
        evil.json(`/users/${frank.name}`, { ...frank.document, publicKey: { id: keyId, owner: frank.id, publicKeyPem: eve.key.publicKeyPem } });
        await env.refused(() => env.deliver(eve, env.create(eve), { keyId }), { status: 401, log: /refused with 401/ });
        assert.equal(await env.herold.ctx.repos.actors.findByUri(eve.id), null, "no actor stored under eve's id");
      });

      test("resolving an actor whose document names another id fails without storing anything", async () => {
        const n = env.next();
        const eve = evilActor(`ghost${n}`);
        evil.json(`/users/${eve.name}`, { ...eve.document, id: env.alice.id });
        const before = await env.fingerprint();
        const resolved = await env.herold.ctx.federationModule.actors.resolveUri(eve.id);
        assert.ok(!resolved.ok && resolved.error === "invalid", JSON.stringify(resolved));
        assert.deepEqual(await env.fingerprint(), before);
      });
    });

    describe("case 8: attributedTo spoofing (NodeBB advisory)", () => {
      test("mallory cannot publish as alice, as carol, or through odd attributedTo values", async () => {
        const spoofs: unknown[] = [
          env.alice.id,
          1,
          env.carol.uri,
          { id: env.alice.id, type: "Person" },
          [[env.mallory.id]],
          [],
          null,
          "",
          `${env.mallory.id}/../../users/alice`,
        ];
        for (const attributedTo of spoofs) {
          const activity = env.create(env.mallory, { attributedTo, content: "<p>spoofed</p>" });
          await env.refused(() => env.deliver(env.mallory, activity), {
            status: 202, processing: true, log: /rejected Create .*(not attributed to|has no content)/, what: JSON.stringify(attributedTo),
          });
        }
      });

      test("array tricks bind the post to the verified actor, never to the others listed", async () => {
        for (const attributedTo of [[env.alice.id, env.mallory.id], [env.carol.uri, env.mallory.id], [env.mallory.id, env.mallory.id]]) {
          const activity = env.create(env.mallory, { attributedTo });
          assert.equal((await env.deliver(env.mallory, activity)).status, 202);
          await env.drain();
          const stored = await env.herold.ctx.repos.posts.findByUri(activity.object.id);
          const mallory = await env.herold.ctx.repos.actors.findByUri(env.mallory.id);
          assert.equal(stored?.actorId, mallory?.id, JSON.stringify(attributedTo));
        }
      });
    });

    describe("case 9: LD-signed and forwarded content is not taken on trust", () => {
      test("Mastodon's LD-signed Create, forwarded by mallory, is refused: the signer is not the actor", async () => {
        const text = readFileSync(new URL("mastodon/create-note-ld-signed.json", FIXTURES), "utf8");
        const forwarded = await env.refused(() => post(env.inbox(), text, env.sign(env.mallory, text)), { status: 401, log: /refused with 401: signed by .*mallory, but the activity's actor is/ });
        assert.match(forwarded.body, /signed by/);
      });

      test("a group's Announce of alice's Create stores what alice's server publishes, not the embedded copy", async () => {
        const n = env.next();
        const published = { "@context": "https://www.w3.org/ns/activitystreams", id: `${env.alice.id}/notes/relayed-${n}`, type: "Note", attributedTo: env.alice.id, to: [env.carol.uri], content: "<p>as published by alice</p>" };
        env.peerA.documents.set(`/users/alice/notes/relayed-${n}`, published);
        const create = { id: `${env.alice.id}/activities/relayed-${n}`, type: "Create", actor: env.alice.id, object: { ...published, content: "<p>rearranged by the relay</p>" } };
        const wrapped = { "@context": "https://www.w3.org/ns/activitystreams", id: `${env.mallory.id}/activities/group-${n}`, type: "Announce", actor: env.mallory.id, object: create };
        assert.equal((await env.deliver(env.mallory, wrapped)).status, 202);
        const [outcome] = await env.drain();
        assert.equal(outcome?.outcome.kind, "processed", JSON.stringify(outcome));
        const stored = await env.herold.ctx.repos.posts.findByUri(published.id);
        assert.match(stored?.contentHtml ?? "", /as published by alice/);
        assert.doesNotMatch(stored?.contentHtml ?? "", /rearranged/);
      });

      test("a group's Announce of a Create whose object its origin does not have is refused", async () => {
        const n = env.next();
        const create = { id: `${env.alice.id}/activities/invented-${n}`, type: "Create", actor: env.alice.id, object: { id: `${env.alice.id}/notes/invented-${n}`, type: "Note", attributedTo: env.alice.id, content: "<p>invented</p>" } };
        const wrapped = { "@context": "https://www.w3.org/ns/activitystreams", id: `${env.mallory.id}/activities/group-${n}`, type: "Announce", actor: env.mallory.id, object: create };
        await env.refused(() => env.deliver(env.mallory, wrapped), { status: 202, processing: true, log: /rejected Announce\/Create .*cannot confirm/ });
      });
    });
  });
}
