import assert from "node:assert/strict";
import { test } from "node:test";
import { Hono } from "hono";
import { WebCookies } from "./session.middleware.ts";

test("over https the session cookie is Secure, HttpOnly, SameSite=Lax and __Host- prefixed; over http it cannot be Secure", async () => {
  for (const [origin, name, secure] of [["https://social.example.org", "__Host-herold_session", true], ["http://localhost:8080", "herold_session", false]] as const) {
    const cookies = new WebCookies(new URL(origin));
    const app = new Hono();
    app.get("/", (c) => {
      cookies.setSession(c, "t".repeat(43), new Date(Date.now() + 86_400_000).toISOString());
      return c.text("ok");
    });
    const header = (await app.request("/")).headers.get("set-cookie") ?? "";
    assert.ok(header.startsWith(`${name}=`), header);
    assert.match(header, /; Path=\//);
    assert.match(header, /; HttpOnly/);
    assert.match(header, /; SameSite=Lax/);
    assert.doesNotMatch(header, /Domain=/);
    assert.equal(/; Secure/.test(header), secure, header);
  }
});
