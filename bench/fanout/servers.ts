/**
 * The remote side of the fan-out benchmark: N HTTP servers on 127.0.0.1 in this one process. Each
 * behaves like a peer's inbox: reads the body, verifies the HTTP signature (digest, time window,
 * RSA-SHA256 with the sender's public key, cached as a peer caches it after the first fetch), and
 * answers 202. Deliveries are counted per activity id and server; when every server has an
 * activity, the parent is told at once ("complete"). The last port is a warm-up server whose
 * deliveries are only reported ("warm"), never counted.
 */
import { createPublicKey, type KeyObject } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { verifySignedRequest } from "../../src/delivery/testing/verify.ts";
import { cpuMessage, type Message } from "./protocol.ts";

const keys = new Map<string, KeyObject>();
const servers: Server[] = [];
const seen = new Map<string, Uint8Array>();
const distinct = new Map<string, number>();
let accepted = 0;
let refused = 0;
let duplicates = 0;
const reasons = new Map<string, number>();
/** One extra server, not counted in "complete": subjects warm their code paths up against it. */
let warmUpIndex = -1;

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    request.on("error", reject);
  });
}

function record(index: number, activityId: string): void {
  if (index === warmUpIndex) {
    process.send!({ type: "warm", activityId });
    return;
  }
  let flags = seen.get(activityId);
  if (flags === undefined) {
    flags = new Uint8Array(warmUpIndex);
    seen.set(activityId, flags);
  }
  if (flags[index] !== 0) {
    duplicates++;
    return;
  }
  flags[index] = 1;
  const count = (distinct.get(activityId) ?? 0) + 1;
  distinct.set(activityId, count);
  if (count === warmUpIndex) process.send!({ type: "complete", activityId });
}

async function start(count: number): Promise<number[]> {
  const ports: number[] = [];
  warmUpIndex = count;
  for (let index = 0; index <= count; index++) {
    const server = createServer((request, response) => {
      readBody(request).then(
        (body) => {
          const verdict = verifySignedRequest(
            { method: request.method ?? "GET", path: request.url ?? "/", origin: `http://${request.headers.host ?? ""}`, headers: request.headers, body },
            keys,
          );
          if (!verdict.ok) {
            refused++;
            reasons.set(verdict.reason, (reasons.get(verdict.reason) ?? 0) + 1);
            response.writeHead(401).end();
            return;
          }
          let id: unknown;
          try {
            id = (JSON.parse(body.toString("utf8")) as { id?: unknown }).id;
          } catch {
            id = undefined;
          }
          if (typeof id !== "string") {
            refused++;
            response.writeHead(400).end();
            return;
          }
          accepted++;
          response.writeHead(202).end();
          record(index, id);
        },
        () => response.destroy(),
      );
    });
    server.keepAliveTimeout = 120_000;
    server.headersTimeout = 130_000;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    servers.push(server);
    ports.push((server.address() as AddressInfo).port);
  }
  return ports;
}

process.on("message", (message: Message) => {
  void (async () => {
    switch (message.type) {
      case "start":
        process.send!({ type: "ready", ports: await start(message.count as number) });
        break;
      case "key":
        keys.set(message.keyId as string, createPublicKey(message.pem as string));
        process.send!({ type: "key-ok" });
        break;
      case "drop":
        // Closes every connection: the next fan-out has to connect again (a cold start for any sender).
        for (const server of servers) server.closeAllConnections();
        process.send!({ type: "dropped" });
        break;
      case "cpu":
        process.send!(cpuMessage());
        break;
      case "stats":
        process.send!({ type: "stats", accepted, refused, duplicates, reasons: Object.fromEntries(reasons) });
        break;
      case "stop":
        for (const server of servers) server.closeAllConnections();
        await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
        if (process.connected) process.disconnect();
        break;
    }
  })();
});
