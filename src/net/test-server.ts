/**
 * Loopback HTTP servers for the src/net tests. Test support only; not imported by production code.
 *
 * Every server binds to 127.0.0.1 and counts the TCP connections it accepts, so a test can prove that a
 * refused fetch never reached it (zero connections), not merely that the fetch reported an error.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { createServer as createTcpServer, type AddressInfo, type Socket } from "node:net";

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage["headers"];
  readonly body: Buffer;
}

export interface TestServer {
  readonly port: number;
  /** `http(s)://<host>:<port><path>`; host defaults to 127.0.0.1. */
  url(path?: string, host?: string): string;
  connections(): number;
  readonly requests: RecordedRequest[];
  /** TLS server names (SNI) clients sent, one per TLS connection. */
  readonly servernames: Array<string | false>;
  close(): Promise<void>;
}

export interface TestServerOptions {
  /** Serve https with this certificate and key instead of plain http. */
  readonly tls?: { readonly cert: string; readonly key: string };
}

export type TestHandler = (request: IncomingMessage, response: ServerResponse, body: Buffer) => void;

export async function startTestServer(handler: TestHandler, options: TestServerOptions = {}): Promise<TestServer> {
  let connections = 0;
  const sockets = new Set<Socket>();
  const requests: RecordedRequest[] = [];
  const servernames: Array<string | false> = [];
  const onRequest = (request: IncomingMessage, response: ServerResponse): void => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = Buffer.concat(chunks);
      requests.push({ method: request.method ?? "", url: request.url ?? "", headers: request.headers, body });
      handler(request, response, body);
    });
  };
  const server = options.tls ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, onRequest) : createServer(onRequest);
  server.on("secureConnection", (socket: { servername?: string | false }) => servernames.push(socket.servername ?? false));
  server.on("connection", (socket: Socket) => {
    connections++;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const scheme = options.tls ? "https" : "http";
  return {
    port,
    url: (path = "/", host = "127.0.0.1") => `${scheme}://${host}:${port}${path}`,
    connections: () => connections,
    requests,
    servernames,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

export interface RawTestServer {
  readonly port: number;
  url(path?: string, host?: string): string;
  connections(): number;
  close(): Promise<void>;
}

/**
 * A TCP listener on 127.0.0.1 that hands each connection to `onConnection`, for responses node:http
 * refuses to produce (a Content-Length that lies, a body delimited only by closing the socket).
 */
export async function startRawServer(onConnection: (socket: Socket) => void): Promise<RawTestServer> {
  let connections = 0;
  const sockets = new Set<Socket>();
  const server = createTcpServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    onConnection(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: (path = "/", host = "127.0.0.1") => `http://${host}:${port}${path}`,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
