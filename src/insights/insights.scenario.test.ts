import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Clock } from "../lib/time.ts";
import { ENGINES } from "../testing/databases.ts";
import { eventually, startTestInstances, type TestInstance } from "../testing/instance.ts";
import { localDayOf, startOfLocalDay } from "./insights.zone.ts";

/**
 * Issue #14's scenario between real Herold instances on loopback ports: accounts on two other
 * instances follow, like, boost, reply, quote, undo, unfollow and re-follow; an activity is
 * delivered twice (shared and personal inbox); `herold stats --json` must give exactly the expected
 * figures per day and in total, and the previous period across a local midnight of a zone 5:30
 * ahead of UTC. All three instances run on one clock shifted from real time (the fake clock), so
 * every timestamp — signatures, receipts, replies' publication — is on the same time line, and the
 * writes go through the instances' services on that clock (a CLI process would use real time).
 */

const WAIT_MS = 30_000;
const ZONE = "Asia/Kolkata";

/** Real time plus an offset the test moves: time keeps running, so leases and retries behave. */
class ShiftedClock implements Clock {
  offsetMs = 0;
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
  /** Shifts so that now() is `at`. */
  setTo(at: number): void {
    this.offsetMs = at - Date.now();
  }
}

for (const engine of ENGINES) {
  describe(`insights between instances [${engine}]`, () => {
    const clock = new ShiftedClock();
    let a: TestInstance;
    let b: TestInstance;
    let c: TestInstance;
    let midnight = 0;

    before(async () => {
      // The next local midnight in Kolkata at least an hour from now; the scenario starts 20 minutes before it.
      midnight = startOfLocalDay(localDayOf(Date.now() + 3_600_000, ZONE) + 1, ZONE);
      clock.setTo(midnight - 20 * 60_000);
      // The shift is up to a day; peers' signatures must stay inside the window on either side.
      const env = { HEROLD_SIGNATURE_WINDOW_SECONDS: "86400" };
      [a, b, c] = (await startTestInstances([{ engine, clock, env }, { engine, clock, env }, { engine, clock, env }])) as [TestInstance, TestInstance, TestInstance];
    });
    after(async () => {
      await Promise.all([a, b, c].map((instance) => instance?.close()));
    });

    const cli = async (instance: TestInstance, ...argv: string[]) => {
      const r = await instance.cli(...argv);
      assert.equal(r.code, 0, `${argv.join(" ")}: ${r.err}`);
      return r.out;
    };
    const okValue = <T>(r: { ok: true; value: T } | { ok: false; message: string }): T => {
      if (!r.ok) assert.fail(r.message);
      return r.value;
    };
    /** Every instance has delivered and processed everything it was sent. */
    const quiet = () =>
      eventually(
        async () => {
          for (const instance of [a, b, c]) {
            const depth = await instance.ctx.queue.depth();
            for (const queue of ["deliver", "inbox", "federate"]) {
              const d = depth[queue];
              if (d !== undefined && d.ready + d.delayed + d.running > 0) return false;
            }
          }
          return true;
        },
        WAIT_MS,
        "all deliveries and inbound activities to be processed",
      );
    const follow = async (instance: TestInstance, who: string) => okValue(await instance.ctx.social.follows.follow(who, `acme@${a.domain}`));
    const stats = async (...argv: string[]) => JSON.parse(await cli(a, "stats", "acme", ...argv, "--json"));

    test("follows, likes, boosts, replies, quotes, undos, an unfollow, a re-follow and a repeated delivery, per local day", async () => {
      for (const [instance, names] of [[a, ["acme"]], [b, ["bo", "bea"]], [c, ["cy"]]] as const) for (const name of names) await cli(instance, "account", "create", name);
      await cli(a, "account", "time-zone", "acme", ZONE);
      const dateOf = (ms: number) => new Date(ms + 5.5 * 3_600_000).toISOString().slice(0, 10);
      const [d1, d2] = [dateOf(midnight - 60_000), dateOf(midnight + 60_000)];

      // Day 1 (Kolkata), the last 20 minutes before midnight.
      for (const [instance, who] of [[b, "bo"], [b, "bea"], [c, "cy"]] as const) await follow(instance, who);
      await quiet();
      const post = okValue(await a.ctx.posts.service.publish({ username: "acme", text: "Launch day #launch" }));
      await quiet();
      okValue(await b.ctx.posts.interactions.like("bo", post.uri));
      okValue(await b.ctx.posts.interactions.like("bea", post.uri));
      okValue(await c.ctx.posts.interactions.boost("cy", post.uri));
      okValue(await b.ctx.posts.service.publish({ username: "bo", text: "Congratulations!", replyTo: post.uri }));
      okValue(await c.ctx.posts.service.publish({ username: "cy", text: "Worth reading", quote: post.uri }));
      await quiet();
      okValue(await b.ctx.posts.interactions.unlike("bea", post.uri));
      okValue(await b.ctx.social.follows.unfollow("bea", `acme@${a.domain}`));
      await quiet();
      // bo's Like once more, to acme's personal inbox this time (the first went to the shared one).
      const bo = await b.ctx.repos.accounts.findByUsername("bo");
      assert.ok(bo);
      const like = await b.ctx.federationModule.outbox.latestAbout(bo.actorId, post.uri, "Like");
      assert.ok(like, "bo's Like is in bo's outbox");
      assert.equal(await b.ctx.delivery.port.enqueue({ outboxActivityId: like.id, accountId: bo.id, inboxes: [`${a.origin}/users/acme/inbox`] }), 1);
      await quiet();
      assert.ok(clock.now().getTime() < midnight, "day 1's part ran before midnight");

      // Day 2: just after midnight.
      clock.setTo(midnight + 5 * 60_000);
      await follow(b, "bea");
      await quiet();
      okValue(await b.ctx.posts.interactions.boost("bo", post.uri));
      okValue(await c.ctx.posts.interactions.like("cy", post.uri));
      await quiet();

      const zero = { likes: 0, boosts: 0, replies: 0, quotes: 0, reactions: 0, interactions: 0, followersGained: 0, followersLost: 0, followersNet: 0, followers: 0, pageViews: 0 };
      const first = { ...zero, likes: 1, boosts: 1, replies: 1, quotes: 1, interactions: 4, followersGained: 3, followersLost: 1, followersNet: 2, followers: 2 };
      const second = { ...zero, likes: 1, boosts: 1, interactions: 2, followersGained: 1, followersNet: 1, followers: 3 };

      // The followers' servers' NodeInfo is fetched by a queued job when they first follow.
      await eventually(async () => (await a.ctx.federationModule.serverSoftware.softwareOf([b.domain, c.domain])).size === 2, 20_000, "both servers' software");
      const both = await stats("--from", d1, "--to", d2);
      assert.deepEqual([both.from, both.to], [d1, d2]);
      assert.deepEqual(both.days, [{ date: d1, ...first }, { date: d2, ...second }]);
      assert.deepEqual(both.totals, { ...zero, likes: 2, boosts: 2, replies: 1, quotes: 1, interactions: 6, followersGained: 4, followersLost: 1, followersNet: 3, followers: 3 });
      assert.equal(both.posts.length, 1);
      assert.deepEqual(both.posts[0], {
        uri: post.uri, publishedAt: post.publishedAt, likes: 2, boosts: 2, replies: 1, quotes: 1, reactions: 0, interactions: 6,
        // Accounts: bo and cy (bea took her like back).
        // Delivered: the post's Create was accepted by both follower servers (B and C).
        accounts: 2, servers: 2, deliveredServers: 2, failedServers: 0, pendingServers: 0,
      });
      assert.deepEqual(both.servers, [
        { host: b.domain, software: "herold", followers: 2, interactions: 3 },
        { host: c.domain, software: "herold", followers: 1, interactions: 3 },
      ].sort((x, y) => y.followers - x.followers || y.interactions - x.interactions || x.host.localeCompare(y.host)));

      // The previous period across the local midnight: day 2 beside day 1.
      const today = await stats("--from", d2, "--to", d2);
      assert.deepEqual(today.totals, second);
      assert.deepEqual(today.previous, first);
      // The same through the service on the instance's clock: "the last day" is day 2.
      const report = okValue(await a.ctx.insights.queries.report((await a.ctx.repos.accounts.findByUsername("acme"))!.id, { kind: "days", days: 1 }));
      assert.deepEqual([report.from, report.totals, report.previous], [d2, second, first]);
      assert.equal(report.timeZone, ZONE);
      // What only the pages show: hashtags, top posts, the heat map over the whole history, churn.
      const two = okValue(await a.ctx.insights.queries.report((await a.ctx.repos.accounts.findByUsername("acme"))!.id, { kind: "range", from: d1, to: d2 }));
      assert.deepEqual(two.hashtags, [{ tag: "launch", posts: 1, interactions: 6 }]);
      assert.deepEqual(two.topByInteractions.map((p) => [p.uri, p.interactions]), [[post.uri, 6]]);
      assert.equal(two.heatMap.flat().reduce((n, v) => n + v, 0), 6);
      assert.equal(two.bestHours[0]?.interactions, 4, "day 1's last 20 minutes are one hour of the week");
      assert.equal(two.churn, 0, "nobody followed at the start of day 1");
      assert.deepEqual(two.software, [{ software: "herold", servers: 2, followers: 3, interactions: 6 }]);
      // CSV: the days table, one row per day.
      const csv = (await cli(a, "stats", "acme", "--from", d1, "--to", d2, "--csv")).split("\r\n");
      assert.deepEqual(csv.slice(1), [`${d1},1,1,1,1,0,4,3,1,2,2,0`, `${d2},1,1,0,0,0,2,1,0,1,3,0`]);
      assert.equal(await cli(a, "repair"), "All counters are correct.");
    });
  });
}
