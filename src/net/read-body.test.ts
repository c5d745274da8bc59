import assert from "node:assert/strict";
import { test } from "node:test";
import { readBodyLimited } from "./read-body.ts";

const MB = 1024 * 1024;

/** A stream that would produce `total` bytes in `chunkSize` chunks, generated only as they are pulled. */
function lazyStream(total: number, chunkSize: number): { stream: ReadableStream<Uint8Array>; pulled: () => number; cancelled: () => boolean } {
  let produced = 0;
  let wasCancelled = false;
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (produced >= total) {
          controller.close();
          return;
        }
        const size = Math.min(chunkSize, total - produced);
        produced += size;
        controller.enqueue(new Uint8Array(size).fill(0x61));
      },
      cancel() {
        wasCancelled = true;
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, pulled: () => produced, cancelled: () => wasCancelled };
}

test("null body is empty", async () => {
  const result = await readBodyLimited(null, 10);
  assert.ok(result.ok);
  assert.equal(result.value.byteLength, 0);
});

test("reads a body up to and including the cap", async () => {
  const { stream } = lazyStream(1000, 64);
  const result = await readBodyLimited(stream, 1000);
  assert.ok(result.ok);
  assert.equal(result.value.byteLength, 1000);
  assert.ok(result.value.every((b) => b === 0x61));
});

test("a 50 MB body stops being read just past the 1 MB cap and is cancelled", async () => {
  const { stream, pulled, cancelled } = lazyStream(50 * MB, 64 * 1024);
  const result = await readBodyLimited(stream, MB);
  assert.equal(!result.ok && result.error, "too-large");
  assert.ok(pulled() <= MB + 2 * 64 * 1024, `pulled ${pulled()} bytes`);
  assert.equal(cancelled(), true);
});

test("a single oversized chunk is refused", async () => {
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new Uint8Array(2 * MB));
      controller.close();
    },
  });
  const result = await readBodyLimited(stream, MB);
  assert.equal(!result.ok && result.error, "too-large");
});

test("a stream that errors is reported as aborted", async () => {
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new Uint8Array(10));
      controller.error(new Error("connection reset"));
    },
  });
  const result = await readBodyLimited(stream, MB);
  assert.equal(!result.ok && result.error, "aborted");
});

test("an abort signal stops a body that never finishes", async () => {
  const stream = new ReadableStream<Uint8Array>({ pull: () => new Promise<void>(() => undefined) });
  const controller = new AbortController();
  const pending = readBodyLimited(stream, MB, { signal: controller.signal });
  controller.abort();
  const result = await pending;
  assert.equal(!result.ok && result.error, "aborted");
});
