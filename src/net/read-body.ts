/**
 * Reading an inbound request body with a byte cap.
 *
 * Threat: payload size (docs/research/hostile-inputs.md case 17). A peer can send a chunked 50 MB body, or declare a
 * small `Content-Length` and keep going, or send no length at all. The cap is therefore enforced on the
 * bytes actually streamed: reading stops and the stream is cancelled as soon as one byte more than
 * `maxBytes` has arrived, whatever the headers said. Memory held is at most `maxBytes` plus one chunk.
 * (Refusing early on a declared `Content-Length` above the cap is a cheap extra the caller can add.)
 */
import { err, ok, type Result } from "../lib/result.ts";

export type ReadBodyError = "too-large" | "aborted";

export interface ReadBodyOptions {
  /** Stops reading with `aborted`, e.g. when the client disconnects or a server deadline passes. */
  readonly signal?: AbortSignal;
}

/** Reads `stream` fully if it holds at most `maxBytes` bytes; a null stream is an empty body. */
export async function readBodyLimited(
  stream: ReadableStream<Uint8Array> | null,
  maxBytes: number,
  options: ReadBodyOptions = {},
): Promise<Result<Uint8Array, ReadBodyError>> {
  if (stream === null) return ok(new Uint8Array(0));
  const { signal } = options;
  if (signal?.aborted) {
    await stream.cancel().catch(() => undefined);
    return err("aborted", "reading the body was aborted");
  }
  const reader = stream.getReader();
  const onAbort = (): void => {
    reader.cancel(signal?.reason).catch(() => undefined);
  };
  signal?.addEventListener("abort", onAbort, { once: true });
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    while (true) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (error) {
        return err("aborted", `reading the body failed: ${error instanceof Error ? error.message : String(error)}`);
      }
      if (signal?.aborted) return err("aborted", "reading the body was aborted");
      if (chunk.done) break;
      total += chunk.value.byteLength;
      if (total > maxBytes) {
        await reader.cancel("body too large").catch(() => undefined);
        return err("too-large", `body larger than ${maxBytes} bytes`);
      }
      chunks.push(chunk.value);
    }
  } finally {
    signal?.removeEventListener("abort", onAbort);
    reader.releaseLock();
  }
  if (chunks.length === 1) return ok(chunks[0]!);
  const body = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return ok(body);
}
