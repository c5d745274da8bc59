/**
 * The simulated remote servers of the inbound benchmark: `servers` loopback HTTP servers serving the
 * actor documents of `actors` accounts with RSA-2048 keys, spread evenly over them. Herold fetches each
 * key's owner once (then it is cached); the load generator gets the private keys to sign with.
 */
import { generateKeyPair } from "node:crypto";
import { createServer, type Server } from "node:http";
import { promisify } from "node:util";
import { actorDocument, type RemoteActor } from "./mastodon.ts";

export interface RemoteServers {
  readonly actors: readonly RemoteActor[];
  /** Actor documents served so far. */
  fetches(): number;
  close(): Promise<void>;
}

export async function startRemoteServers(actorCount: number, serverCount: number): Promise<RemoteServers> {
  const pairs = await Promise.all(
    Array.from({ length: actorCount }, () =>
      promisify(generateKeyPair)("rsa", {
        modulusLength: 2048,
        publicKeyEncoding: { type: "spki", format: "pem" },
        privateKeyEncoding: { type: "pkcs8", format: "pem" },
      }),
    ),
  );
  const documents = new Map<string, string>();
  let fetches = 0;
  const servers: Server[] = [];
  const ports: number[] = [];
  for (let s = 0; s < serverCount; s++) {
    const server = createServer((request, response) => {
      // Deliveries (the Accept of a Follow in the mix) are taken, as a healthy server takes them.
      if (request.method === "POST") return void request.resume().on("end", () => response.writeHead(202).end());
      const body = documents.get(`${s}${new URL(request.url ?? "/", "http://x").pathname}`);
      if (body === undefined) return void response.writeHead(404).end();
      fetches++;
      response.writeHead(200, { "content-type": "application/activity+json" }).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    servers.push(server);
    ports.push((server.address() as { port: number }).port);
  }
  const actors = pairs.map((pair, i): RemoteActor => {
    const s = i % serverCount;
    const uri = `http://127.0.0.1:${ports[s]}/users/u${i}`;
    const actor = { uri, keyId: `${uri}#main-key`, publicKeyPem: pair.publicKey, privateKeyPem: pair.privateKey };
    documents.set(`${s}/users/u${i}`, JSON.stringify(actorDocument(actor, `u${i}`)));
    return actor;
  });
  return {
    actors,
    fetches: () => fetches,
    close: async () => {
      await Promise.all(
        servers.map((server) => {
          const closed = new Promise((resolve) => server.close(resolve));
          server.closeAllConnections();
          return closed;
        }),
      );
    },
  };
}
