/**
 * The remote side of the fetch benchmark: N HTTP servers on 127.0.0.1 in this one process, each
 * serving actor documents (`/users/<name>`, application/activity+json, about the size of a
 * Mastodon actor with its key) with keep-alive, as a peer's actor endpoint does.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { cpuMessage, type Message } from "../fanout/protocol.ts";

const servers: Server[] = [];
let served = 0;

function actor(origin: string, name: string): string {
  const id = `${origin}/users/${name}`;
  return JSON.stringify({
    "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1", { manuallyApprovesFollowers: "as:manuallyApprovesFollowers", toot: "http://joinmastodon.org/ns#", featured: { "@id": "toot:featured", "@type": "@id" }, discoverable: "toot:discoverable" }],
    id,
    type: "Person",
    following: `${id}/following`,
    followers: `${id}/followers`,
    inbox: `${id}/inbox`,
    outbox: `${id}/outbox`,
    featured: `${id}/collections/featured`,
    preferredUsername: name,
    name: `Benchmark ${name}`,
    summary: "<p>A simulated account on a simulated server, here to be fetched as often as a busy instance fetches actors.</p>",
    url: `${origin}/@${name}`,
    manuallyApprovesFollowers: false,
    discoverable: true,
    published: "2024-01-01T00:00:00Z",
    publicKey: {
      id: `${id}#main-key`,
      owner: id,
      publicKeyPem:
        "-----BEGIN PUBLIC KEY-----\n" + "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA".padEnd(64 * 6, "x").replace(/(.{64})/g, "$1\n") + "IDAQAB\n-----END PUBLIC KEY-----\n",
    },
    endpoints: { sharedInbox: `${origin}/inbox` },
    icon: { type: "Image", mediaType: "image/png", url: `${origin}/avatars/${name}.png` },
  });
}

async function start(count: number): Promise<number[]> {
  const ports: number[] = [];
  for (let i = 0; i < count; i++) {
    const server = createServer((request, response) => {
      const origin = `http://${request.headers.host ?? ""}`;
      const name = /^\/users\/([a-z0-9]+)$/.exec(request.url ?? "")?.[1];
      if (name === undefined) return response.writeHead(404).end();
      served++;
      response.writeHead(200, { "content-type": "application/activity+json; charset=utf-8" }).end(actor(origin, name));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    servers.push(server);
    ports.push((server.address() as AddressInfo).port);
  }
  return ports;
}

process.on("message", (message: Message) => {
  void (async () => {
    switch (message.type) {
      case "cpu":
        process.send!(cpuMessage());
        break;
      case "start":
        process.send!({ type: "ready", ports: await start(message.count as number) });
        break;
      case "drop":
        for (const server of servers) server.closeAllConnections();
        process.send!({ type: "dropped" });
        break;
      case "stats":
        process.send!({ type: "stats", served });
        break;
      case "stop":
        for (const server of servers) server.close();
        if (process.connected) process.disconnect();
        break;
    }
  })();
});
