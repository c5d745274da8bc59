import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startTestInstance, type TestInstance } from "../testing/instance.ts";
import { suggest } from "./suggest.ts";

describe("hashtag suggestions", { timeout: 120_000 }, () => {
  let a: TestInstance;

  before(async () => {
    a = await startTestInstance({ worker: false });
    assert.ok((await a.ctx.services.accounts.create({ username: "acme" })).ok);
  });

  after(async () => {
    await a?.close();
  });

  test("a tag is offered in the case it was first written in, whatever the query's case", async () => {
    for (const text of ["#LaunchDay is here", "Another #launchday", "#LAUNCHDAY!!!", "#Launchpad open"]) {
      assert.ok((await a.ctx.posts.service.publish({ username: "acme", text })).ok);
    }
    const acme = (await a.ctx.repos.accounts.findByUsername("acme"))!;
    const items = await suggest({ db: a.ctx.database.db, posts: a.ctx.repos.posts }, { id: acme.actorId, uri: acme.uri }, "#lAuNcH", a.ctx.config.domain);
    assert.deepEqual(items.map((i) => i.insert), ["#LaunchDay", "#Launchpad"]);
    assert.deepEqual(items.map((i) => i.label), ["#LaunchDay", "#Launchpad"]);
  });
});
