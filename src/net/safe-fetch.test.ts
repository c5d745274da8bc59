import assert from "node:assert/strict";
import type { ServerResponse } from "node:http";
import { after, before, test } from "node:test";
import { brotliCompressSync, constants, deflateRawSync, deflateSync, gzipSync } from "node:zlib";
import { createGuardedHttpClient, type GuardedHttpClient, type LookupFn } from "./guarded-client.ts";
import { safeFetch, type SafeFetchOptions, type SignRequest } from "./safe-fetch.ts";
import { OK_TEST_CERT, OK_TEST_KEY } from "./testing/tls-certificate.ts";
import { startRawServer, startTestServer, type RawTestServer, type TestServer } from "../testing/test-server.ts";

// Network rule for this file: servers bind to 127.0.0.1; names resolve only through `lookup` below.
// `ok.test`/`ok2.test` reach server A through an exact endpoint exception (127.0.0.1:A). `evil.test`
// also maps to 127.0.0.1 but its port (listener B) is not excepted, so B must record zero connections.
// Private and metadata addresses appear only as stub answers or literal URLs refused before connecting.

const KB = 1024;
const MB = 1024 * KB;

let a: TestServer;
let b: TestServer;
let raw: RawTestServer;
let guardedClient: GuardedHttpClient;
let bigBytesSent = 0;
let gzipBomb: Buffer;
let brotliBomb: Buffer;
const timers = new Set<NodeJS.Timeout>();

const lookup: LookupFn = async (hostname) => {
  const table: Record<string, string> = {
    "ok.test": "127.0.0.1",
    "ok2.test": "127.0.0.1",
    "evil.test": "127.0.0.1",
    "private.test": "10.0.0.1",
    "metadata.test": "169.254.169.254",
  };
  const address = table[hostname];
  if (address === undefined) throw Object.assign(new Error(`stub: no such name ${hostname}`), { code: "ENOTFOUND" });
  return [{ address, family: 4 }];
};

function streamBytes(response: ServerResponse, total: number, onSent: (n: number) => void): void {
  const chunk = Buffer.alloc(64 * KB, 0x61);
  let sent = 0;
  const pump = (): void => {
    while (sent < total) {
      sent += chunk.length;
      onSent(sent);
      if (!response.write(chunk)) {
        response.once("drain", pump);
        return;
      }
    }
    response.end();
  };
  pump();
}

before(async () => {
  gzipBomb = gzipSync(Buffer.alloc(20 * MB));
  brotliBomb = brotliCompressSync(Buffer.alloc(20 * MB), { params: { [constants.BROTLI_PARAM_QUALITY]: 4 } });
  a = await startTestServer((request, response, body) => {
    const url = new URL(request.url ?? "/", "http://a");
    switch (url.pathname) {
      case "/ok":
        response.setHeader("content-type", "text/plain");
        response.end("hello");
        return;
      case "/exact":
        response.end(Buffer.alloc(1000, 0x62));
        return;
      case "/redirect":
        response.statusCode = Number(url.searchParams.get("status") ?? "302");
        response.setHeader("location", url.searchParams.get("to") ?? "/ok");
        response.end("moved");
        return;
      case "/loop":
        response.statusCode = 302;
        response.setHeader("location", "/loop");
        response.end();
        return;
      case "/echo":
        response.setHeader("content-type", "application/json");
        response.end(JSON.stringify({ method: request.method, headers: request.headers, body: body.toString() }));
        return;
      case "/chunked-50mb":
        streamBytes(response, 50 * MB, (n) => (bigBytesSent = n));
        return;
      case "/declared-large":
        response.setHeader("content-length", String(5 * MB));
        streamBytes(response, 5 * MB, () => undefined);
        return;
      case "/gzip-bomb":
        response.setHeader("content-encoding", "gzip");
        response.end(gzipBomb);
        return;
      case "/br-bomb":
        response.setHeader("content-encoding", "br");
        response.end(brotliBomb);
        return;
      case "/encoded": {
        const coding = url.searchParams.get("coding") ?? "gzip";
        const text = Buffer.from("encoded body ".repeat(100));
        const encoded =
          coding === "gzip" ? gzipSync(text)
          : coding === "deflate" ? deflateSync(text)
          : coding === "deflate-raw" ? deflateRawSync(text)
          : coding === "br" ? brotliCompressSync(text)
          : coding === "corrupt" ? gzipSync(text).subarray(0, 30)
          : text;
        response.setHeader("content-encoding", coding === "deflate-raw" ? "deflate" : coding === "corrupt" ? "gzip" : coding);
        response.end(encoded);
        return;
      }
      case "/slow": {
        response.setHeader("content-type", "text/plain");
        response.flushHeaders();
        const timer = setInterval(() => response.write("x"), 50);
        timers.add(timer);
        response.on("close", () => {
          clearInterval(timer);
          timers.delete(timer);
        });
        return;
      }
      case "/hang":
        return; // never answers
      default:
        response.statusCode = 404;
        response.end();
    }
  });
  b = await startTestServer((_request, response) => response.end("B must never be reached"));
  raw = await startRawServer((socket) => {
    socket.once("data", (data) => {
      const path = data.toString("latin1").split(" ")[1] ?? "/";
      if (path === "/lying-length") {
        // Declares 100 bytes, then keeps sending: the parser must take 100 and never more.
        socket.write("HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n");
        socket.write(Buffer.alloc(2 * MB, 0x63));
      } else if (path === "/until-close") {
        // No length, no chunking: the body ends when the socket closes.
        socket.write("HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n");
        const chunk = Buffer.alloc(64 * KB, 0x64);
        let sent = 0;
        const pump = (): void => {
          while (sent < 50 * MB && !socket.destroyed) {
            sent += chunk.length;
            if (!socket.write(chunk)) {
              socket.once("drain", pump);
              return;
            }
          }
          socket.end();
        };
        pump();
      } else {
        socket.end("HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n");
      }
    });
  });
  guardedClient = createGuardedHttpClient({
    allowPrivateAddress: false,
    lookup,
    connectTimeoutMs: 2000,
    connectionsPerOrigin: 4,
    allowedEndpoints: [
      { address: "127.0.0.1", port: a.port },
      { address: "127.0.0.1", port: raw.port },
    ],
  });
});

after(async () => {
  for (const timer of timers) clearInterval(timer);
  await guardedClient.destroy();
  await Promise.all([a.close(), b.close(), raw.close()]);
});

function fetchA(path: string, options: Partial<SafeFetchOptions> = {}) {
  return safeFetch(a.url(path, "ok.test"), { guardedClient, allowHttp: true, ...options });
}

test("fetches through the guard and reports the final URL", async () => {
  const result = await fetchA("/ok");
  assert.ok(result.ok, !result.ok ? result.message : "");
  assert.equal(result.value.status, 200);
  assert.equal(result.value.body.toString(), "hello");
  assert.equal(result.value.headers["content-type"], "text/plain");
  assert.equal(result.value.finalUrl, a.url("/ok", "ok.test"));
  assert.equal(result.value.redirects, 0);
});

test("URLs refused before any connection: schemes, userinfo, http without allowHttp, literal private IPs", async () => {
  const before = a.connections() + b.connections();
  const cases: ReadonlyArray<readonly [string, string, boolean?]> = [
    ["file:///etc/passwd", "forbidden-url"],
    ["data:application/activity+json,{}", "forbidden-url"],
    ["javascript:alert(1)", "forbidden-url"],
    ["ftp://ok.test/", "forbidden-url"],
    ["gopher://ok.test:70/", "forbidden-url"],
    [`http://user:pass@ok.test:${a.port}/ok`, "forbidden-url"],
    [`http://user@ok.test:${a.port}/ok`, "forbidden-url"],
    [`http://ok.test:${a.port}/ok`, "forbidden-url", false],
    ["not a url", "forbidden-url"],
    [b.url("/"), "forbidden-address"],
    [`http://[::ffff:127.0.0.1]:${b.port}/`, "forbidden-address"],
    [`http://[::1]:${b.port}/`, "forbidden-address"],
    [`http://2130706433:${b.port}/`, "forbidden-address"],
    [`http://0x7f.1:${b.port}/`, "forbidden-address"],
    ["http://169.254.169.254/latest/meta-data/", "forbidden-address"],
    ["http://10.0.0.1/", "forbidden-address"],
    [`http://localhost:${b.port}/`, "forbidden-address"],
    ["http://intranet/", "forbidden-url"],
  ];
  for (const [url, expected, allowHttp = true] of cases) {
    const result = await safeFetch(url, { guardedClient, allowHttp });
    assert.equal(!result.ok && result.error, expected, url);
  }
  assert.equal(a.connections() + b.connections(), before);
});

test("names resolving to private or metadata addresses are refused", async () => {
  for (const name of ["private.test", "metadata.test", "evil.test"]) {
    const result = await safeFetch(`http://${name}:${b.port}/`, { guardedClient, allowHttp: true });
    assert.equal(!result.ok && result.error, "forbidden-address", name);
  }
  assert.equal(b.connections(), 0);
});

test("every redirect hop is re-checked; forbidden targets are refused and never contacted", async () => {
  const targets: ReadonlyArray<readonly [string, string]> = [
    [b.url("/", "evil.test"), "forbidden-address"],
    [b.url("/"), "forbidden-address"],
    [`http://[::ffff:127.0.0.1]:${b.port}/`, "forbidden-address"],
    ["http://169.254.169.254/latest/meta-data/iam/", "forbidden-address"],
    ["http://private.test/", "forbidden-address"],
    ["http://metadata.test/", "forbidden-address"],
    ["file:///etc/passwd", "forbidden-url"],
    ["data:text/plain,hi", "forbidden-url"],
    ["javascript:alert(1)", "forbidden-url"],
    [`http://user:pw@ok.test:${a.port}/ok`, "forbidden-url"],
    ["http://[bad", "bad-response"],
  ];
  for (const [target, expected] of targets) {
    const result = await fetchA(`/redirect?to=${encodeURIComponent(target)}`);
    assert.equal(!result.ok && result.error, expected, target);
  }
  assert.equal(b.connections(), 0);
});

test("production mode (https only): a redirect down to http is refused; a TLS failure is a network error", async () => {
  const tlsServer = await startTestServer(
    (request, response) => {
      const to = new URL(request.url ?? "/", "https://x").searchParams.get("to");
      response.statusCode = to === null ? 200 : 302;
      if (to !== null) response.setHeader("location", to);
      response.end("secure");
    },
    { tls: { cert: OK_TEST_CERT, key: OK_TEST_KEY } },
  );
  const tlsClient = createGuardedHttpClient({
    allowPrivateAddress: false,
    lookup,
    connectTimeoutMs: 2000,
    connectionsPerOrigin: 2,
    allowedEndpoints: [
      { address: "127.0.0.1", port: tlsServer.port },
      { address: "127.0.0.1", port: a.port },
    ],
    ca: OK_TEST_CERT,
  });
  try {
    const secure = await safeFetch(tlsServer.url("/", "ok.test"), { guardedClient: tlsClient });
    assert.ok(secure.ok);
    assert.equal(secure.value.body.toString(), "secure");

    const before = a.connections();
    const downgrade = await safeFetch(tlsServer.url(`/?to=${encodeURIComponent(a.url("/ok", "ok.test"))}`, "ok.test"), { guardedClient: tlsClient });
    assert.equal(!downgrade.ok && downgrade.error, "forbidden-url");
    assert.equal(a.connections(), before);

    // Server A speaks plain http; an https request to it fails the handshake (and sends no request).
    const handshake = await safeFetch(`https://ok.test:${a.port}/ok`, { guardedClient: tlsClient, timeoutMs: 2000 });
    assert.equal(!handshake.ok && handshake.error, "network");
  } finally {
    await tlsClient.destroy();
    await tlsServer.close();
  }
});

test("allowed redirects are followed, relative and absolute, up to the limit", async () => {
  const relative = await fetchA("/redirect?to=/ok");
  assert.ok(relative.ok);
  assert.equal(relative.value.body.toString(), "hello");
  assert.equal(relative.value.finalUrl, a.url("/ok", "ok.test"));
  assert.equal(relative.value.redirects, 1);

  const absolute = await fetchA(`/redirect?status=308&to=${encodeURIComponent(a.url("/ok", "ok2.test"))}`);
  assert.ok(absolute.ok);
  assert.equal(absolute.value.finalUrl, a.url("/ok", "ok2.test"));

  const loop = await fetchA("/loop", { maxRedirects: 3 });
  assert.equal(!loop.ok && loop.error, "too-many-redirects");
});

test("the sign hook runs for every hop with that hop's method, URL and body", async () => {
  const calls: SignRequest[] = [];
  const sign = (request: SignRequest): Record<string, string> => {
    calls.push(request);
    return { signature: `signed ${request.method} ${request.url.href}` };
  };
  const target = a.url("/echo", "ok2.test");
  const result = await fetchA(`/redirect?to=${encodeURIComponent(target)}`, {
    sign,
    headers: { accept: "application/activity+json", authorization: "Bearer secret" },
  });
  assert.ok(result.ok);
  assert.deepEqual(
    calls.map((call) => [call.method, call.url.href, call.headers["host"]]),
    [
      ["GET", a.url("/redirect?to=" + encodeURIComponent(target), "ok.test"), `ok.test:${a.port}`],
      ["GET", target, `ok2.test:${a.port}`],
    ],
  );
  const echoed = JSON.parse(result.value.body.toString()) as { headers: Record<string, string> };
  assert.equal(echoed.headers["signature"], `signed GET ${target}`);
  assert.equal(echoed.headers["host"], `ok2.test:${a.port}`);
  assert.equal(echoed.headers["accept"], "application/activity+json");
  assert.equal(echoed.headers["authorization"], undefined, "credentials are not carried to another origin");
});

test("303 turns a POST into a bodiless GET; 307 keeps method and body, and both are re-signed", async () => {
  const calls: SignRequest[] = [];
  const sign = (request: SignRequest): Record<string, string> => {
    calls.push(request);
    return { signature: `signed ${request.method} ${request.body?.byteLength ?? 0}` };
  };
  const post = { method: "POST", body: '{"type":"Create"}', headers: { "content-type": "application/activity+json", digest: "x" }, sign };

  const seeOther = await fetchA("/redirect?status=303&to=/echo", post);
  assert.ok(seeOther.ok);
  const afterSeeOther = JSON.parse(seeOther.value.body.toString()) as { method: string; body: string; headers: Record<string, string> };
  assert.equal(afterSeeOther.method, "GET");
  assert.equal(afterSeeOther.body, "");
  assert.equal(afterSeeOther.headers["content-type"], undefined);
  assert.equal(afterSeeOther.headers["digest"], undefined);
  assert.equal(afterSeeOther.headers["signature"], "signed GET 0");

  const temporary = await fetchA("/redirect?status=307&to=/echo", post);
  assert.ok(temporary.ok);
  const afterTemporary = JSON.parse(temporary.value.body.toString()) as { method: string; body: string; headers: Record<string, string> };
  assert.equal(afterTemporary.method, "POST");
  assert.equal(afterTemporary.body, '{"type":"Create"}');
  assert.equal(afterTemporary.headers["signature"], "signed POST 17");
  assert.deepEqual(
    calls.map((call) => call.method),
    ["POST", "GET", "POST", "POST"],
  );
});

test("a chunked 50 MB body is cut off just past the cap", async () => {
  const result = await fetchA("/chunked-50mb", { maxBytes: MB });
  assert.equal(!result.ok && result.error, "too-large");
  assert.ok(bigBytesSent < 50 * MB, `server managed to send ${bigBytesSent} bytes`);
});

test("a body exactly at the cap is accepted", async () => {
  const result = await fetchA("/exact", { maxBytes: 1000 });
  assert.ok(result.ok);
  assert.equal(result.value.body.length, 1000);
  const over = await fetchA("/exact", { maxBytes: 999 });
  assert.equal(!over.ok && over.error, "too-large");
});

test("a declared length over the cap is refused; a lying length never yields more than declared", async () => {
  const declared = await fetchA("/declared-large", { maxBytes: MB });
  assert.equal(!declared.ok && declared.error, "too-large");

  const lying = await safeFetch(raw.url("/lying-length", "ok.test"), { guardedClient, allowHttp: true, maxBytes: MB });
  if (lying.ok) assert.equal(lying.value.body.length, 100);

  const untilClose = await safeFetch(raw.url("/until-close", "ok.test"), { guardedClient, allowHttp: true, maxBytes: MB });
  assert.equal(!untilClose.ok && untilClose.error, "too-large");
});

test("gzip and brotli bombs are refused on the decoded size", async () => {
  assert.ok(gzipBomb.length < MB, "the bomb itself is small");
  const gzip = await fetchA("/gzip-bomb", { maxBytes: MB });
  assert.equal(!gzip.ok && gzip.error, "too-large");
  const br = await fetchA("/br-bomb", { maxBytes: MB });
  assert.equal(!br.ok && br.error, "too-large");
});

test("gzip, deflate (zlib and raw) and br bodies are decoded; unknown or corrupt codings are typed errors", async () => {
  const expected = "encoded body ".repeat(100);
  for (const coding of ["gzip", "deflate", "deflate-raw", "br", "identity"]) {
    const result = await fetchA(`/encoded?coding=${coding}`);
    assert.ok(result.ok, coding);
    assert.equal(result.value.body.toString(), expected, coding);
  }
  const unknown = await fetchA("/encoded?coding=compress");
  assert.equal(!unknown.ok && unknown.error, "bad-response");
  const corrupt = await fetchA("/encoded?coding=corrupt");
  assert.equal(!corrupt.ok && corrupt.error, "bad-response");
});

test("a server trickling bytes hits the total deadline (slow-loris)", async () => {
  const result = await fetchA("/slow", { timeoutMs: 300 });
  assert.equal(!result.ok && result.error, "timeout");
});

test("a server that never answers hits the total deadline", async () => {
  const result = await fetchA("/hang", { timeoutMs: 300 });
  assert.equal(!result.ok && result.error, "timeout");
});

test("the caller's signal aborts the exchange", async () => {
  const controller = new AbortController();
  const pending = fetchA("/hang", { signal: controller.signal });
  setTimeout(() => controller.abort(), 20);
  const result = await pending;
  assert.equal(!result.ok && result.error, "aborted");

  const already = await fetchA("/ok", { signal: AbortSignal.abort() });
  assert.equal(!already.ok && already.error, "aborted");
});

test("discard mode reports the status of a chatty response without failing it", async () => {
  const result = await fetchA("/chunked-50mb", { responseBody: "discard", maxBytes: 64 * KB });
  assert.ok(result.ok);
  assert.equal(result.value.status, 200);
  assert.equal(result.value.body.length, 0);
});

test("unknown names are network errors", async () => {
  const result = await safeFetch("http://unknown.test/", { guardedClient, allowHttp: true });
  assert.equal(!result.ok && result.error, "network");
});
