import { createServer, type Server } from "node:http";
import { getRequestListener } from "@hono/node-server";
import type { Hono } from "hono";

export interface RunningServer {
  readonly url: string;
  readonly server: Server;
  /** Stops accepting connections and resolves once in-flight requests have finished. */
  close(): Promise<void>;
}

/** Listens with Node's http server; errors such as EADDRINUSE reject instead of crashing. */
export function listen(app: Hono, host: string, port: number): Promise<RunningServer> {
  const server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 60_000 }, getRequestListener(app.fetch));
  let closing = false;
  // Once closing, a keep-alive connection is closed as soon as its last response is sent; otherwise
  // close() would wait for the client's keep-alive (up to 65 s) after the in-flight work is done.
  server.on("request", (_req, res) => {
    if (closing) res.shouldKeepAlive = false;
    res.once("finish", () => {
      if (closing) setImmediate(() => server.closeIdleConnections());
    });
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      const address = server.address();
      const actualPort = typeof address === "object" && address !== null ? address.port : port;
      resolve({
        url: `http://${host.includes(":") ? `[${host}]` : host}:${actualPort}`,
        server,
        close: () =>
          new Promise<void>((done) => {
            closing = true;
            server.close(() => done());
            // Idle keep-alive connections would hold close() open; busy ones finish first.
            server.closeIdleConnections();
          }),
      });
    });
  });
}
