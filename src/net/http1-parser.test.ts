import assert from "node:assert/strict";
import { test } from "node:test";
import { BadResponseError, ResponseParser } from "./http1-parser.ts";

const parser = (maxBodyBytes = 1024, headRequest = false) => new ResponseParser({ maxHeadBytes: 16 * 1024, maxBodyBytes, headRequest });

/** Feeds `text` in pieces of `size` bytes, as a slow network would deliver it. */
function feedInPieces(p: ResponseParser, text: string, size: number): void {
  const bytes = Buffer.from(text, "latin1");
  for (let i = 0; i < bytes.length; i += size) p.feed(bytes.subarray(i, i + size));
}

const CHUNKED = "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\nKeep-Alive: timeout=5\r\n\r\n4\r\nWiki\r\nA;x=y\r\n0123456789\r\n0\r\nExpires: never\r\n\r\n";

test("the same response parses alike whatever the read boundaries", () => {
  for (const size of [1, 2, 3, 7, 64, 4096]) {
    const p = parser();
    feedInPieces(p, CHUNKED, size);
    assert.equal(p.complete, true, `pieces of ${size}`);
    assert.equal(p.reusable, true);
    assert.equal(p.head?.status, 200);
    assert.equal(p.keepAliveHintMs, 5000);
  }
});

test("no body for HEAD, 204 and 304, whatever Content-Length says", () => {
  const head = parser(1024, true);
  head.feed(Buffer.from("HTTP/1.1 200 OK\r\ncontent-length: 50\r\n\r\n"));
  assert.equal(head.complete, true);
  for (const status of ["204 No Content", "304 Not Modified"]) {
    const p = parser();
    p.feed(Buffer.from(`HTTP/1.1 ${status}\r\n\r\n`));
    assert.equal(p.complete, true, status);
    assert.equal(p.reusable, true, status);
  }
});

test("repeated fields are joined; obsolete folding continues a field; names are lower case", () => {
  const p = parser();
  p.feed(Buffer.from("HTTP/1.1 202 Accepted\r\nVary: a\r\nvary: b\r\nX-Long: one\r\n two\r\ncontent-length: 0\r\n\r\n"));
  assert.equal(p.head?.headers.get("vary"), "a, b");
  assert.equal(p.head?.headers.get("x-long"), "one two");
});

test("HTTP/1.0 and Connection: close are not reused; bytes after the response spoil the connection", () => {
  const old = parser();
  old.feed(Buffer.from("HTTP/1.0 200 OK\r\ncontent-length: 0\r\n\r\n"));
  assert.equal(old.complete && !old.reusable, true);
  const close = parser();
  close.feed(Buffer.from("HTTP/1.1 200 OK\r\nConnection: Close\r\ncontent-length: 0\r\n\r\n"));
  assert.equal(close.reusable, false);
  const extra = parser();
  extra.feed(Buffer.from("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n\r\n"));
  assert.equal(extra.complete, true);
  assert.equal(extra.reusable, false);
});

test("Transfer-Encoding with Content-Length: chunked framing wins and the connection is not reused", () => {
  const p = parser();
  p.feed(Buffer.from("HTTP/1.1 200 OK\r\ncontent-length: 100\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n"));
  assert.equal(p.complete, true);
  assert.equal(p.reusable, false);
});

test("bodies beyond the cap are flagged, in any framing", () => {
  for (const text of ["HTTP/1.1 200 OK\r\ncontent-length: 20\r\n\r\n01234567890123456789", "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n14\r\n01234567890123456789\r\n0\r\n\r\n", "HTTP/1.1 200 OK\r\n\r\n01234567890123456789"]) {
    const p = parser(10);
    p.feed(Buffer.from(text));
    assert.equal(p.tooLarge, true, text.slice(0, 40));
    assert.equal(p.reusable, false);
  }
});

test("malformed heads and chunk framing throw", () => {
  for (const text of [
    "HTTP/2 200\r\n\r\n",
    "HTTP/1.1 99 Low\r\n\r\n",
    "HTTP/1.1 101 Switching Protocols\r\n\r\n",
    "HTTP/1.1 200 OK\r\n: no name\r\n\r\n",
    "HTTP/1.1 200 OK\r\n folded first\r\n\r\n",
    "HTTP/1.1 200 OK\r\ncontent-length: -1\r\n\r\n",
    "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n",
    "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nabX\r\n",
  ]) {
    assert.throws(() => parser().feed(Buffer.from(text)), BadResponseError, JSON.stringify(text));
  }
});

test("a body delimited by close completes only when the peer closes", () => {
  const p = parser();
  p.feed(Buffer.from("HTTP/1.1 200 OK\r\n\r\npartial"));
  assert.equal(p.complete, false);
  assert.equal(p.end(), true);
  assert.equal(p.reusable, false);
  const cut = parser();
  cut.feed(Buffer.from("HTTP/1.1 200 OK\r\ncontent-length: 9\r\n\r\npartial"));
  assert.equal(cut.end(), false);
});

test("hostile bytes: 3,000 mutated responses in random pieces end in a verdict or BadResponseError, never anything else", () => {
  // A fixed-seed generator: the same cases on every run.
  let seed = 0x9e3779b9;
  const random = (n: number): number => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) % n;
  };
  const bases = [CHUNKED, "HTTP/1.1 202 Accepted\r\ncontent-length: 5\r\n\r\nhello", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\nbody", "HTTP/1.0 404 Not Found\r\nconnection: keep-alive\r\n\r\n"];
  const noise = ["\r\n", "\r", "\n", ":", " ", "0", "f", ";", "\x00", "\xff", "HTTP/1.1 ", "content-length: 99999999999\r\n", "transfer-encoding: chunked\r\n", "\r\n\r\n"];
  for (let i = 0; i < 3000; i++) {
    let text = bases[random(bases.length)]!;
    for (let m = random(6); m > 0; m--) {
      const at = random(text.length + 1);
      const cut = random(4);
      text = text.slice(0, at) + (random(2) === 0 ? noise[random(noise.length)]! : "") + text.slice(at + cut);
    }
    const p = parser(64);
    try {
      feedInPieces(p, text, 1 + random(9));
      p.end();
    } catch (error) {
      assert.ok(error instanceof BadResponseError, `case ${i}: ${String(error)} for ${JSON.stringify(text)}`);
      continue;
    }
    if (p.complete) assert.ok(p.head !== null, `case ${i}: complete without a head`);
    if (p.reusable) assert.ok(p.complete && !p.tooLarge, `case ${i}: reusable but not cleanly complete`);
  }
});
