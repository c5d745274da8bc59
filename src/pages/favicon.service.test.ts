import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import sharp from "sharp";
import type { Account } from "../account/account.entity.ts";
import { FAVICON_SIZE, FaviconService } from "./favicon.service.ts";

const ORIGIN = "https://social.example.org";
const MEDIA_ID = "01jb2m3n4p5q6r7s8t9v0w1x2y";
const dataDir = mkdtempSync(join(tmpdir(), "herold-favicon-"));
after(() => rmSync(dataDir, { recursive: true, force: true }));

/** An accounts port whose first account has the given avatar URL; counts how often it was asked. */
function accounts(iconUrl: string | null) {
  const port = { calls: 0, iconUrl, list: async () => (port.calls++, [{ iconUrl: port.iconUrl } as Account]) };
  return port;
}

test("the organisation's stored avatar becomes a 64 px PNG, made once per avatar", async () => {
  mkdirSync(join(dataDir, "media"), { recursive: true });
  const avatar = await sharp({ create: { width: 300, height: 200, channels: 3, background: "#c00000" } }).png().toBuffer();
  writeFileSync(join(dataDir, "media", `${MEDIA_ID}.png`), avatar);
  const port = accounts(`${ORIGIN}/media/profile/${MEDIA_ID}/${MEDIA_ID}.png`);
  const service = new FaviconService({ accounts: port, origin: ORIGIN, dataDir });
  const icon = await service.icon();
  const meta = await sharp(icon.body).metadata();
  assert.deepEqual([meta.format, meta.width, meta.height], ["png", FAVICON_SIZE, FAVICON_SIZE]);
  const { data } = await sharp(icon.body).raw().toBuffer({ resolveWithObject: true });
  assert.deepEqual([...data.subarray(0, 3)], [0xc0, 0, 0], "the avatar's colour");
  // The file is not read again: the same bytes (and ETag) come from memory.
  rmSync(join(dataDir, "media", `${MEDIA_ID}.png`));
  assert.equal((await service.icon()).etag, icon.etag);
  assert.equal(port.calls, 2, "the account is read each time, so a new avatar is seen at once");
});

test("without a stored avatar (none, remote, unreadable, not Herold's path layout) the default icon answers", async () => {
  const defaults = new Set<string>();
  for (const url of [null, "https://elsewhere.example/a.png", `${ORIGIN}/media/profile/${MEDIA_ID}/${MEDIA_ID}.png`, `${ORIGIN}/media/profile/${MEDIA_ID}/..%2F..%2Fsecret.png`, `${ORIGIN}/media/profile/${MEDIA_ID}/01jb2m3n4p5q6r7s8t9v0w1x2z.png`]) {
    const icon = await new FaviconService({ accounts: accounts(url), origin: ORIGIN, dataDir }).icon();
    const meta = await sharp(icon.body).metadata();
    assert.deepEqual([meta.format, meta.width], ["png", FAVICON_SIZE], String(url));
    defaults.add(icon.etag);
  }
  assert.equal(defaults.size, 1, "one and the same default icon");
});
