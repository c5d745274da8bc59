import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { streamingPost } from "../federation/inbox/testing/fake-peer.ts";
import { newId } from "../lib/id.ts";
import { startTestInstance, type TestInstance } from "../testing/instance.ts";
import { FORM_MAX_BYTES, webBodyLimits } from "./body-limits.ts";
import { setUpOwner, WebClient } from "./testing/web-client.ts";

/**
 * Issue #10 item 4: request bodies were read whole before any limit (a chunked 300 MB POST to
 * /app/login grew the process by 1.7 GiB), and the session middleware parsed whole uploads to find
 * the CSRF field before the route's limit ran (then a 500 "ReadableStream is locked"). Each body is
 * now limited while it streams: the server answers 413 while the client is still sending.
 */
const PASSWORD = "the owner's long password";
const TOTAL = 8 * 1024 * 1024; // what the client would send, far over every form's limit
const CHUNK = new Uint8Array(64 * 1024).fill(0x61);

describe("request body limits in the web app", { timeout: 120_000 }, () => {
  let a: TestInstance;
  let owner: WebClient;

  before(async () => {
    a = await startTestInstance({ worker: false });
    owner = await setUpOwner(a, { email: "owner@acme.example", password: PASSWORD, account_username: "acme" });
    await owner.get("/app/compose");
  });
  after(async () => {
    await a?.close();
  });

  /** Streams `head` and then filler, chunked, until the server answers; how many bytes went out. */
  const flood = async (path: string, headers: Record<string, string>, head = "", total = TOTAL) => {
    let sent = 0;
    let first = true;
    const status = await streamingPost(a.origin + path, { "transfer-encoding": "chunked", ...headers }, () => {
      if (first) {
        first = false;
        sent += Buffer.byteLength(head);
        if (head !== "") return new Uint8Array(Buffer.from(head));
      }
      if (sent >= total) return null;
      sent += CHUNK.byteLength;
      return CHUNK;
    });
    return { status, sent };
  };
  const signedIn = () => ({ cookie: `herold_session=${owner.cookie("herold_session")}` });

  test("anonymous forms: a chunked flood to sign-in or setup is refused with 413 before it ends", async () => {
    for (const path of ["/app/login", "/app/setup"]) {
      const { status, sent } = await flood(path, { "content-type": "application/x-www-form-urlencoded" }, "csrf=x&login=");
      assert.equal(status, 413, path);
      assert.ok(sent < TOTAL, `${path}: answered after ${sent} bytes, before the body ended`);
    }
  });

  test("a declared Content-Length over the limit is refused without reading", async () => {
    const response = await fetch(a.origin + "/app/login", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "x".repeat(FORM_MAX_BYTES + 1),
    });
    assert.equal(response.status, 413);
    assert.match(await response.text(), /too large/);
  });

  test("signed-in forms and the preview endpoint: 413 while streaming, nothing changed", async () => {
    const csrf = owner.csrf();
    for (const path of ["/app/interact", "/app/follow", "/app/settings", "/app/api/preview", "/app/switch", `/app/drafts/${newId()}/reschedule`]) {
      const { status, sent } = await flood(path, { ...signedIn(), "x-csrf-token": csrf, "content-type": "application/x-www-form-urlencoded" }, "text=");
      assert.equal(status, 413, path);
      assert.ok(sent < TOTAL, `${path}: answered after ${sent} bytes`);
    }
    assert.equal((await a.ctx.database.db.selectFrom("follows").select("id").execute()).length, 0);
  });

  test("an upload over its limit is 413 while streaming, not buffered by the CSRF check and not a 500", async () => {
    const boundary = "----herold-test-boundary";
    const head =
      `--${boundary}\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n${owner.csrf()}\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="image_0"; filename="big.png"\r\nContent-Type: image/png\r\n\r\n`;
    // Four images of the media limit each, and the text: anything beyond is refused.
    const limit = webBodyLimits(a.ctx.posts.media.limits).compose;
    const total = limit + 16 * 1024 * 1024;
    const { status, sent } = await flood("/app/compose", { ...signedIn(), "content-type": `multipart/form-data; boundary=${boundary}` }, head, total);
    assert.equal(status, 413);
    assert.ok(sent < total, `answered after ${sent} bytes`);
    assert.equal((await a.ctx.database.db.selectFrom("drafts").select("id").execute()).length, 0);
  });

  test("an upload with a wrong or misplaced CSRF token is refused from its first part, before the file is read", async () => {
    const boundary = "----herold-test-boundary";
    const wrong = `--${boundary}\r\nContent-Disposition: form-data; name="csrf"\r\n\r\nforged\r\n--${boundary}\r\nContent-Disposition: form-data; name="image_0"; filename="a.png"\r\n\r\n`;
    const late = `--${boundary}\r\nContent-Disposition: form-data; name="text"\r\n\r\nhello\r\n--${boundary}\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n${owner.csrf()}\r\n--${boundary}\r\nContent-Disposition: form-data; name="image_0"; filename="a.png"\r\n\r\n`;
    for (const head of [wrong, late]) {
      const { status, sent } = await flood("/app/compose", { ...signedIn(), "content-type": `multipart/form-data; boundary=${boundary}` }, head);
      assert.equal(status, 403);
      assert.ok(sent < TOTAL, `answered after ${sent} bytes`);
    }
    // Without a session, nothing is read either.
    const anonymous = await flood("/app/compose", { "content-type": `multipart/form-data; boundary=${boundary}` }, wrong);
    assert.equal(anonymous.status, 401);
    assert.ok(anonymous.sent < TOTAL);
  });

  test("an upload within the limit still works, its token first in the form", async () => {
    const sharp = (await import("sharp")).default;
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: "#00ff00" } }).png().toBuffer();
    await owner.get("/app/compose");
    const saved = await owner.post("/app/compose", { text: "with an image", action: "draft", image_alt_0: "green" }, { files: { image_0: { name: "g.png", type: "image/png", bytes: png } } });
    assert.equal(saved.status, 303, saved.html.slice(0, 300));
    const drafts = await a.ctx.database.db.selectFrom("drafts").select("id").execute();
    assert.equal(drafts.length, 1);
  });
});
