import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { crc32, deflateSync } from "node:zlib";
import sharp from "sharp";
import { setUpOwner, WebClient } from "../web/testing/web-client.ts";
import { startHostileEnv, startScriptedPeer, type HostileEnv, type ScriptedPeer } from "./harness.ts";

/**
 * Hostile-inputs cases 13 (media processing: paths from names, SVG, polyglots, pixel bombs) and 2
 * (uploaded or remote bytes served as ActivityPub/JSON). Uploads go through the web app's compose
 * form over HTTP and through the media service it uses; remote images through the media proxy.
 * Image handling does not depend on the database engine: SQLite only.
 */
const PASSWORD = "the owner's long password";
const AP_NOTE = JSON.stringify({ "@context": "https://www.w3.org/ns/activitystreams", id: "https://victim.example/users/a/statuses/1", type: "Note", attributedTo: "https://victim.example/users/a", content: "counterfeit" });

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, "latin1");
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([Buffer.from(type, "latin1"), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

/** A PNG whose header claims `width` × `height` pixels, with a few bytes of image data. */
function pngBomb(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", ihdr), chunk("IDAT", deflateSync(Buffer.alloc(1024))), chunk("IEND", Buffer.alloc(0))]);
}

/** A real PNG with a text chunk (metadata) inserted after IHDR and bytes appended after IEND. */
async function pngWith(text: string, trailer: string): Promise<Buffer> {
  const png = await sharp({ create: { width: 16, height: 16, channels: 3, background: "#3366cc" } }).png().toBuffer();
  const ihdrEnd = 8 + 25;
  return Buffer.concat([png.subarray(0, ihdrEnd), chunk("tEXt", Buffer.from(`Comment\0${text}`, "latin1")), png.subarray(ihdrEnd), Buffer.from(trailer, "latin1")]);
}

describe("media uploads and media served [sqlite]", () => {
  let env: HostileEnv;
  let owner: WebClient;
  let evil: ScriptedPeer;
  let goodPng: Buffer;

  before(async () => {
    env = await startHostileEnv("sqlite");
    evil = await startScriptedPeer();
    goodPng = await sharp({ create: { width: 32, height: 32, channels: 3, background: "#ff0000" } }).png().toBuffer();
    owner = await setUpOwner(env.herold, { email: "owner@herold.example", password: PASSWORD });
  });
  after(async () => {
    await Promise.all([env?.close(), evil?.close()]);
  });

  const mediaDir = () => join(env.herold.ctx.config.dataDir, "media");
  const mediaFiles = () => (existsSync(mediaDir()) ? readdirSync(mediaDir()).sort() : []);
  const mediaRows = async () => await env.herold.ctx.database.db.selectFrom("media").select(["id", "file_path", "mime_type"]).execute();
  const upload = async (name: string, type: string, bytes: Buffer) => {
    await owner.get("/app/compose");
    return await owner.post("/app/compose", { text: `upload ${name}`, action: "draft", image_alt_0: "alt" }, { files: { image_0: { name, type, bytes: new Uint8Array(bytes) } } });
  };

  describe("case 13: file names, formats, polyglots and pixel bombs", () => {
    test("uploaded file names never become paths", async () => {
      const names = ["../../../../tmp/herold-pwned.png", "..\\..\\herold-pwned.png", "/etc/cron.d/herold.png", "%2e%2e%2fherold.png", "x.php.png", "\u202egnp.exe", "CON.png", ".htaccess"];
      for (const name of names) {
        const response = await upload(name, "image/png", goodPng);
        assert.equal(response.status, 303, `${name}: ${response.status} ${response.html.slice(0, 200)}`);
      }
      for (const row of await mediaRows()) assert.match(row.file_path ?? "", /^media\/[0-9a-z]{26}\.(png|jpg|webp|gif)$/, row.file_path ?? "");
      for (const file of mediaFiles()) assert.match(file, /^[0-9a-z]{26}\.(png|jpg|webp|gif)$/, file);
      for (const path of ["/tmp/herold-pwned.png", join(env.herold.ctx.config.dataDir, "..", "herold-pwned.png"), "/etc/cron.d/herold.png"]) assert.equal(existsSync(path), false, path);
      await env.genuineStillProcessed();
    });

    test("SVG, HTML, PDF, TIFF, mismatched magic and pixel bombs are refused; nothing is stored", async () => {
      const refusals: Array<[string, Buffer, RegExp]> = [
        ["svg with external references", Buffer.from(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"><image xlink:href="https://evil.example/x.png"/><script>alert(1)</script></svg>`), /only JPEG, PNG, WebP and GIF/],
        ["svg named .png with a PNG content type", Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`), /only JPEG, PNG, WebP and GIF/],
        ["html", Buffer.from("<!doctype html><script>alert(1)</script>"), /only JPEG, PNG, WebP and GIF/],
        ["ActivityPub JSON", Buffer.from(AP_NOTE), /only JPEG, PNG, WebP and GIF/],
        ["pdf", Buffer.from("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"), /only JPEG, PNG, WebP and GIF/],
        ["tiff", Buffer.from([0x49, 0x49, 0x2a, 0x00, 0x08, 0x00, 0x00, 0x00]), /only JPEG, PNG, WebP and GIF/],
        ["JPEG magic on PNG data", Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), goodPng]), /looks like jpeg|could not be decoded/],
        ["PNG magic on a GIF", Buffer.concat([goodPng.subarray(0, 8), Buffer.from("GIF89a")]), /could not be decoded|looks like/],
        ["pixel bomb 60000 × 60000", pngBomb(60_000, 60_000), /more than .* pixels/],
        ["pixel bomb 1 × 100,000,000", pngBomb(1, 100_000_000), /more than .* pixels/],
        ["truncated PNG", goodPng.subarray(0, 40), /could not be decoded/],
      ];
      const rowsBefore = await mediaRows();
      const filesBefore = mediaFiles();
      for (const [name, bytes, reason] of refusals) {
        const response = await upload(`${name}.png`, "image/png", bytes);
        assert.equal(response.status, 422, `${name}: ${response.status}`);
        assert.match(response.html, reason, name);
        const direct = await env.herold.ctx.posts.media.storeImage(env.carol.actorId, bytes, null);
        assert.ok(!direct.ok, name);
        assert.match(direct.message, reason, name);
      }
      assert.deepEqual(await mediaRows(), rowsBefore, "no media rows");
      assert.deepEqual(mediaFiles(), filesBefore, "no files written");
      await env.genuineStillProcessed();
      assert.equal((await upload("after.png", "image/png", goodPng)).status, 303, "a genuine upload still works");
    });

    test("polyglots are re-encoded: metadata and bytes after the image are gone", async () => {
      const polyglot = await pngWith(`${AP_NOTE}<script>alert(1)</script>GPS 52.5N 13.4E`, `PK\u0003\u0004${AP_NOTE}<html><script>alert(1)</script>`);
      const stored = await env.herold.ctx.posts.media.storeImage(env.carol.actorId, polyglot, "a polyglot");
      assert.ok(stored.ok, stored.ok ? "" : stored.message);
      const file = join(env.herold.ctx.config.dataDir, stored.value.filePath);
      const bytes = (await import("node:fs")).readFileSync(file);
      assert.equal(bytes.subarray(1, 4).toString("latin1"), "PNG");
      for (const marker of ["@context", "<script", "GPS", "PK\u0003\u0004", "Comment"]) assert.equal(bytes.includes(Buffer.from(marker, "latin1")), false, marker);
    });
  });

  describe("case 2: nothing user- or remote-controlled is served as ActivityPub or JSON", () => {
    test("uploaded media is served with its image type, nosniff and a sandbox, whatever the client asks for", async () => {
      const polyglot = await pngWith(AP_NOTE, AP_NOTE);
      await owner.get("/app/compose");
      const response = await owner.post("/app/compose", { text: "with an image", action: "publish", image_alt_0: "alt" }, { files: { image_0: { name: "note.json", type: "application/activity+json", bytes: new Uint8Array(polyglot) } } });
      assert.equal(response.status, 303, response.html.slice(0, 200));
      const rows = await env.herold.ctx.database.db.selectFrom("media").select(["id", "file_path"]).where("post_id", "is not", null).execute();
      assert.ok(rows.length > 0);
      for (const row of rows) {
        const fileName = row.file_path!.slice("media/".length);
        for (const accept of ["application/activity+json", 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"', "application/json", "text/html", "*/*"]) {
          const served = await fetch(`${env.herold.origin}/media/${row.id}/${fileName}`, { headers: { accept } });
          const body = Buffer.from(await served.arrayBuffer());
          assert.equal(served.status, 200);
          assert.match(served.headers.get("content-type") ?? "", /^image\/(png|jpeg|webp|gif)$/, accept);
          assert.equal(served.headers.get("x-content-type-options"), "nosniff");
          assert.match(served.headers.get("content-security-policy") ?? "", /sandbox/);
          assert.equal(body.includes(Buffer.from("@context")), false, "no ActivityPub document inside");
        }
        // Herold's own fetcher would never take it for a document either.
        const fetched = await env.herold.ctx.federationModule.documents.fetch(`${env.herold.origin}/media/${row.id}/${fileName}`, { requireIdEquals: "final-url" });
        assert.ok(!fetched.ok && fetched.error === "bad-content-type", JSON.stringify(fetched));
        for (const variant of [`${row.id}.json`, `${row.id}.svg`, `${row.id}.html`, "..%2F..%2Fherold.db", `${fileName}%00.json`, `${fileName}/`]) {
          const other = await fetch(`${env.herold.origin}/media/${row.id}/${variant}`);
          await other.body?.cancel();
          assert.equal(other.status, 404, variant);
        }
      }
    });

    test("uploads not attached to a published post are not served", async () => {
      const stored = await env.herold.ctx.posts.media.storeImage(env.carol.actorId, goodPng, null);
      assert.ok(stored.ok);
      const response = await fetch(`${env.herold.origin}/media/${stored.value.id}/${stored.value.fileName}`);
      await response.body?.cancel();
      assert.equal(response.status, 404);
    });

    test("the media proxy passes only real images, typed by their bytes, sandboxed; remote names never become paths", async () => {
      const served: Record<string, { type: string; body: Buffer | string }> = {
        "/json.png": { type: "image/png", body: AP_NOTE },
        "/note": { type: "application/activity+json", body: AP_NOTE },
        "/svg.png": { type: "image/png", body: `<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>` },
        "/html.gif": { type: "image/gif", body: "<html><script>alert(1)</script></html>" },
        "/../../../etc/passwd.png": { type: "image/png", body: goodPng },
        "/polyglot.png": { type: "application/json", body: await pngWith(AP_NOTE, AP_NOTE) },
      };
      for (const [path, { type, body }] of Object.entries(served)) evil.routes.set(new URL(path, "http://x").pathname, { headers: { "content-type": type }, body });
      for (const [path, expected] of [["/json.png", 502], ["/note", 502], ["/svg.png", 502], ["/html.gif", 502], ["/../../../etc/passwd.png", 200], ["/polyglot.png", 200]] as const) {
        const proxyPath = env.herold.ctx.web.mediaProxy.path(`${evil.origin}${path}`);
        assert.ok(proxyPath !== null, path);
        const response = await fetch(`${env.herold.origin}${proxyPath}`, { headers: { accept: "application/activity+json" } });
        const body = Buffer.from(await response.arrayBuffer());
        assert.equal(response.status, expected, path);
        if (expected === 200) {
          assert.equal(response.headers.get("content-type"), "image/png", path);
          assert.equal(response.headers.get("x-content-type-options"), "nosniff");
          assert.match(response.headers.get("content-security-policy") ?? "", /sandbox/);
          assert.equal(body.subarray(1, 4).toString("latin1"), "PNG");
          assert.throws(() => JSON.parse(body.toString("utf8")), "never parseable as a JSON document");
        }
      }
      const cache = join(env.herold.ctx.config.dataDir, "proxy-cache");
      for (const dir of readdirSync(cache)) {
        assert.match(dir, /^[0-9a-f]{2}$/);
        for (const file of readdirSync(join(cache, dir))) assert.match(file, /^[0-9a-f]{64}$/, file);
      }
      // A path the instance did not sign is not fetched at all.
      const forged = await fetch(`${env.herold.origin}/media/proxy/AAAA/${Buffer.from(`${evil.origin}/x.png`).toString("base64url")}`);
      await forged.body?.cancel();
      assert.equal(forged.status, 404);
    });
  });
});
