import assert from "node:assert/strict";
import { test } from "node:test";
import { multipartBoundary, readFirstField } from "./multipart-first-field.ts";

function streamOf(bytes: Buffer, chunkSize: number): { stream: ReadableStream<Uint8Array>; pulled: () => number } {
  let offset = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(new Uint8Array(bytes.subarray(offset, offset + chunkSize)));
      offset += chunkSize;
    },
  }, { highWaterMark: 0 });
  return { stream, pulled: () => Math.min(offset, bytes.length) };
}

const boundary = "XyZ";
const form = Buffer.from(
  `--${boundary}\r\nContent-Disposition: form-data; name="csrf"\r\n\r\ntoken-value\r\n` +
    `--${boundary}\r\nContent-Disposition: form-data; name="image_0"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n${"p".repeat(20_000)}\r\n--${boundary}--\r\n`,
);

test("the first field is read from the front, split however the chunks fall; the body replays whole", async () => {
  for (const size of [1, 7, 64, 4096]) {
    const { stream, pulled } = streamOf(form, size);
    const { field, body } = await readFirstField(stream, boundary);
    assert.deepEqual(field, { name: "csrf", value: "token-value" }, `chunks of ${size}`);
    assert.ok(pulled() <= Math.max(200, size), `read ${pulled()} bytes to find it`);
    assert.ok(Buffer.from(await new Response(body).arrayBuffer()).equals(form), "the route sees the same body");
  }
});

test("a first part that is a file, malformed, or too long to be a token gives no field", async () => {
  const file = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="csrf"; filename="x"\r\n\r\nv\r\n--${boundary}--\r\n`);
  const wrongStart = Buffer.from(`preamble--${boundary}\r\nContent-Disposition: form-data; name="csrf"\r\n\r\nv\r\n--${boundary}--\r\n`);
  const long = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n${"v".repeat(10_000)}\r\n--${boundary}--\r\n`);
  for (const bytes of [file, wrongStart, long]) {
    const { field, body } = await readFirstField(streamOf(bytes, 512).stream, boundary);
    assert.equal(field, null);
    assert.ok(Buffer.from(await new Response(body).arrayBuffer()).equals(bytes));
  }
});

test("the boundary comes from the content type, quoted or not; other types have none", () => {
  assert.equal(multipartBoundary("multipart/form-data; boundary=----abc"), "----abc");
  assert.equal(multipartBoundary('multipart/form-data; charset=utf-8; boundary="a b"'), "a b");
  assert.equal(multipartBoundary("application/x-www-form-urlencoded"), null);
  assert.equal(multipartBoundary("multipart/form-data"), null);
});
