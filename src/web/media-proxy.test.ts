import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import sharp from "sharp";
import { systemClock } from "../lib/time.ts";
import { createGuardedHttpClient } from "../net/guarded-client.ts";
import { startTestServer, type TestServer } from "../testing/test-server.ts";
import { MediaProxy } from "./media-proxy.ts";
import { verifyRelMe } from "./rel-me.ts";

/** The media proxy and rel=me checks against a local server on 127.0.0.1 (the only test peer). */
describe("media proxy and rel=me verification", () => {
  let server: TestServer;
  let png: Buffer;
  let dataDir: string;
  const guardedClient = createGuardedHttpClient({ allowPrivateAddress: false, allowedEndpoints: [], connectTimeoutMs: 2000, connectionsPerOrigin: 2 });
  let proxy: MediaProxy;
  let loopbackClient: ReturnType<typeof createGuardedHttpClient>;

  before(async () => {
    png = await sharp({ create: { width: 8, height: 8, channels: 3, background: "#123456" } }).png().toBuffer();
    server = await startTestServer((request, response) => {
      switch (request.url) {
        case "/avatar.png":
          response.writeHead(200, { "content-type": "image/png" }).end(png);
          break;
        case "/fake.png": // says image, is HTML
          response.writeHead(200, { "content-type": "image/png" }).end("<html><script>alert(1)</script></html>");
          break;
        case "/image.svg":
          response.writeHead(200, { "content-type": "image/svg+xml" }).end('<svg xmlns="http://www.w3.org/2000/svg"/>');
          break;
        case "/huge.png":
          response.writeHead(200, { "content-type": "image/png" }).end(Buffer.concat([png, Buffer.alloc(300_000)]));
          break;
        case "/me":
          response.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(`<html><head><link rel="me authn" href="https://herold.example/@acme"></head></html>`);
          break;
        case "/me-anchor":
          response.writeHead(200, { "content-type": "text/html" }).end(`<p><a class="x" rel='nofollow me' href="https://herold.example/@acme/">us</a></p>`);
          break;
        case "/not-me":
          response.writeHead(200, { "content-type": "text/html" }).end(`<a href="https://herold.example/@acme">no rel</a><a rel="me" href="https://herold.example/@other">other</a><!-- <a rel="me" href="https://herold.example/@acme"> -->`);
          break;
        default:
          response.writeHead(404).end();
      }
    });
    dataDir = mkdtempSync(join(tmpdir(), "herold-proxy-"));
    loopbackClient = createGuardedHttpClient({ allowPrivateAddress: false, allowedEndpoints: [{ address: "127.0.0.1", port: server.port }], connectTimeoutMs: 2000, connectionsPerOrigin: 2 });
    proxy = new MediaProxy({ secret: Buffer.alloc(32, 9), dataDir, guardedClient: loopbackClient, allowHttp: true, clock: systemClock, maxBytes: 100_000 });
  });

  after(async () => {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const parts = (path: string) => {
    const [, , , mac, encoded] = path.split("/");
    return { mac: mac!, encoded: encoded! };
  };

  test("an image is fetched once, checked by its bytes, cached on disk and served from this origin", async () => {
    const path = proxy.path(server.url("/avatar.png"));
    assert.ok(path !== null && path.startsWith("/media/proxy/"));
    const { mac, encoded } = parts(path);
    const first = await proxy.get(mac, encoded);
    assert.ok(first.ok);
    assert.equal(first.value.contentType, "image/png");
    assert.deepEqual(first.value.body, png);
    const second = await proxy.get(mac, encoded);
    assert.ok(second.ok);
    assert.equal(server.requests.filter((r) => r.url === "/avatar.png").length, 1);
    // Cached under a hash of the URL: no remote name reaches the file system.
    const files = readdirSync(join(dataDir, "proxy-cache"), { recursive: true }).map(String);
    assert.ok(files.every((f) => !f.includes("avatar")));
  });

  test("it is no open proxy: unsigned, re-signed or tampered URLs are refused without a fetch", async () => {
    const before = server.requests.length;
    const { mac } = parts(proxy.path(server.url("/avatar.png"))!);
    const other = Buffer.from(server.url("/me")).toString("base64url");
    assert.equal((await proxy.get(mac, other)).ok ? "ok" : "refused", "refused");
    const foreign = new MediaProxy({ secret: Buffer.alloc(32, 1), dataDir, guardedClient: loopbackClient, allowHttp: true, clock: systemClock });
    const forged = parts(foreign.path(server.url("/avatar.png"))!);
    const result = await proxy.get(forged.mac, forged.encoded);
    assert.equal(result.ok ? "ok" : result.error, "bad-signature");
    assert.equal(proxy.path("javascript:alert(1)"), null);
    assert.equal(proxy.path("file:///etc/passwd"), null);
    assert.equal(proxy.path("https://user:pw@example.org/a.png"), null);
    assert.equal(server.requests.length, before);
  });

  test("only real JPEG, PNG, GIF or WebP bytes pass; SVG, HTML in disguise and oversized files do not", async () => {
    for (const [file, expected] of [["/fake.png", "not-an-image"], ["/image.svg", "not-an-image"], ["/huge.png", "too-large"], ["/missing.png", "not-found"]] as const) {
      const { mac, encoded } = parts(proxy.path(server.url(file))!);
      const result = await proxy.get(mac, encoded);
      assert.equal(result.ok ? "ok" : result.error, expected, file);
    }
  });

  test("the SSRF guard applies: a signed URL to a loopback address is still refused by the default policy", async () => {
    const guarded = new MediaProxy({ secret: Buffer.alloc(32, 9), dataDir: mkdtempSync(join(tmpdir(), "herold-proxy-")), guardedClient, allowHttp: true, clock: systemClock });
    const { mac, encoded } = parts(guarded.path(server.url("/avatar.png"))!);
    const result = await guarded.get(mac, encoded);
    assert.equal(result.ok ? "ok" : result.error, "unreachable");
  });

  test("rel=me: a page linking back with rel=me verifies; others do not, with the reason", async () => {
    const profile = ["https://herold.example/@acme", "https://herold.example/users/acme"];
    const options = { guardedClient: loopbackClient, allowHttp: true };
    assert.equal((await verifyRelMe(server.url("/me"), profile, options)).verified, true);
    assert.equal((await verifyRelMe(server.url("/me-anchor"), profile, options)).verified, true);
    const no = await verifyRelMe(server.url("/not-me"), profile, options);
    assert.equal(no.verified, false);
    assert.match(no.detail, /no rel="me" link back/);
    const missing = await verifyRelMe(server.url("/nothing"), profile, options);
    assert.match(missing.detail, /answered 404/);
    const blocked = await verifyRelMe(server.url("/me"), profile, { guardedClient, allowHttp: true });
    assert.equal(blocked.verified, false);
  });
});
