import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { describeEachEngine } from "../testing/databases.ts";
import { ReportRepository } from "./report.repository.ts";
import { createSocialHarness, type SocialHarness } from "./testing/social-harness.ts";

describeEachEngine("flags", (getDb) => {
  let h: SocialHarness;
  let reports: ReportRepository;
  before(async () => {
    h = await createSocialHarness(getDb());
    reports = new ReportRepository(h.base.database.db);
  });
  after(async () => {
    await h.close();
  });

  test("a Flag about a local account and its posts is kept as a report with its local objects and plain-text comment", async () => {
    const shop = await h.addAccount("shop");
    const post = await h.addPost(shop);
    const gone = await h.addPost(shop, { state: "deleted" });
    const mod = await h.addRemote("actor", "mastodon.example");
    const flag = {
      type: "Flag",
      id: "https://mastodon.example/ccb4f39a",
      actor: mod.uri,
      content: "Please <b>look</b>\u202e at this\n\naccount",
      object: [shop.uri, post.uri, gone.uri, "https://elsewhere.example/posts/1", h.urls.post("shop", "01eeeeeeeeeeeeeeeeeeeeeeee")],
      to: shop.uri,
    };
    assert.deepEqual(await h.receive(mod, flag), { kind: "processed" });
    const report = await reports.findByUri(flag.id);
    assert.equal(report?.reporterId, mod.id);
    assert.equal(report?.targetActorId, shop.actorId);
    assert.deepEqual(report?.objectUris, [shop.uri, post.uri, gone.uri]);
    assert.equal(report?.content, "Please look at this account");
    assert.equal((await h.receive(mod, flag)).kind, "ignored", "the same Flag is stored once");
  });

  test("a Flag that names a post only targets its author; one naming nothing local is ignored", async () => {
    const cafe = await h.addAccount("cafe");
    const post = await h.addPost(cafe);
    const mod = await h.addRemote("mod", "mbin.example");
    assert.deepEqual(await h.receive(mod, { type: "Flag", id: "https://mbin.example/reports/1", actor: mod.uri, object: post.uri, summary: "spam" }), { kind: "processed" });
    const report = await reports.findByUri("https://mbin.example/reports/1");
    assert.equal(report?.targetActorId, cafe.actorId);
    assert.equal(report?.content, "spam");

    for (const [id, object] of [["2", ["https://lemmy-test/post/4", "https://lemmy-test/u/x"]], ["3", "https://herold.test/users/nobody"], ["4", 17]] as const) {
      const outcome = await h.receive(mod, { type: "Flag", id: `https://mbin.example/reports/${id}`, actor: mod.uri, object });
      assert.equal(outcome.kind, "ignored");
      assert.equal(await reports.findByUri(`https://mbin.example/reports/${id}`), null);
    }
  });
});
