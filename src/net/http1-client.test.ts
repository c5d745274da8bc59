import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { CONNECT_TIMEOUT_CODE, HEADERS_TIMEOUT_CODE, Http1Client, type Http1ClientOptions, type Http1Request } from "./http1-client.ts";
import { BAD_RESPONSE_CODE } from "./http1-parser.ts";
import { FORBIDDEN_ADDRESS_CODE, type LookupFn } from "./resolve-allowed.ts";
import { startTestServer } from "../testing/test-server.ts";
import { OK_TEST_CERT, OK_TEST_KEY } from "./testing/tls-certificate.ts";

/** Loopback only: tests allow private addresses the way HEROLD_ALLOW_PRIVATE_ADDRESS does. */
const LOOPBACK: Http1ClientOptions = { addressPolicy: { allowPrivateAddress: true, allowedEndpoints: [] }, connectTimeoutMs: 2000, connectionsPerOrigin: 4 };

const clients: Http1Client[] = [];
function client(options: Partial<Http1ClientOptions> = {}): Http1Client {
  const made = new Http1Client({ ...LOOPBACK, ...options });
  clients.push(made);
  return made;
}

function post(url: string, overrides: Partial<Http1Request> = {}): Http1Request {
  return {
    url: new URL(url),
    method: "POST",
    headers: { "content-type": "application/activity+json", signature: "keyId=\"k\"" },
    body: Buffer.from('{"type":"Create"}'),
    headersTimeoutMs: 2000,
    totalTimeoutMs: 4000,
    maxBodyBytes: 1024,
    ...overrides,
  };
}

/** A TCP server that answers every request it reads with the bytes `answer` returns (raw HTTP). */
async function rawServer(answer: (request: string, socket: Socket, index: number) => string | null): Promise<{ url: string; connections: () => number; requests: string[]; server: Server }> {
  const requests: string[] = [];
  let connections = 0;
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    let buffered = "";
    socket.on("data", (chunk) => {
      buffered += chunk.toString("latin1");
      // One request per read is enough here: head plus a body of content-length bytes.
      const end = buffered.indexOf("\r\n\r\n");
      if (end < 0) return;
      const length = Number(/content-length: (\d+)/i.exec(buffered.slice(0, end))?.[1] ?? 0);
      if (buffered.length < end + 4 + length) return;
      const request = buffered.slice(0, end + 4 + length);
      buffered = buffered.slice(end + 4 + length);
      requests.push(request);
      const reply = answer(request, socket, requests.length - 1);
      if (reply !== null) socket.write(reply);
    });
    socket.on("error", () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  after(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/inbox`, connections: () => connections, requests, server };
}

after(async () => {
  for (const c of clients) await c.close();
});

describe("Http1Client", () => {
  test("POSTs the body with host, content-length and the caller's headers; reuses the kept-alive connection", async () => {
    const server = await startTestServer((_request, response) => response.writeHead(202, { "retry-after": "30" }).end());
    after(() => server.close());
    const http = client();
    const first = await http.request(post(server.url("/users/a/inbox?x=1")));
    const second = await http.request(post(server.url("/inbox")));
    assert.equal(first.status, 202);
    assert.equal(first.headers.get("retry-after"), "30");
    assert.equal(first.body, "complete");
    assert.equal(second.status, 202);
    assert.equal(server.connections(), 1, "the second request used the same connection");
    const [request] = server.requests;
    assert.equal(request!.url, "/users/a/inbox?x=1");
    assert.equal(request!.headers.host, new URL(server.url()).host);
    assert.equal(request!.headers["content-length"], String(Buffer.byteLength('{"type":"Create"}')));
    assert.equal(request!.headers.signature, 'keyId="k"');
    assert.equal(request!.body.toString(), '{"type":"Create"}');
  });

  test("reads chunked bodies to the end and keeps the connection", async () => {
    const server = await rawServer(() => "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\ntrailer: x\r\n\r\n");
    const http = client();
    assert.equal((await http.request(post(server.url))).body, "complete");
    assert.equal((await http.request(post(server.url))).status, 200);
    assert.equal(server.connections(), 1);
  });

  test("skips interim 1xx answers", async () => {
    const server = await rawServer(() => "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nlink: </a>\r\n\r\nHTTP/1.1 202 Accepted\r\ncontent-length: 0\r\n\r\n");
    const response = await client().request(post(server.url));
    assert.equal(response.status, 202);
  });

  test("does not reuse a connection the peer asked to close, nor one with a body framed by close", async () => {
    const closing = await rawServer((_r, socket) => {
      socket.end("HTTP/1.1 202 Accepted\r\nconnection: close\r\ncontent-length: 0\r\n\r\n");
      return null;
    });
    const http = client();
    await http.request(post(closing.url));
    await http.request(post(closing.url));
    assert.equal(closing.connections(), 2);
    const untilClose = await rawServer((_r, socket) => {
      socket.end("HTTP/1.1 200 OK\r\n\r\nsome body");
      return null;
    });
    const response = await http.request(post(untilClose.url));
    assert.equal(response.body, "complete");
  });

  test("a body beyond the cap drops the connection but the answer counts", async () => {
    const server = await rawServer(() => `HTTP/1.1 400 Bad Request\r\ncontent-length: 5000\r\n\r\n${"x".repeat(5000)}`);
    const http = client();
    const response = await http.request(post(server.url, { maxBodyBytes: 100 }));
    assert.equal(response.status, 400);
    assert.equal(response.body, "too-large");
    await http.request(post(server.url, { maxBodyBytes: 100 }));
    assert.equal(server.connections(), 2, "the overflowing connection was not reused");
  });

  test("a body cut off after the head still reports the status", async () => {
    const server = await rawServer((_r, socket) => {
      socket.end("HTTP/1.1 202 Accepted\r\ncontent-length: 100\r\n\r\nshort");
      return null;
    });
    const response = await client().request(post(server.url));
    assert.equal(response.status, 202);
    assert.equal(response.body, "cut-off");
  });

  test("malformed answers are errors, not statuses", async () => {
    for (const reply of ["SSH-2.0-OpenSSH\r\n\r\n", "HTTP/1.1 2000 OK\r\n\r\n", "HTTP/1.1 200 OK\r\nbad header\r\n\r\n", "HTTP/1.1 200 OK\r\ncontent-length: 1, 2\r\n\r\n", `HTTP/1.1 200 OK\r\nx: ${"y".repeat(20_000)}\r\n\r\n`]) {
      const server = await rawServer(() => reply);
      await assert.rejects(client().request(post(server.url)), (error: { code?: string }) => error.code === BAD_RESPONSE_CODE, JSON.stringify(reply.slice(0, 40)));
    }
  });

  test("a peer that never answers runs into the headers timeout", async () => {
    const server = await rawServer(() => null);
    await assert.rejects(client().request(post(server.url, { headersTimeoutMs: 100 })), (error: { code?: string }) => error.code === HEADERS_TIMEOUT_CODE);
  });

  test("a kept-alive connection the peer closed while idle: the request is sent again on a new one", async () => {
    const server = await rawServer((_request, socket, index) => {
      if (index === 0) {
        // Answers with keep-alive, then closes the idle connection, as servers with short keep-alive do.
        socket.write("HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\n\r\n");
        setTimeout(() => socket.destroy(), 20);
        return null;
      }
      return "HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\n\r\n";
    });
    const http = client();
    await http.request(post(server.url));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const response = await http.request(post(server.url));
    assert.equal(response.status, 202);
    assert.equal(server.connections(), 2);
  });

  test("at most connectionsPerOrigin connections to one peer; the others wait their turn", async () => {
    let open = 0;
    let most = 0;
    const server = await rawServer((_request, socket) => {
      setTimeout(() => socket.write("HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\n\r\n"), 20);
      return null;
    });
    server.server.on("connection", (socket: Socket) => {
      open++;
      most = Math.max(most, open);
      socket.on("close", () => open--);
    });
    const http = client({ connectionsPerOrigin: 2 });
    const responses = await Promise.all(Array.from({ length: 6 }, () => http.request(post(server.url))));
    assert.deepEqual(responses.map((r) => r.status), [202, 202, 202, 202, 202, 202]);
    assert.ok(most <= 2, `at most 2 connections at once (saw ${most})`);
    assert.equal(server.requests.length, 6);
  });

  test("the address policy refuses loopback in production mode before any connection", async () => {
    const server = await rawServer(() => "HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\n\r\n");
    const lookup: LookupFn = async () => [{ address: "127.0.0.1", family: 4 }];
    const production = client({ addressPolicy: { allowPrivateAddress: false, allowedEndpoints: [] }, lookup });
    const port = new URL(server.url).port;
    for (const url of [server.url, `http://inside.test:${port}/inbox`]) {
      await assert.rejects(production.request(post(url)), (error: { code?: string }) => error.code === FORBIDDEN_ADDRESS_CODE, url);
    }
    assert.equal(server.connections(), 0);
  });

  test("TLS: the certificate is verified for the requested name while connecting to the checked address", async () => {
    const server = await startTestServer((_request, response) => response.writeHead(202).end(), { tls: { cert: OK_TEST_CERT, key: OK_TEST_KEY } });
    after(() => server.close());
    const lookup: LookupFn = async () => [{ address: "127.0.0.1", family: 4 }];
    const http = client({ lookup, ca: OK_TEST_CERT });
    const response = await http.request(post(`https://ok.test:${server.port}/inbox`));
    assert.equal(response.status, 202);
    assert.deepEqual(server.servernames, ["ok.test"]);
    await assert.rejects(http.request(post(`https://wrong.test:${server.port}/inbox`)), (error: { code?: string }) => error.code === "ERR_TLS_CERT_ALTNAME_INVALID");
    assert.equal(server.requests.length, 1, "nothing was sent to a peer with the wrong certificate");
  });

  test("a connect that cannot finish in time fails with the connect timeout", async () => {
    // A name whose resolution never answers: the connect budget covers resolution.
    const lookup: LookupFn = () => new Promise(() => undefined);
    await assert.rejects(client({ lookup, connectTimeoutMs: 50 }).request(post("http://slow.test/inbox")), (error: { code?: string }) => error.code === CONNECT_TIMEOUT_CODE);
  });
});

describe("Http1Client bookkeeping", () => {
  test("refuses header names and values that could split the request", async () => {
    const server = await rawServer(() => "HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\n\r\n");
    const http = client();
    const invalid: Array<Record<string, string>> = [{ "x-a": "1\r\nx-injected: 2" }, { "bad name": "1" }, { "x-b": "snow ☃" }];
    for (const headers of invalid) {
      await assert.rejects(http.request(post(server.url, { headers })), TypeError, JSON.stringify(headers));
    }
    assert.equal(server.requests.length, 0);
  });

  test("an origin whose connections all closed is forgotten and works again afterwards", async () => {
    const server = await rawServer((_r, socket) => {
      socket.end("HTTP/1.1 202 Accepted\r\nconnection: close\r\ncontent-length: 0\r\n\r\n");
      return null;
    });
    const http = client();
    for (let i = 0; i < 3; i++) assert.equal((await http.request(post(server.url))).status, 202);
    assert.equal(server.connections(), 3);
  });
});
