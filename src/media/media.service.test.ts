import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { crc32 } from "node:zlib";
import { Hono } from "hono";
import sharp from "sharp";
import { ManualClock } from "../lib/time.ts";
import { newId } from "../lib/id.ts";
import { describeEachEngine } from "../testing/databases.ts";
import { mediaRoutes } from "./media.routes.ts";
import { isStoredFilePath, storedFileName, storedFilePath } from "./media.entity.ts";
import { MediaService, sniffFormat } from "./media.service.ts";
import type { AppContext } from "../app/context.ts";

const clock = new ManualClock("2026-03-01T10:00:00.000Z");

async function jpegWithExif(width: number, height: number): Promise<Buffer> {
  return await sharp({ create: { width, height, channels: 3, background: { r: 200, g: 100, b: 50 } } })
    .jpeg()
    .withExif({ IFD0: { Artist: "Secret Photographer", Copyright: "GPS 52.5200 N 13.4050 E" } })
    .withMetadata({ orientation: 6 })
    .toBuffer();
}

/** A PNG whose header claims `width` × `height` pixels, with almost no data: a decompression bomb's shape. */
function pngClaiming(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", ihdr), chunk("IDAT", Buffer.from([0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01])), chunk("IEND", Buffer.alloc(0))]);
}

test("sniffFormat recognises only the allow-listed formats by their first bytes", () => {
  assert.equal(sniffFormat(Buffer.from([0xff, 0xd8, 0xff, 0xe0])), "jpeg");
  assert.equal(sniffFormat(pngClaiming(1, 1)), "png");
  assert.equal(sniffFormat(Buffer.from("GIF89a....")), "gif");
  assert.equal(sniffFormat(Buffer.from("RIFF\0\0\0\0WEBPVP8 ")), "webp");
  assert.equal(sniffFormat(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>')), null);
  assert.equal(sniffFormat(Buffer.from("%PDF-1.7")), null);
  assert.equal(sniffFormat(Buffer.from([0x49, 0x49, 0x2a, 0x00])), null); // TIFF
});

describeEachEngine("media uploads", (getDb) => {
  let dataDir: string;
  let inputDir: string;
  let service: MediaService;
  let actorId: string;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "herold-media-data-"));
    inputDir = mkdtempSync(join(tmpdir(), "herold-media-input-"));
    const { db } = getDb().database;
    service = new MediaService({ db, dataDir, clock, limits: { maxBytes: 2 * 1024 * 1024, maxPixels: 4_000_000, maxDimension: 400 } });
    actorId = newId();
    await db
      .insertInto("actors")
      .values({ id: actorId, uri: "https://herold.test/users/alice", is_local: 1, type: "Person", username: "alice", domain: "herold.test", created_at: clock.now().toISOString(), updated_at: clock.now().toISOString() })
      .execute();
  });
  after(() => {
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(inputDir, { recursive: true, force: true });
  });

  const write = (name: string, bytes: Buffer | string): string => {
    const path = join(inputDir, name);
    writeFileSync(path, bytes);
    return path;
  };

  test("a JPEG is rotated upright, resized, stripped of EXIF and stored under a generated name", async () => {
    const input = await jpegWithExif(800, 600);
    const original = await sharp(input).metadata();
    assert.deepEqual([original.orientation, input.includes(Buffer.from("Secret Photographer"))], [6, true], "the test input carries EXIF");
    const path = write("..holiday; rm -rf ~.jpg", input);
    const result = await service.storeImageFile(actorId, path, "  A lighthouse\nat dusk  ");
    assert.ok(result.ok, !result.ok ? result.message : "");
    const media = result.value;
    assert.match(media.fileName, /^[0-9a-z]{26}\.jpg$/);
    assert.equal(media.filePath, `media/${media.fileName}`);
    assert.deepEqual(readdirSync(join(dataDir, "media")).filter((f) => f === media.fileName), [media.fileName]);
    assert.equal(media.mimeType, "image/jpeg");
    assert.equal(media.description, "A lighthouse at dusk");
    // Orientation 6 (90° clockwise) applied, then resized to the 400 px maximum.
    assert.deepEqual([media.width, media.height], [300, 400]);
    const stored = readFileSync(join(dataDir, media.filePath));
    const metadata = await sharp(stored).metadata();
    assert.equal(metadata.exif, undefined);
    assert.equal(metadata.orientation, undefined);
    assert.ok(!stored.includes(Buffer.from("Secret Photographer")));
    const row = await getDb().database.db.selectFrom("media").selectAll().where("id", "=", media.id).executeTakeFirstOrThrow();
    assert.deepEqual([row.actor_id, row.post_id, row.kind, row.file_path, row.width, row.height], [actorId, null, "image", media.filePath, 300, 400]);
  });

  test("a draft's files: by media id, only this actor's unattached media, the one path derivation (and its inverse)", async () => {
    const stored = await service.storeImage(actorId, await jpegWithExif(40, 30), null);
    assert.ok(stored.ok);
    const media = stored.value;
    assert.equal(media.filePath, storedFilePath(media.fileName));
    assert.equal(storedFileName({ file_path: media.filePath }), media.fileName);
    assert.ok(isStoredFilePath(media.filePath) && !isStoredFilePath(`../${media.filePath}`) && !isStoredFilePath(`media/../${media.fileName}`));
    const files = await service.unattachedFiles(actorId, [media.id, "no-such-media"]);
    assert.deepEqual([...files], [[media.id, join(dataDir, media.filePath)]]);
    assert.deepEqual([...(await service.unattachedFiles(newId(), [media.id]))], [], "another actor's media are not named");
  });

  test("an actor's own file (the composer's thumbnails): its path and type, attached or not; null for others' and unknown ids", async () => {
    const stored = await service.storeImage(actorId, await jpegWithExif(40, 30), null);
    assert.ok(stored.ok);
    const media = stored.value;
    assert.deepEqual(await service.ownFile(actorId, media.id), { path: join(dataDir, media.filePath), mimeType: "image/jpeg" });
    assert.equal(await service.ownFile(newId(), media.id), null, "another actor's media are not served");
    assert.equal(await service.ownFile(actorId, "no-such-media"), null);
  });

  test("bytes hidden after the image (a polyglot) do not survive re-encoding", async () => {
    const png = await sharp({ create: { width: 20, height: 20, channels: 4, background: "#00ff00" } }).png().toBuffer();
    const path = write("polyglot.png", Buffer.concat([png, Buffer.from("<html><script>alert(1)</script></html>")]));
    const result = await service.storeImageFile(actorId, path, null);
    assert.ok(result.ok, !result.ok ? result.message : "");
    const stored = readFileSync(join(dataDir, result.value.filePath));
    assert.ok(!stored.includes(Buffer.from("<script>")));
    assert.equal(result.value.mimeType, "image/png");
  });

  test("refused: SVG, PDF, HTML, a file that sniffs as PNG but is not one, a pixel bomb, a file too large, an absent file", async () => {
    const before = readdirSync(join(dataDir, "media")).length;
    const cases: [string, Buffer | string, string][] = [
      ["logo.svg", '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><image href="file:///etc/passwd"/></svg>', "unsupported-format"],
      ["doc.pdf", "%PDF-1.7\n", "unsupported-format"],
      ["page.jpg", "<html><script>alert(1)</script></html>", "unsupported-format"],
      ["fake.png", Buffer.concat([pngClaiming(1, 1).subarray(0, 8), Buffer.from("not a png at all")]), "corrupt"],
      ["bomb.png", pngClaiming(100_000, 100_000), "too-many-pixels"],
      ["big.jpg", Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), Buffer.alloc(2 * 1024 * 1024)]), "too-large"],
    ];
    for (const [name, bytes, error] of cases) {
      const result = await service.storeImageFile(actorId, write(name, bytes), null);
      assert.ok(!result.ok, name);
      assert.equal(result.error, error, `${name}: ${result.message}`);
    }
    const missing = await service.storeImageFile(actorId, join(inputDir, "nope.jpg"), null);
    assert.ok(!missing.ok && missing.error === "unreadable");
    const directory = await service.storeImageFile(actorId, inputDir, null);
    assert.ok(!directory.ok && directory.error === "unreadable");
    // Nothing was written and no row was added for any of them.
    assert.equal(readdirSync(join(dataDir, "media")).length, before);
    const rows = await getDb().database.db.selectFrom("media").select("id").execute();
    assert.equal(rows.length, before);
  });

  test("alt text longer than Mastodon's 1500 characters is refused", async () => {
    const path = write("ok.png", await sharp({ create: { width: 4, height: 4, channels: 3, background: "#000" } }).png().toBuffer());
    const result = await service.storeImageFile(actorId, path, "x".repeat(1501));
    assert.ok(!result.ok && result.error === "invalid-description");
  });

  test("served same-origin with its own Content-Type, nosniff and a sandbox, only once attached to a post", async () => {
    const { db } = getDb().database;
    const path = write("served.png", await sharp({ create: { width: 8, height: 8, channels: 3, background: "#123456" } }).png().toBuffer());
    const stored = await service.storeImageFile(actorId, path, "alt");
    assert.ok(stored.ok);
    const app = new Hono().route("/", mediaRoutes(service)({} as AppContext));
    const url = `/media/${stored.value.id}/${stored.value.fileName}`;
    assert.equal((await app.request(url)).status, 404, "not served before it belongs to a post");

    const postId = newId();
    const now = clock.now().toISOString();
    await db
      .insertInto("posts")
      .values({ id: postId, uri: `https://herold.test/users/alice/posts/${postId}`, actor_id: actorId, type: "Note", state: "published", visibility: "public", created_at: now, updated_at: now })
      .execute();
    assert.equal(await service.attach([stored.value.id], postId, actorId), 1);
    assert.equal(await service.attach([stored.value.id], postId, actorId), 0, "attached only once");

    const response = await app.request(url);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "image/png");
    assert.equal(response.headers.get("x-content-type-options"), "nosniff");
    assert.match(response.headers.get("content-security-policy") ?? "", /sandbox/);
    assert.deepEqual(Buffer.from(await response.arrayBuffer()), readFileSync(join(dataDir, stored.value.filePath)));

    for (const bad of [`/media/${stored.value.id}/other.png`, `/media/${stored.value.id}/${stored.value.id}.svg`, `/media/..%2F..%2Fetc/passwd`, `/media/${newId()}/${stored.value.fileName}`]) {
      assert.equal((await app.request(bad)).status, 404, bad);
    }

    await service.removeFilesOf(postId);
    await db.deleteFrom("media").where("post_id", "=", postId).execute();
    assert.equal((await app.request(url)).status, 404);
  });
});
