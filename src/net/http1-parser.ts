/**
 * An incremental HTTP/1.1 response parser for the delivery client (http1-client.ts), strict where a
 * hostile peer could make it misframe a response and small enough to read in one sitting.
 *
 * It parses the status line and headers (interim 1xx answers are skipped), then frames the body as
 * RFC 9112 §6.3 says — no body for HEAD/204/304, chunked when Transfer-Encoding ends in `chunked`,
 * Content-Length otherwise, else until the peer closes — and counts the body bytes, keeping them only
 * when asked (`collect`; inbox answers are counted and dropped). Limits: `maxHeadBytes` for the head
 * (and for a chunk-size or trailer line), `maxBodyBytes` for the body, also when Content-Length
 * announces more; beyond either the exchange ends.
 */
export const BAD_RESPONSE_CODE = "HEROLD_BAD_RESPONSE";

export class BadResponseError extends Error {
  override name = "BadResponseError";
  readonly code = BAD_RESPONSE_CODE;
}

export interface ResponseHead {
  readonly status: number;
  /** Lower-case names; repeated fields joined with ", ". */
  readonly headers: ReadonlyMap<string, string>;
}

type BodyState =
  | { readonly kind: "none" }
  | { readonly kind: "length"; remaining: number }
  | { readonly kind: "chunked"; step: "size" | "data" | "data-end" | "trailer"; remaining: number }
  | { readonly kind: "close" };

const CRLF = Buffer.from("\r\n");
const HEAD_END = Buffer.from("\r\n\r\n");
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;
const STATUS_LINE = /^HTTP\/1\.([01]) ([1-9]\d\d)(?: [^\r\n]*)?$/;

export class ResponseParser {
  readonly #maxHeadBytes: number;
  readonly #maxBodyBytes: number;
  readonly #headRequest: boolean;
  /** Body bytes kept, when collecting. */
  readonly #chunks: Buffer[] | null;
  /** Unparsed bytes of the head or of a chunk-size/trailer line. */
  #pending: Buffer | null = null;
  #body: BodyState | null = null;
  #bodyBytes = 0;
  #head: ResponseHead | null = null;
  #keepAlive = false;
  #keepAliveHintMs: number | null = null;
  #complete = false;
  #tooLarge = false;
  #trailing = false;
  #received = false;

  constructor(options: { maxHeadBytes: number; maxBodyBytes: number; headRequest: boolean; collect?: boolean }) {
    this.#maxHeadBytes = options.maxHeadBytes;
    this.#maxBodyBytes = options.maxBodyBytes;
    this.#headRequest = options.headRequest;
    this.#chunks = options.collect === true ? [] : null;
  }

  /** The body bytes received so far (empty unless collecting). */
  get body(): Buffer {
    return this.#chunks === null ? Buffer.alloc(0) : Buffer.concat(this.#chunks);
  }

  /** The final (non-1xx) response head, once parsed. */
  get head(): ResponseHead | null {
    return this.#head;
  }
  /** The whole response has arrived. */
  get complete(): boolean {
    return this.#complete;
  }
  /** The body exceeded `maxBodyBytes`; the connection must be dropped. */
  get tooLarge(): boolean {
    return this.#tooLarge;
  }
  /** Any byte arrived (a reused connection that fails before this may be retried). */
  get received(): boolean {
    return this.#received;
  }
  /** The connection may carry another request after this response. */
  get reusable(): boolean {
    return this.#complete && this.#keepAlive && !this.#trailing && !this.#tooLarge;
  }
  /** The peer's `Keep-Alive: timeout=N`, in ms. */
  get keepAliveHintMs(): number | null {
    return this.#keepAliveHintMs;
  }

  /** Feeds bytes from the socket. Throws BadResponseError on a malformed or oversized head. */
  feed(chunk: Buffer): void {
    if (chunk.length > 0) this.#received = true;
    let data = this.#pending === null ? chunk : Buffer.concat([this.#pending, chunk]);
    this.#pending = null;
    while (data.length > 0) {
      if (this.#complete || this.#tooLarge) {
        // Bytes after the response: the peer pipelines or misframes; never reuse this connection.
        this.#trailing = true;
        return;
      }
      data = this.#body === null ? this.#feedHead(data) : this.#feedBody(this.#body, data);
    }
  }

  /** The peer closed the connection. True if that completed the response (body delimited by close). */
  end(): boolean {
    if (this.#body?.kind === "close" && !this.#tooLarge) {
      this.#complete = true;
      this.#keepAlive = false;
    }
    return this.#complete;
  }

  #feedHead(data: Buffer): Buffer {
    const end = data.indexOf(HEAD_END);
    if (end < 0) {
      if (data.length > this.#maxHeadBytes) throw new BadResponseError(`response head larger than ${this.#maxHeadBytes} bytes`);
      this.#pending = data;
      return Buffer.alloc(0);
    }
    if (end > this.#maxHeadBytes) throw new BadResponseError(`response head larger than ${this.#maxHeadBytes} bytes`);
    const lines = data.toString("latin1", 0, end).split("\r\n");
    const rest = data.subarray(end + HEAD_END.length);
    const statusLine = STATUS_LINE.exec(lines[0]!);
    if (statusLine === null) throw new BadResponseError(`not an HTTP/1.x status line: ${JSON.stringify(lines[0]!.slice(0, 80))}`);
    const status = Number(statusLine[2]);
    const headers = parseFields(lines.slice(1));
    if (status < 200) {
      // 100 Continue, 102, 103 Early Hints: interim, the final answer follows. 101 would switch protocols.
      if (status === 101) throw new BadResponseError("unexpected 101 Switching Protocols");
      return rest;
    }
    const connection = (headers.get("connection") ?? "").toLowerCase().split(",").map((t) => t.trim());
    this.#keepAlive = statusLine[1] === "1" ? !connection.includes("close") : connection.includes("keep-alive");
    const hint = /(?:^|,)\s*timeout=(\d+)/i.exec(headers.get("keep-alive") ?? "");
    if (hint !== null) this.#keepAliveHintMs = Number(hint[1]) * 1000;
    this.#head = { status, headers };
    this.#body = this.#framing(status, headers);
    if (this.#body.kind === "none" || (this.#body.kind === "length" && this.#body.remaining === 0)) this.#complete = true;
    return rest;
  }

  #framing(status: number, headers: ReadonlyMap<string, string>): BodyState {
    if (this.#headRequest || status === 204 || status === 304) return { kind: "none" };
    const transferEncoding = headers.get("transfer-encoding");
    if (transferEncoding !== undefined) {
      // Transfer-Encoding overrides Content-Length; a message with both must not be reused (§6.3).
      if (headers.has("content-length")) this.#keepAlive = false;
      const codings = transferEncoding.toLowerCase().split(",").map((c) => c.trim());
      if (codings.at(-1) === "chunked") return { kind: "chunked", step: "size", remaining: 0 };
      this.#keepAlive = false;
      return { kind: "close" };
    }
    const length = headers.get("content-length");
    if (length !== undefined) {
      const values = new Set(length.split(",").map((v) => v.trim()));
      const [value] = values;
      if (values.size !== 1 || !/^\d{1,15}$/.test(value!)) throw new BadResponseError(`invalid Content-Length ${JSON.stringify(length.slice(0, 40))}`);
      // Announced beyond the cap: not worth reading at all.
      if (Number(value) > this.#maxBodyBytes) this.#tooLarge = true;
      return { kind: "length", remaining: Number(value) };
    }
    this.#keepAlive = false;
    return { kind: "close" };
  }

  /** Counts (and, when collecting, keeps) body bytes; false once beyond the cap. */
  #take(bytes: Buffer): boolean {
    this.#bodyBytes += bytes.length;
    if (this.#bodyBytes > this.#maxBodyBytes) this.#tooLarge = true;
    else if (this.#chunks !== null && bytes.length > 0) this.#chunks.push(bytes);
    return !this.#tooLarge;
  }

  #feedBody(body: BodyState, data: Buffer): Buffer {
    switch (body.kind) {
      case "none":
        this.#trailing = true;
        return Buffer.alloc(0);
      case "close":
        this.#take(data);
        return Buffer.alloc(0);
      case "length": {
        const take = Math.min(body.remaining, data.length);
        body.remaining -= take;
        if (!this.#take(data.subarray(0, take))) return Buffer.alloc(0);
        if (body.remaining === 0) this.#complete = true;
        return data.subarray(take);
      }
      case "chunked":
        return this.#feedChunked(body, data);
    }
  }

  #feedChunked(body: Extract<BodyState, { kind: "chunked" }>, data: Buffer): Buffer {
    if (body.step === "data") {
      const take = Math.min(body.remaining, data.length);
      body.remaining -= take;
      if (!this.#take(data.subarray(0, take))) return Buffer.alloc(0);
      if (body.remaining === 0) body.step = "data-end";
      return data.subarray(take);
    }
    const lineEnd = data.indexOf(CRLF);
    if (lineEnd < 0) {
      if (data.length > this.#maxHeadBytes) throw new BadResponseError("chunk line too long");
      this.#pending = data;
      return Buffer.alloc(0);
    }
    const line = data.toString("latin1", 0, lineEnd);
    const rest = data.subarray(lineEnd + CRLF.length);
    switch (body.step) {
      case "data-end":
        if (line !== "") throw new BadResponseError("chunk data not followed by CRLF");
        body.step = "size";
        return rest;
      case "size": {
        const size = /^([0-9a-fA-F]{1,12})[ \t]*(?:;.*)?$/.exec(line);
        if (size === null) throw new BadResponseError(`invalid chunk size line ${JSON.stringify(line.slice(0, 40))}`);
        body.remaining = Number.parseInt(size[1]!, 16);
        body.step = body.remaining === 0 ? "trailer" : "data";
        return rest;
      }
      case "trailer":
        // Trailer fields are ignored; the empty line ends the message.
        if (line === "") this.#complete = true;
        return rest;
    }
  }
}

function parseFields(lines: readonly string[]): Map<string, string> {
  const fields = new Map<string, string>();
  let last: string | undefined;
  for (const line of lines) {
    if (line.startsWith(" ") || line.startsWith("\t")) {
      // Obsolete line folding: a continuation of the previous field (RFC 9112 §5.2).
      if (last === undefined) throw new BadResponseError("header continuation without a field");
      fields.set(last, `${fields.get(last)!} ${line.trim()}`);
      continue;
    }
    const colon = line.indexOf(":");
    const name = colon > 0 ? line.slice(0, colon).toLowerCase() : "";
    if (!TOKEN.test(name)) throw new BadResponseError(`invalid header line ${JSON.stringify(line.slice(0, 80))}`);
    const value = line.slice(colon + 1).trim();
    const previous = fields.get(name);
    fields.set(name, previous === undefined ? value : `${previous}, ${value}`);
    last = name;
  }
  return fields;
}
