import assert from "node:assert/strict";
import { AsyncLocalStorage } from "node:async_hooks";
import { after, test } from "node:test";
import { configure, reset, type LogRecord } from "@logtape/logtape";
import { Hono } from "hono";
import { logger } from "../lib/logger.ts";
import { requestContext, securityHeaders } from "./middleware.ts";

// The headers every response carries, exactly; nothing else is added (no HSTS: TLS is the proxy's
// business, and other values would change what browsers do with Herold's pages).
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy": CSP,
  "x-content-type-options": "nosniff",
  "referrer-policy": "same-origin",
  "x-frame-options": "DENY",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
  "permissions-policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
};

function app(): Hono {
  const app = new Hono();
  app.use(requestContext);
  app.use(securityHeaders);
  app.get("/page", (c) => c.html("<p>hi</p>"));
  // A raw Response, as Fedify and the file routes return them.
  app.get("/raw", () => new Response("raw", { headers: { "Content-Type": "text/plain" } }));
  // A file route's own, stricter CSP stays; the other headers are Herold's whatever the handler set.
  app.get("/file", () => new Response("x", { headers: { "Content-Security-Policy": "default-src 'none'; sandbox", "X-Frame-Options": "SAMEORIGIN" } }));
  app.get("/context", (c) => c.text(`${c.get("requestId" as never)}`));
  app.get("/logs", (c) => {
    logger("test").info("inside the handler");
    return c.text("ok");
  });
  return app;
}

const securityHeadersOf = (response: Response) =>
  Object.fromEntries([...response.headers].filter(([name]) => !["content-type", "x-request-id", "content-length"].includes(name)));

test("every response carries exactly Herold's security headers, on handler and raw responses alike", async () => {
  for (const path of ["/page", "/raw", "/nowhere"]) {
    assert.deepEqual(securityHeadersOf(await app().request(path)), SECURITY_HEADERS, path);
  }
});

test("a handler's own Content-Security-Policy is kept; every other security header is Herold's", async () => {
  const response = await app().request("/file");
  assert.deepEqual(securityHeadersOf(response), { ...SECURITY_HEADERS, "content-security-policy": "default-src 'none'; sandbox" });
});

test("a request id on every response: a proxy's well-formed X-Request-Id is kept, anything else replaced", async () => {
  const fresh = await app().request("/raw");
  assert.match(fresh.headers.get("x-request-id") ?? "", /^[0-9a-z]{26}$/);
  for (const kept of ["abcd1234", "req.2026-12-08_x", "a".repeat(64)]) {
    assert.equal((await app().request("/page", { headers: { "x-request-id": kept } })).headers.get("x-request-id"), kept);
  }
  for (const replaced of ["short", "a".repeat(65), "with space1", "semi;colon1", "equals====", "äöüäöüäöü"]) {
    const response = await app().request("/page", { headers: { "x-request-id": replaced } });
    assert.match(response.headers.get("x-request-id") ?? "", /^[0-9a-z]{26}$/, replaced);
  }
  const inContext = await app().request("/context", { headers: { "x-request-id": "abcd1234" } });
  assert.equal(await inContext.text(), "abcd1234");
});

test("every log line of a request, the access log's too, carries the request id", async () => {
  const records: LogRecord[] = [];
  await configure({
    sinks: { memory: (record) => void records.push(record) },
    loggers: [{ category: ["herold"], lowestLevel: "info", sinks: ["memory"] }],
    contextLocalStorage: new AsyncLocalStorage(),
    reset: true,
  });
  after(() => reset());
  const response = await app().request("/logs", { headers: { "x-request-id": "trace-me-1" } });
  assert.equal(response.headers.get("x-request-id"), "trace-me-1");
  assert.deepEqual(
    records.map((r) => [r.category.join("."), r.properties["requestId"]]),
    [["herold.test", "trace-me-1"], ["herold.http", "trace-me-1"]],
  );
  assert.equal(records[1]!.properties["path"], "/logs");
});
