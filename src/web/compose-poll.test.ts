import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import sharp from "sharp";
import type { Account } from "../account/account.entity.ts";
import { startTestInstance, type TestInstance } from "../testing/instance.ts";
import { signIn, WebClient } from "./testing/web-client.ts";

/**
 * The composer's poll and sensitive-media fields through the real app (no JavaScript): a poll is
 * saved with the draft and published with it; a refused poll keeps everything typed and saves
 * nothing; a poll and images together are refused before any image is stored.
 */
describe("compose: polls and sensitive media", { timeout: 120_000 }, () => {
  let a: TestInstance;
  let acme: Account;
  let owner: WebClient;

  before(async () => {
    a = await startTestInstance({ worker: false });
    assert.ok((await a.ctx.services.accounts.create({ username: "acme", name: "ACME" })).ok);
    acme = (await a.ctx.services.accounts.get("acme"))!;
    assert.ok((await a.ctx.web.users.create({ email: "owner@acme.example", password: "owner long password", accountUsername: "acme", role: "owner" })).ok);
    owner = await signIn(a, "owner@acme.example", "owner long password");
  });
  after(() => a?.close());

  const drafts = () => a.ctx.web.schedule.list(acme, ["draft", "scheduled", "failed", "published"]);
  const media = async () => Number((await a.ctx.database.db.selectFrom("media").select((eb) => eb.fn.countAll().as("n")).executeTakeFirst())?.n);

  test("the form offers a poll; a saved poll comes back in the draft and is published with the post", async () => {
    const page = await owner.get("/app/compose");
    assert.match(page.html, /<summary>Poll<\/summary>/);
    assert.match(page.html, /name="poll_duration"/);
    assert.match(page.html, /Mark media as sensitive/);
    const fields = { text: "Pick a colour", action: "draft", poll: "on", poll_option: ["Teal", "", "Plum", ""], poll_multiple: "on", poll_duration: "21600", sensitive: "on" };
    const saved = await owner.post("/app/compose", fields, { files: {} });
    assert.ok(saved.status < 400, saved.html.slice(0, 300));
    const draft = (await drafts()).find((d) => d.text === "Pick a colour");
    assert.deepEqual(draft?.poll, { options: ["Teal", "Plum"], multiple: true, durationSeconds: 21600 });
    assert.equal(draft?.sensitive, true);
    const edit = await owner.get(`/app/compose?draft=${draft!.id}`);
    assert.match(edit.html, /<details class="poll-compose" open>/);
    assert.match(edit.html, /value="Plum"/);
    assert.match(edit.html, /<option value="21600" selected>6 hours<\/option>/);
    const published = await a.ctx.web.schedule.publishNow(acme, { userId: null, role: "owner" }, draft!.id, { revision: draft!.revision });
    assert.ok(published.ok, published.ok ? "" : published.message);
    assert.deepEqual(published.value.poll?.options, [{ name: "Teal", votes: 0 }, { name: "Plum", votes: 0 }]);
    assert.equal(published.value.sensitive, true);
  });

  test("a refused poll keeps what was typed and saves nothing", async () => {
    const before = (await drafts()).length;
    const refused = await owner.post("/app/compose", { text: "Only one way", action: "draft", poll: "on", poll_option: ["Yes", ""], poll_duration: "3600" }, { files: {} });
    assert.equal(refused.status, 422);
    assert.match(refused.html, /A poll needs at least two options\./);
    assert.match(refused.html, /Only one way/);
    assert.match(refused.html, /value="Yes"/);
    assert.match(refused.html, /<details class="poll-compose" open>/);
    assert.equal((await drafts()).length, before);
  });

  test("a poll and an image together are refused: no draft, the image held and shown again (nothing entered is lost)", async () => {
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: "#00aa00" } }).png().toBuffer();
    const [draftsBefore, mediaBefore] = [(await drafts()).length, await media()];
    const refused = await owner.post(
      "/app/compose",
      { text: "Vote and look", action: "draft", poll: "on", poll_option: ["A", "B"], poll_duration: "3600", image_alt_0: "green" },
      { files: { image_0: { name: "g.png", type: "image/png", bytes: png } } },
    );
    assert.equal(refused.status, 422);
    assert.match(refused.html, /either images or a poll/);
    // A refused submit keeps its images (issue #12, item 2): held for this person, not a draft's.
    assert.deepEqual([(await drafts()).length, await media()], [draftsBefore, mediaBefore + 1]);
    assert.match(refused.html, /name="held_media"/);
  });
});
