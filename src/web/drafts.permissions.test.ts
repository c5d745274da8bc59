import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import sharp from "sharp";
import type { Account } from "../account/account.entity.ts";
import { startTestInstance, type TestInstance } from "../testing/instance.ts";
import { signIn, WebClient } from "./testing/web-client.ts";

/**
 * Issue #10, item 2: who may change a scheduled post. Editing or deleting a scheduled post needs the
 * publish permission; an author changes only their own unscheduled drafts; every change records who
 * made it; the scheduler publishes what the permitted person saved.
 */
describe("drafts and scheduled posts: who may change them", { timeout: 120_000 }, () => {
  let a: TestInstance;
  let acme: Account;
  let publisher: WebClient;
  let ann: WebClient; // author
  let bob: WebClient; // author
  const ids: Record<string, string> = {};

  before(async () => {
    a = await startTestInstance({ worker: false });
    assert.ok((await a.ctx.services.accounts.create({ username: "acme", name: "ACME" })).ok);
    acme = (await a.ctx.services.accounts.get("acme"))!;
    for (const [email, role] of [["owner@acme.example", "owner"], ["pia@acme.example", "publisher"], ["ann@acme.example", "author"], ["bob@acme.example", "author"]] as const) {
      const created = await a.ctx.web.users.create({ email, password: `${email} long password`, accountUsername: "acme", role });
      assert.ok(created.ok);
      ids[email] = created.value.id;
    }
    publisher = await signIn(a, "pia@acme.example", "pia@acme.example long password");
    ann = await signIn(a, "ann@acme.example", "ann@acme.example long password");
    bob = await signIn(a, "bob@acme.example", "bob@acme.example long password");
  });

  after(async () => {
    await a?.close();
  });

  const draftByText = async (text: string) => (await a.ctx.web.schedule.list(acme, ["draft", "scheduled", "failed", "published"])).find((d) => d.text === text)!;

  test("an author cannot change, reschedule or delete a scheduled post; the scheduler publishes the publisher's version", async () => {
    await publisher.get("/app/compose");
    const scheduled = await publisher.post("/app/compose", { text: "Launch at noon", visibility: "public", schedule_date: "2099-05-01", schedule_time: "12:00", action: "schedule" }, { files: {} });
    assert.match(scheduled.location ?? "", /^\/app\/calendar\?done=scheduled&draft=\w+$/);
    const post = await draftByText("Launch at noon");
    assert.equal(post.state, "scheduled");

    // The draft id is on the drafts page; the author opens the post and saves their own version.
    const list = await ann.get("/app/drafts");
    assert.match(list.html, new RegExp(`/app/compose\\?draft=${post.id}">View<`));
    assert.doesNotMatch(list.html, new RegExp(`/app/drafts/${post.id}/delete`));
    const page = await ann.get(`/app/compose?draft=${post.id}`);
    assert.match(page.html, /only a publisher can change it/);
    const hijack = await ann.post("/app/compose", { draft_id: post.id, text: "Buy crypto now", visibility: "direct", quote: "https://attacker.invalid/1", reply_to: "https://attacker.invalid/2", action: "draft" }, { files: {} });
    assert.equal(hijack.status, 403);
    assert.match(hijack.html, /only a publisher can change/);
    await ann.get("/app/drafts");
    assert.equal((await ann.post(`/app/drafts/${post.id}/delete`, {})).status, 403);
    assert.equal((await ann.post(`/app/drafts/${post.id}/cancel`, {})).status, 403);
    assert.equal((await ann.post(`/app/drafts/${post.id}/reschedule`, { schedule_date: "2099-05-02", schedule_time: "08:00" })).status, 403);
    const unchanged = (await a.ctx.web.schedule.get(acme, post.id))!;
    assert.deepEqual(
      { state: unchanged.state, text: unchanged.text, visibility: unchanged.visibility, quote: unchanged.quote, replyTo: unchanged.replyTo, at: unchanged.scheduledAt },
      { state: "scheduled", text: "Launch at noon", visibility: "public", quote: null, replyTo: null, at: post.scheduledAt },
    );

    // A publisher may change it; the worker publishes exactly that version.
    await publisher.get(`/app/compose?draft=${post.id}`);
    const edited = await publisher.post("/app/compose", { draft_id: post.id, text: "Launch at noon, with cake", visibility: "unlisted", action: "draft" }, { files: {} });
    assert.equal(edited.status, 303);
    assert.equal(await a.ctx.web.schedule.runScheduled({ draftId: post.id, scheduledAt: post.scheduledAt! }), "published");
    const published = (await a.ctx.web.schedule.get(acme, post.id))!;
    const row = (await a.ctx.repos.posts.findById(published.postId!))!;
    assert.equal(row.sourceText, "Launch at noon, with cake");
    assert.equal(row.visibility, "unlisted");
  });

  test("an author changes and deletes only their own drafts, and not once a publisher scheduled them", async () => {
    await ann.get("/app/compose");
    assert.equal((await ann.post("/app/compose", { text: "Ann's idea", action: "draft" }, { files: {} })).status, 303);
    const own = await draftByText("Ann's idea");
    // Another author cannot overwrite or delete it.
    await bob.get(`/app/compose?draft=${own.id}`);
    assert.equal((await bob.post("/app/compose", { draft_id: own.id, text: "Bob's version", action: "draft" }, { files: {} })).status, 403);
    await bob.get("/app/drafts");
    assert.equal((await bob.post(`/app/drafts/${own.id}/delete`, {})).status, 403);
    // Its writer can.
    await ann.get(`/app/compose?draft=${own.id}`);
    assert.equal((await ann.post("/app/compose", { draft_id: own.id, text: "Ann's better idea", action: "draft" }, { files: {} })).status, 303);
    assert.equal((await a.ctx.web.schedule.get(acme, own.id))?.text, "Ann's better idea");

    // Once a publisher schedules it, it is no longer the author's to change.
    await publisher.get("/app/drafts");
    assert.equal((await publisher.post(`/app/drafts/${own.id}/reschedule`, { schedule_date: "2099-06-01", schedule_time: "09:00" })).status, 303);
    await ann.get(`/app/compose?draft=${own.id}`);
    assert.equal((await ann.post("/app/compose", { draft_id: own.id, text: "Ann's late change", action: "draft" }, { files: {} })).status, 403);
    await ann.get("/app/drafts");
    assert.equal((await ann.post(`/app/drafts/${own.id}/delete`, {})).status, 403);
    assert.equal((await a.ctx.web.schedule.get(acme, own.id))?.text, "Ann's better idea");

    // Unscheduled again, the author may delete it.
    await publisher.get("/app/drafts");
    assert.equal((await publisher.post(`/app/drafts/${own.id}/cancel`, {})).status, 303);
    await ann.get("/app/drafts");
    assert.equal((await ann.post(`/app/drafts/${own.id}/delete`, {})).status, 303);
    assert.equal(await a.ctx.web.schedule.get(acme, own.id), null);
  });

  test("every change records who made it and when; the history outlives the draft", async () => {
    await ann.get("/app/compose");
    assert.equal((await ann.post("/app/compose", { text: "History v1", action: "draft" }, { files: {} })).status, 303);
    const draft = await draftByText("History v1");
    await publisher.get(`/app/compose?draft=${draft.id}`);
    assert.equal((await publisher.post("/app/compose", { draft_id: draft.id, text: "History v2", action: "draft" }, { files: {} })).status, 303);
    const current = (await a.ctx.web.schedule.get(acme, draft.id))!;
    assert.equal(current.updatedBy, ids["pia@acme.example"]);
    assert.equal(current.userId, ids["ann@acme.example"], "the writer stays the writer");
    await publisher.get("/app/drafts");
    assert.equal((await publisher.post(`/app/drafts/${draft.id}/reschedule`, { schedule_date: "2099-07-01", schedule_time: "10:00" })).status, 303);
    assert.equal((await publisher.post(`/app/drafts/${draft.id}/cancel`, {})).status, 303);
    assert.equal((await publisher.post(`/app/drafts/${draft.id}/delete`, {})).status, 303);

    const history = await a.ctx.web.schedule.changes(acme, draft.id);
    assert.deepEqual(
      history.map((h) => [h.kind, h.userId, h.content?.text ?? null]),
      [
        ["created", ids["ann@acme.example"], "History v1"],
        ["edited", ids["pia@acme.example"], "History v2"],
        ["scheduled", ids["pia@acme.example"], null],
        ["cancelled", ids["pia@acme.example"], null],
        ["deleted", ids["pia@acme.example"], null],
      ],
    );
    assert.ok(history.every((h) => !Number.isNaN(Date.parse(h.createdAt))));
    assert.deepEqual(history.map((h) => h.revision), [1, 2, 2, 2, 2]);
    assert.equal(history[2]!.scheduledAt, "2099-07-01T10:00:00.000Z");
  });

  test("publish now from the drafts list publishes only the version the publisher saw", async () => {
    await ann.get("/app/compose");
    assert.equal((await ann.post("/app/compose", { text: "Seen by the publisher", action: "draft" }, { files: {} })).status, 303);
    const draft = await draftByText("Seen by the publisher");
    const list = await publisher.get("/app/drafts");
    assert.match(list.html, new RegExp(`action="/app/drafts/${draft.id}/publish">[^]*?name="revision" value="${draft.revision}"`));
    // The author changes it after the publisher loaded the list.
    await ann.get(`/app/compose?draft=${draft.id}`);
    assert.equal((await ann.post("/app/compose", { draft_id: draft.id, text: "Changed behind the publisher's back", action: "draft" }, { files: {} })).status, 303);
    const stale = await publisher.post(`/app/drafts/${draft.id}/publish`, { revision: String(draft.revision) });
    assert.equal(stale.status, 409);
    assert.match(stale.html, /changed since you opened it/);
    assert.equal((await a.ctx.web.schedule.get(acme, draft.id))?.state, "draft");
  });
  test("failures map by kind: a draft that cannot be published as it is is 422, cancelling what is not scheduled 409", async () => {
    await ann.get("/app/compose");
    // Drafts may be empty (notes to fill in later); publishing one is refused for its content.
    assert.equal((await ann.post("/app/compose", { text: "", action: "draft" }, { files: {} })).status, 303);
    const draft = (await a.ctx.web.schedule.list(acme, ["draft"])).find((d) => d.text === "" && d.media.length === 0)!;
    assert.ok(draft);
    await publisher.get("/app/drafts");
    const refused = await publisher.post(`/app/drafts/${draft.id}/publish`, { revision: String(draft.revision) });
    assert.equal(refused.status, 422);
    assert.equal((await a.ctx.web.schedule.get(acme, draft.id))?.state, "failed"); // kept, with the reason, not published
    await publisher.get("/app/drafts");
    const cancel = await publisher.post(`/app/drafts/${draft.id}/cancel`, {});
    assert.equal(cancel.status, 409);
  });

  test("an author sees only what the role allows, and every refusal is a page of the app with its navigation", async () => {
    const isAppPage = (page: { html: string }) => /<nav aria-label="Main">/.test(page.html) && /role="alert"/.test(page.html);
    // The profile is shown read-only with the reason, without a Save button to be refused after.
    const profile = await ann.get("/app/profile");
    assert.match(profile.html, /your role \(author\) does not change it/);
    assert.match(profile.html, /<fieldset class="plain" disabled/);
    assert.doesNotMatch(profile.html, />Save profile</);
    // The composer offers no schedule or publish to an author, and says who does.
    const compose = await ann.get("/app/compose");
    assert.doesNotMatch(compose.html, /value="schedule"|value="publish"/);
    assert.match(compose.html, /a publisher schedules and publishes them/);
    // The refusals a forged form would meet: pages with the navigation and the reason.
    const saved = await ann.post("/app/compose", { text: "Ann's idea", action: "draft" }, { files: {} });
    assert.equal(saved.status, 303);
    const idea = await draftByText("Ann's idea");
    await ann.get("/app/drafts");
    for (const [path, fields] of [["/app/interact", { action: "like", url: "https://example.org/x" }], [`/app/drafts/${idea.id}/publish`, {}], [`/app/drafts/${idea.id}/cancel`, {}], ["/app/followers/approve", { actor: "x" }], ["/app/follow", { target: "x" }], ["/app/switch", { account: "nobody" }]] as const) {
      const refused = await ann.post(path, fields);
      assert.equal(refused.status, 403, path);
      assert.ok(isAppPage(refused), `${path} answers a page of the app`);
    }
    const forged = await ann.post("/app/settings", { time_zone: "UTC" }, { csrf: "forged" });
    assert.equal(forged.status, 403);
    // Checked before the session's memberships are read: the app's layout and a way back, no navigation.
    assert.match(forged.html, /<header class="app-header">[\s\S]*role="alert">The form has expired[^<]*CSRF check failed[\s\S]*href="\/app">Back to Home/);
    const signedOut = await new WebClient(a.origin).post("/app/compose", { text: "x" }, { csrf: null });
    assert.equal(signedOut.status, 401);
    assert.match(signedOut.html, /Your session has ended; sign in again\.[\s\S]*href="\/app\/login"/);
    // The roles are explained where people see theirs.
    assert.match((await ann.get("/app/settings")).html, /<dt>author<\/dt><dd>writes drafts/);
    const members = await ann.get("/app/members");
    assert.match(members.html, /<td>publisher<\/td><td>publishes, schedules/);
    assert.doesNotMatch(members.html, /pia@acme\.example/, "addresses only for those who manage people");
    assert.match(members.html, /Owners and admins add people/);
  });

  test("images held from a refused submit are shown to and adopted by their person only", async () => {
    const png = await sharp({ create: { width: 12, height: 12, channels: 3, background: "#884400" } }).png().toBuffer();
    await ann.get("/app/compose");
    const refused = await ann.post("/app/compose", { text: "y".repeat(501), action: "draft" }, { files: { image_0: { name: "a.png", type: "image/png", bytes: png } } });
    assert.equal(refused.status, 422);
    const held = /name="held_media" value="(\w+)"/.exec(refused.html)?.[1];
    assert.ok(held, "the refused page carries the held image");
    assert.equal((await ann.request(`/app/compose/held/${held}`)).status, 200);
    assert.equal((await publisher.request(`/app/compose/held/${held}`)).status, 404, "not another person's");
    // A colleague who names the id adopts nothing; the owner's next save adopts it once.
    await publisher.get("/app/compose");
    assert.equal((await publisher.post("/app/compose", { text: "Pia's post", held_media: held, action: "draft" }, { files: {} })).status, 303);
    assert.deepEqual((await draftByText("Pia's post")).media, []);
    await ann.get("/app/compose");
    assert.equal((await ann.post("/app/compose", { text: "Ann's image post", held_media: held, [`alt_${held}`]: "Brown square", action: "draft" }, { files: {} })).status, 303);
    assert.deepEqual((await draftByText("Ann's image post")).media, [{ id: held, description: "Brown square" }]);
    assert.equal((await ann.request(`/app/compose/held/${held}`)).status, 404, "adopted: no longer held");
  });
});
