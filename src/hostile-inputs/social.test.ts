import assert from "node:assert/strict";
import type { KeyObject } from "node:crypto";
import { request } from "node:http";
import { after, before, describe, test } from "node:test";
import { DELIVER_QUEUE } from "../delivery/delivery.job.ts";
import { ENGINES } from "../testing/databases.ts";
import { logs, startHostileEnv, type HostileEnv } from "./harness.ts";
import { craftCavage } from "./signing.ts";

/**
 * Hostile-inputs cases 18 (block and suspension bypass) and 19 (follow approval ignored), through
 * the inbox of a real instance, and the pull side of case 19 (signed GETs of followers-only posts).
 */
const AS = "https://www.w3.org/ns/activitystreams";

for (const engine of ENGINES) {
  describe(`follows, blocks and suspensions [${engine}]`, () => {
    let env: HostileEnv;
    let carolFollowUri: string;

    before(async () => {
      env = await startHostileEnv(engine);
      for (const actor of [env.alice, env.bob, env.mallory]) assert.ok((await env.herold.ctx.federationModule.actors.resolveUri(actor.id)).ok);
    });
    after(async () => {
      await env?.close();
    });

    const followState = async (followerId: string, followeeUri: string) => {
      const followee = await env.herold.ctx.repos.actors.findByUri(followeeUri);
      const row = await env.herold.ctx.database.db.selectFrom("follows").select(["state", "uri"]).where("follower_id", "=", followerId).where("followee_id", "=", followee!.id).executeTakeFirst();
      return row ?? null;
    };
    const deliveredTo = async (inbox: string): Promise<number> => {
      const jobs = await env.herold.ctx.database.db.selectFrom("jobs").select("payload").where("queue", "=", DELIVER_QUEUE).execute();
      return jobs.filter((j) => (JSON.parse(j.payload) as { inbox: string }).inbox === inbox).length;
    };

    describe("case 19: a Follow is pending until its Accept, and followers-only posts reach accepted followers only", () => {
      test("carol's Follow of alice stays pending against Accepts from anyone but alice", async () => {
        const followed = await env.herold.ctx.social.follows.follow("carol", env.alice.id);
        assert.ok(followed.ok, JSON.stringify(followed));
        const follow = await followState(env.carol.actorId, env.alice.id);
        assert.equal(follow?.state, "pending");
        carolFollowUri = follow!.uri!;
        const followObject = { id: carolFollowUri, type: "Follow", actor: env.carol.uri, object: env.alice.id };
        // bob (same server as alice) accepts a Follow that was not sent to him.
        await env.refused(() => env.deliver(env.bob, { "@context": AS, id: `${env.bob.id}/activities/accept-${env.next()}`, type: "Accept", actor: env.bob.id, object: followObject }), {
          status: 202, processing: true, log: /rejected Accept .*not the followee/,
        });
        // mallory accepts an invented Follow of carol's naming herself.
        await env.refused(() => env.deliver(env.mallory, { "@context": AS, id: `${env.mallory.id}/activities/accept-${env.next()}`, type: "Accept", actor: env.mallory.id, object: { id: `${env.herold.origin}/users/carol/activities/invented`, type: "Follow", actor: env.carol.uri, object: env.mallory.id } }), {
          status: 202, processing: true, debugLog: true, log: /ignored Accept .*not a Follow this server sent/,
        });
        // alice "accepts" something that is not a Follow.
        await env.refused(() => env.deliver(env.alice, { "@context": AS, id: `${env.alice.id}/activities/accept-${env.next()}`, type: "Accept", actor: env.alice.id, object: { id: carolFollowUri, type: "Like" } }), {
          status: 202, processing: true, debugLog: true, log: /ignored Accept .*not about a follow/,
        });
        assert.equal((await followState(env.carol.actorId, env.alice.id))?.state, "pending");
        // The genuine Accept.
        assert.equal((await env.deliver(env.alice, { "@context": AS, id: `${env.alice.id}/activities/accept-${env.next()}`, type: "Accept", actor: env.alice.id, object: carolFollowUri })).status, 202);
        await env.drain();
        assert.equal((await followState(env.carol.actorId, env.alice.id))?.state, "accepted");
      });

      test("dora approves followers: alice's Follow stays pending, and dora's followers-only posts skip her until approved", async () => {
        const created = await env.herold.ctx.services.accounts.create({ username: "dora" });
        assert.ok(created.ok);
        const dora = created.value;
        await env.herold.ctx.repos.accounts.updateProfile(dora.id, { manuallyApprovesFollowers: true }, new Date().toISOString());
        const follow = { "@context": AS, id: `${env.alice.id}/activities/follow-dora-${env.next()}`, type: "Follow", actor: env.alice.id, object: dora.uri };
        assert.equal((await env.deliver(env.alice, follow, { path: "/users/dora/inbox" })).status, 202);
        await env.drain();
        const aliceActor = await env.herold.ctx.repos.actors.findByUri(env.alice.id);
        const row = await env.herold.ctx.database.db.selectFrom("follows").select("state").where("follower_id", "=", aliceActor!.id).where("followee_id", "=", dora.actorId).executeTakeFirst();
        assert.equal(row?.state, "pending");
        // A second Follow, and an Accept "from" alice of her own Follow, do not approve anything.
        await env.refused(() => env.deliver(env.alice, { "@context": AS, id: `${env.alice.id}/activities/accept-${env.next()}`, type: "Accept", actor: env.alice.id, object: follow }, { path: "/users/dora/inbox" }), {
          status: 202, processing: true, debugLog: true, log: /ignored Accept .*not a Follow this server sent/,
        });

        const sharedInbox = `${env.peerA.origin}/inbox`;
        const before = await deliveredTo(sharedInbox);
        const first = await env.herold.ctx.posts.service.publish({ username: "dora", text: "for followers only", visibility: "followers" });
        assert.ok(first.ok, JSON.stringify(first));
        assert.equal(await deliveredTo(sharedInbox), before, "nothing delivered to a pending follower");
        assert.equal(await signedGet(first.value.uri, env.alice), 404, "a pending follower cannot fetch it either");

        assert.ok((await env.herold.ctx.social.follows.approve("dora", env.alice.id)).ok);
        const second = await env.herold.ctx.posts.service.publish({ username: "dora", text: "for followers, approved", visibility: "followers" });
        assert.ok(second.ok);
        assert.equal(await deliveredTo(sharedInbox), before + 2, "the Accept and the new post are delivered once approved");
        assert.equal(await signedGet(second.value.uri, env.alice), 200, "an accepted follower may fetch it");
        assert.equal(await signedGet(second.value.uri, env.bob), 404, "another actor on the same server may not");
        assert.equal(await signedGet(second.value.uri, null), 404, "nor may an unsigned request");
      });
    });

    describe("issue #10 item 7: a signed GET made for another server's host is not the signer's", () => {
      test("alice's signature for Host mastodon.social does not let a replay read erin's followers-only post", async () => {
        const created = await env.herold.ctx.services.accounts.create({ username: "erin" });
        assert.ok(created.ok);
        const follow = { "@context": AS, id: `${env.alice.id}/activities/follow-erin-${env.next()}`, type: "Follow", actor: env.alice.id, object: created.value.uri };
        assert.equal((await env.deliver(env.alice, follow, { path: "/users/erin/inbox" })).status, 202);
        await env.drain();
        const post = await env.herold.ctx.posts.service.publish({ username: "erin", text: "for erin's followers", visibility: "followers" });
        assert.ok(post.ok, JSON.stringify(post));
        const ours = new URL(post.value.uri).host;
        assert.equal(await signedGet(post.value.uri, env.alice, ours), 200, "control: signed for this server, alice may read it");
        const mark = logs.mark();
        assert.equal(await signedGet(post.value.uri, env.alice, "mastodon.social"), 401, "signed for (and sent with) another Host");
        logs.expect(mark, /signed for host "mastodon\.social"/, "the refusal's log line", "info");
      });
    });

    describe("case 18: blocked domains and blocked actors do not arrive through boosts, relays or forwards", () => {
      let malloryNote: Record<string, any>;
      let bobNote: Record<string, any>;
      const blockDomain = async (origin: string) =>
        await env.herold.ctx.database.db.insertInto("domain_blocks").values({ domain: new URL(origin).host, reason: "suspended", created_at: new Date().toISOString() }).execute();

      before(async () => {
        // Stored before the block: mallory's note (delivered to carol) and bob's note on peer A.
        malloryNote = env.create(env.mallory, { to: [AS + "#Public"], content: "<p>mallory before the suspension</p>" });
        assert.equal((await env.deliver(env.mallory, malloryNote)).status, 202);
        bobNote = { "@context": AS, id: `${env.bob.id}/notes/blocked-${env.next()}`, type: "Note", attributedTo: env.bob.id, to: [AS + "#Public"], content: "<p>bob, whom carol blocks</p>" };
        env.peerA.documents.set(new URL(bobNote["id"]).pathname, bobNote);
        await env.drain();
        assert.ok(await env.herold.ctx.repos.posts.findByUri(malloryNote.object.id));
        await blockDomain(env.peerB.origin);
        assert.ok((await env.herold.ctx.social.blocks.block("carol", env.bob.id)).ok);
      });

      const timelineOfCarol = async () => {
        const page = await env.herold.ctx.posts.timeline.list("carol", { limit: 200 });
        assert.ok(page.ok);
        return page.value.entries.map((e) => ({ uri: e.post.uri, author: e.author.uri, boostedBy: e.boostedBy?.uri ?? null }));
      };

      test("the suspended domain's own deliveries and forwards of them are refused at the door", async () => {
        const requests = env.peerB.server.requests.length;
        await env.refused(() => env.deliver(env.mallory, env.create(env.mallory)), { status: 403, log: /refused with 403: .* is a blocked domain/ });
        // alice forwards mallory's Create (signed by alice): the actor's domain decides, before any signature work.
        await env.refused(() => env.deliver(env.alice, env.create(env.mallory)), { status: 403, log: /refused with 403: .* is a blocked domain/ });
        assert.equal(env.peerB.server.requests.length, requests, "no request went to the blocked domain");
      });

      test("a boost by alice of a post on the suspended domain does not arrive, fetched or already stored", async () => {
        const requests = env.peerB.server.requests.length;
        for (const object of [malloryNote.object.id, `${env.mallory.id}/notes/never-seen-${env.next()}`]) {
          const boost = { "@context": AS, id: `${env.alice.id}/activities/boost-${env.next()}`, type: "Announce", actor: env.alice.id, to: [AS + "#Public"], object };
          await env.refused(() => env.deliver(env.alice, boost), { status: 202, processing: true, debugLog: true, log: /(ignored|rejected) Announce .*(blocked|blocks)/, what: object });
          assert.equal(await env.herold.ctx.repos.posts.findByUri(boost.id), null, "no boost stored");
        }
        assert.equal(env.peerB.server.requests.length, requests, "no request went to the blocked domain");
        assert.ok(!(await timelineOfCarol()).some((e) => e.author === env.mallory.id), "nothing of mallory's in carol's home timeline");
      });

      test("a group's Announce (relay) of the suspended domain's activity is refused", async () => {
        const inner = env.create(env.mallory);
        delete inner["@context"];
        const relay = { "@context": AS, id: `${env.alice.id}/activities/relay-${env.next()}`, type: "Announce", actor: env.alice.id, object: inner };
        await env.refused(() => env.deliver(env.alice, relay), { status: 202, processing: true, log: /rejected Announce\/Create .*blocked domain/ });
      });

      test("a Move to an actor on the suspended domain is refused; carol keeps following alice", async () => {
        const move = { "@context": AS, id: `${env.alice.id}/activities/move-${env.next()}`, type: "Move", actor: env.alice.id, object: env.alice.id, target: env.mallory.id };
        await env.refused(() => env.deliver(env.alice, move), { status: 202, processing: true, log: /rejected Move .*blocked/ });
        assert.equal((await followState(env.carol.actorId, env.alice.id))?.state, "accepted");
      });

      test("carol's block of bob holds against his own posts and against alice boosting him", async () => {
        await env.refused(() => env.deliver(env.bob, env.create(env.bob)), { status: 202, processing: true, debugLog: true, log: /ignored Create .*blocks/ });
        const boost = { "@context": AS, id: `${env.alice.id}/activities/boost-bob-${env.next()}`, type: "Announce", actor: env.alice.id, to: [AS + "#Public"], object: bobNote["id"] };
        assert.equal((await env.deliver(env.alice, boost)).status, 202);
        const [outcome] = await env.drain();
        assert.equal(outcome?.outcome.kind, "ignored", JSON.stringify(outcome));
        assert.equal(await env.herold.ctx.repos.posts.findByUri(boost.id), null, "no boost stored");
        assert.ok(!(await timelineOfCarol()).some((e) => e.author === env.bob.id), "nothing of bob's in carol's home timeline");
        const notifications = await env.herold.ctx.social.notifications.list("carol");
        assert.ok(notifications.ok && !notifications.value.some((n) => n.from.uri === env.bob.id), "no notification from bob");
        await env.genuineStillProcessed();
      });
    });
  });
}

/**
 * GET of a local post as ActivityPub, signed (draft-cavage, `(request-target) host date accept`) by
 * `as`, or unsigned when null; returns the status. With `host`, the request is signed for and sent
 * with that Host header (fetch always sends the URL's, so node:http sends this one).
 */
async function signedGet(url: string, as: { keyId: string; key: { privateKey: KeyObject } } | null, host?: string): Promise<number> {
  const target = new URL(url);
  const headers: Record<string, string> = { accept: "application/activity+json", date: new Date().toUTCString() };
  if (as !== null) {
    headers["signature"] = craftCavage({
      privateKey: as.key.privateKey,
      keyId: as.keyId,
      headers: ["(request-target)", "host", "date", "accept"],
      values: { "(request-target)": `get ${target.pathname}`, host: host ?? target.host, date: headers["date"]!, accept: headers["accept"]! },
    });
  }
  if (host === undefined) {
    const response = await fetch(url, { headers });
    await response.body?.cancel();
    return response.status;
  }
  return await new Promise((resolve, reject) => {
    const req = request(url, { headers: { ...headers, host } }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    req.on("error", reject);
    req.end();
  });
}
