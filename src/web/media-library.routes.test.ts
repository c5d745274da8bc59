import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import sharp from "sharp";
import { startTestInstance, type TestInstance } from "../testing/instance.ts";
import { setUpOwner, type WebClient } from "./testing/web-client.ts";

const png = (colour: string) => sharp({ create: { width: 24, height: 16, channels: 3, background: colour } }).png().toBuffer();

/**
 * Issue #12, item 13: the media library. Using an upload again shares its file (no copy); an
 * upload of another account is refused wherever an id can be sent; nothing in use can be deleted.
 */
describe("the media library", { timeout: 120_000 }, () => {
  let a: TestInstance;
  let owner: WebClient;
  let acmeActor = "";
  let brandMedia = "";
  const dataDir = () => a.ctx.config.dataDir;
  const mediaFiles = () => readdirSync(join(dataDir(), "media")).sort();

  before(async () => {
    a = await startTestInstance();
    owner = await setUpOwner(a, { email: "owner@acme.example", password: "owner's long password", account_username: "acme", account_name: "ACME" });
    acmeActor = (await a.ctx.repos.accounts.findByUsername("acme"))!.actorId;
    // Another account on the same server, which this person does not act for, with an upload.
    const brand = await a.ctx.services.accounts.create({ username: "brand", name: "Brand" });
    assert.ok(brand.ok);
    const stored = await a.ctx.posts.media.storeImage(brand.value.actorId, await png("#0000ff"), "Brand's secret launch poster");
    assert.ok(stored.ok);
    brandMedia = stored.value.id;
  });

  after(async () => {
    await a?.close();
  });

  const libraryIds = async () => (await a.ctx.posts.media.library(acmeActor, { limit: 100 })).map((i) => i.id);

  test("an empty library says so; another account's uploads are not listed", async () => {
    const page = await owner.get("/app/media");
    assert.equal(page.status, 200);
    assert.match(page.html, /No images yet/);
    assert.doesNotMatch(page.html, /Brand's secret/);
  });

  test("upload for later, then edit its alt text; bad alt text changes nothing", async () => {
    await owner.get("/app/media");
    const uploaded = await owner.post("/app/media", { alt: "Red square" }, { files: { image: { name: "red.png", type: "image/png", bytes: await png("#ff0000") } } });
    assert.equal(uploaded.status, 303, uploaded.html.slice(0, 300));
    const page = await owner.get("/app/media?done=uploaded");
    assert.match(page.html, /Image added to the library/);
    assert.match(page.html, /Red square/);
    assert.match(page.html, /24×16, /);
    assert.match(page.html, /Not used/);
    const [id] = await libraryIds();
    const thumbnail = await owner.request(`/app/media/${id}/file`);
    assert.equal(thumbnail.status, 200);
    assert.equal(thumbnail.headers.get("content-type"), "image/png");
    assert.equal((await owner.request(`/app/media/${brandMedia}/file`)).status, 404, "another account's file is not served");

    const described = await owner.post(`/app/media/${id}/alt`, { alt: "A red square on white" });
    assert.equal(described.status, 303);
    assert.match((await owner.get("/app/media")).html, /A red square on white/);
    const tooLong = await owner.post(`/app/media/${id}/alt`, { alt: "x".repeat(1501) });
    assert.equal(tooLong.status, 422);
    assert.match(tooLong.html, /longer than 1500/);
    assert.match((await owner.get("/app/media")).html, /A red square on white/);
    await owner.get("/app/media");
    assert.equal((await owner.post(`/app/media/${brandMedia}/alt`, { alt: "defaced" })).status, 404);
    const brandRow = await a.ctx.database.db.selectFrom("media").select("description").where("id", "=", brandMedia).executeTakeFirstOrThrow();
    assert.equal(brandRow.description, "Brand's secret launch poster");
  });

  test("use again: a new draft holds the same file, not a copy; the draft cannot lose the original's file", async () => {
    const [original] = await libraryIds();
    const before = mediaFiles();
    await owner.get("/app/media");
    const used = await owner.post(`/app/media/${original}/use`, {});
    assert.equal(used.status, 303);
    const draftId = /\/app\/compose\?draft=([0-9a-z]+)$/.exec(used.location ?? "")?.[1];
    assert.ok(draftId !== undefined, used.location ?? "");
    assert.deepEqual(mediaFiles(), before, "no file was written");
    const draft = await a.ctx.web.schedule.get({ id: (await a.ctx.repos.accounts.findByUsername("acme"))!.id }, draftId);
    assert.equal(draft?.media.length, 1);
    assert.equal(draft!.media[0]!.description, "A red square on white", "the alt text comes along");
    const rows = await a.ctx.database.db.selectFrom("media").select(["id", "file_path", "post_id"]).where("id", "in", [original!, draft!.media[0]!.id]).execute();
    assert.equal(rows.length, 2);
    assert.equal(rows[0]!.file_path, rows[1]!.file_path, "both rows name one file");
    // The composer shows the image of the draft.
    const compose = await owner.get(`/app/compose?draft=${draftId}`);
    assert.match(compose.html, new RegExp(`/app/drafts/${draftId}/media/${draft!.media[0]!.id}`));

    // In use by the draft: the draft's row cannot be deleted from the library.
    const page = await owner.get("/app/media");
    assert.match(page.html, /In a draft/);
    const refused = await owner.post(`/app/media/${draft!.media[0]!.id}/delete`, {});
    assert.equal(refused.status, 409);
    // Deleting the draft drops its row but keeps the file the original still uses.
    await owner.get("/app/drafts");
    const discarded = await owner.post(`/app/drafts/${draftId}/delete`, {});
    assert.ok(discarded.status === 303 || discarded.status === 200, String(discarded.status));
    assert.ok(existsSync(join(dataDir(), rows[0]!.file_path!)), "the shared file stays with the original");
    assert.deepEqual(await libraryIds(), [original]);
  });

  test("another account's upload is refused in the library and in the composer, and nothing is created", async () => {
    const draftsBefore = await a.ctx.database.db.selectFrom("drafts").select("id").execute();
    await owner.get("/app/media");
    const viaLibrary = await owner.post(`/app/media/${brandMedia}/use`, {});
    assert.equal(viaLibrary.status, 404);
    assert.match(viaLibrary.html, /not one of the account(&#39;|')s uploads/);
    await owner.get("/app/compose");
    const viaCompose = await owner.post("/app/compose", { text: "Look at this", visibility: "public", action: "draft", media_id: brandMedia });
    assert.equal(viaCompose.status, 422);
    assert.match(viaCompose.html, /not one of the account(&#39;|')s uploads/);
    assert.deepEqual(await a.ctx.database.db.selectFrom("drafts").select("id").execute(), draftsBefore);
    const brandRows = await a.ctx.database.db.selectFrom("media").select("id").where("file_path", "=", (await a.ctx.database.db.selectFrom("media").select("file_path").where("id", "=", brandMedia).executeTakeFirstOrThrow()).file_path).execute();
    assert.equal(brandRows.length, 1, "no row of acme names brand's file");
    await owner.get("/app/media");
    assert.equal((await owner.post(`/app/media/${brandMedia}/delete`, {})).status, 404);
    assert.ok((await a.ctx.database.db.selectFrom("media").select("id").where("id", "=", brandMedia).executeTakeFirst()) !== undefined);
  });

  test("compose with media_id of an own upload publishes the image; published images keep their alt text and cannot be deleted", async () => {
    const [original] = await libraryIds();
    await owner.get("/app/compose");
    const published = await owner.post("/app/compose", { text: "Our red square", visibility: "public", action: "publish", media_id: original! });
    assert.equal(published.status, 303, published.html.slice(0, 300));
    const page = await owner.get("/app/media");
    assert.match(page.html, /In a <a href="[^"]+">published post<\/a>/);
    assert.match(page.html, /Its alt text is part of the published post/);
    const postMedia = await a.ctx.database.db.selectFrom("media").select("id").where("actor_id", "=", acmeActor).where("post_id", "is not", null).executeTakeFirstOrThrow();
    assert.equal((await owner.post(`/app/media/${postMedia.id}/delete`, {})).status, 409);
    await owner.get("/app/media");
    assert.equal((await owner.post(`/app/media/${postMedia.id}/alt`, { alt: "changed" })).status, 409);
    // The unused original can be deleted, and its file goes with it.
    const file = (await a.ctx.database.db.selectFrom("media").select("file_path").where("id", "=", original!).executeTakeFirstOrThrow()).file_path!;
    await owner.get("/app/media");
    assert.equal((await owner.post(`/app/media/${original}/delete`, {})).status, 303);
    assert.ok(!existsSync(join(dataDir(), file)));
    assert.match((await owner.get("/app/media?done=removed")).html, /Image deleted/);
  });
});
