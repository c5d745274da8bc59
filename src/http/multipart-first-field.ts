/**
 * The first field of a multipart/form-data body, read without reading the rest: the session
 * middleware checks the CSRF token of an upload before the upload is read (issue #10 item 4: the
 * whole body used to be parsed just to find the `csrf` field). Herold's forms put `csrf` first, and
 * browsers send fields in document order.
 *
 * Reads at most `maxBytes` from the front of the body and hands back a body that replays those bytes
 * and then continues with the rest, so the route's own parser sees the whole, untouched body.
 */
export interface FirstField {
  /** The first part's name and text value, or null when it is not a small text field. */
  readonly field: { readonly name: string; readonly value: string } | null;
  /** The same body from its first byte. */
  readonly body: ReadableStream<Uint8Array>;
}

export function multipartBoundary(contentType: string): string | null {
  if (!/^multipart\/form-data\s*(;|$)/i.test(contentType)) return null;
  const match = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;"]{1,70}))/i.exec(contentType);
  return match?.[1] ?? match?.[2] ?? null;
}

export async function readFirstField(body: ReadableStream<Uint8Array>, boundary: string, maxBytes = 4096): Promise<FirstField> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let done = false;
  let field: FirstField["field"] = null;
  for (;;) {
    const buffered = Buffer.concat(chunks);
    const parsed = parseFirstPart(buffered, boundary);
    if (parsed !== undefined) {
      field = parsed;
      break;
    }
    if (done || size >= maxBytes) break;
    const next = await reader.read();
    if (next.done) done = true;
    else {
      chunks.push(next.value);
      size += next.value.byteLength;
    }
  }
  let replay = 0;
  const replayed = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (replay < chunks.length) return controller.enqueue(chunks[replay++]!);
      if (done) return controller.close();
      const next = await reader.read();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
  return { field, body: replayed };
}

/** The first part when it is complete in `buffer`; null when it cannot be a text field; undefined: read more. */
function parseFirstPart(buffer: Buffer, boundary: string): { name: string; value: string } | null | undefined {
  const opening = Buffer.from(`--${boundary}\r\n`);
  if (buffer.length < opening.length) return opening.subarray(0, buffer.length).equals(buffer) ? undefined : null;
  if (!buffer.subarray(0, opening.length).equals(opening)) return null;
  const headerEnd = buffer.indexOf("\r\n\r\n", opening.length);
  if (headerEnd === -1) return undefined;
  const headers = buffer.subarray(opening.length, headerEnd).toString("latin1");
  const disposition = /^content-disposition:\s*form-data\s*;(.*)$/im.exec(headers)?.[1];
  if (disposition === undefined || /\bfilename\*?=/i.test(disposition)) return null;
  const name = /\bname="([^"]*)"/i.exec(disposition)?.[1];
  if (name === undefined) return null;
  const end = buffer.indexOf(`\r\n--${boundary}`, headerEnd + 4);
  if (end === -1) return undefined;
  return { name, value: buffer.subarray(headerEnd + 4, end).toString("utf8") };
}
