import assert from "node:assert/strict";
import { test } from "node:test";
import { loadStylesheet } from "../pages/assets.ts";
import { loadWebAssets } from "../web/assets.ts";
import { assetRoutes } from "./static-assets.ts";

test("one asset route group serves the pages' stylesheet and the web app's files alike: hashed URL immutable, ETag revalidation", async () => {
  const web = loadWebAssets();
  const assets = [loadStylesheet(), web.css, web.js];
  const app = assetRoutes(assets);
  for (const asset of assets) {
    assert.match(asset.href, /\?v=[0-9a-f]{16}$/);
    const fresh = await app.request(asset.href);
    assert.equal(fresh.status, 200);
    assert.equal(fresh.headers.get("content-type"), asset.contentType);
    assert.equal(fresh.headers.get("cache-control"), "public, max-age=31536000, immutable");
    assert.equal(await fresh.text(), asset.body);
    const stale = await app.request(`${asset.path}?v=0000000000000000`);
    assert.equal(stale.headers.get("cache-control"), "public, max-age=3600");
    const revalidated = await app.request(asset.path, { headers: { "if-none-match": asset.etag } });
    assert.deepEqual([revalidated.status, await revalidated.text()], [304, ""]);
  }
  assert.equal((await app.request("/assets/other.css")).status, 404);
});
