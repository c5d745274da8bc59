/**
 * The loopback test servers (test support only; not imported by production code): an HTTP(S)
 * server that records requests, a raw TCP one, and `listenOnLoopback`, the one core under them and
 * under the delivery tests' inboxes (src/delivery/testing/receivers.ts).
 *
 * Every server binds to 127.0.0.1 and counts the TCP connections it accepts, so a test can prove that a
 * refused fetch never reached it (zero connections), not merely that the fetch reported an error.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { createServer as createTcpServer, type AddressInfo, type Server, type Socket } from "node:net";

/** A server listening on 127.0.0.1, its connections counted and tracked so `close` never waits on keep-alive. */
export interface LoopbackListener {
  readonly port: number;
  connections(): number;
  /** Destroys every open connection (the server keeps listening). */
  dropConnections(): void;
  close(): Promise<void>;
}

/**
 * Listens on an ephemeral port of 127.0.0.1 (never another address). `accept` may refuse a connection
 * (it is counted, then destroyed at once: a host that is down).
 */
export async function listenOnLoopback(server: Server, accept: (socket: Socket) => boolean = () => true): Promise<LoopbackListener> {
  let connections = 0;
  const sockets = new Set<Socket>();
  server.on("connection", (socket: Socket) => {
    connections++;
    if (!accept(socket)) {
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const dropConnections = () => {
    for (const socket of sockets) socket.destroy();
  };
  return {
    port: (server.address() as AddressInfo).port,
    connections: () => connections,
    dropConnections,
    close: () =>
      new Promise<void>((resolve) => {
        dropConnections();
        server.close(() => resolve());
      }),
  };
}

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
  const listener = await listenOnLoopback(server);
  const scheme = options.tls ? "https" : "http";
  return {
    port: listener.port,
    url: (path = "/", host = "127.0.0.1") => `${scheme}://${host}:${listener.port}${path}`,
    connections: listener.connections,
    requests,
    servernames,
    close: listener.close,
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
  const server = createTcpServer((socket) => {
    socket.on("error", () => undefined);
    onConnection(socket);
  });
  const listener = await listenOnLoopback(server);
  return {
    port: listener.port,
    url: (path = "/", host = "127.0.0.1") => `http://${host}:${listener.port}${path}`,
    connections: listener.connections,
    close: listener.close,
  };
}
