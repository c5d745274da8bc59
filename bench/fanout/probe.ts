/**
 * The limit probe: what this machine can do for a fan-out with nothing but the unavoidable work —
 * one node:crypto RSA-2048 signature (draft-cavage, as Mastodon signs) and one keep-alive undici POST
 * per inbox, a fixed number in flight. No queue, no database, no retries, no SSRF guard.
 */
import { generateKeyPairSync, hash, sign } from "node:crypto";
import { Agent } from "undici";
import { cpuMessage, type Message } from "./protocol.ts";

const KEY_ID = "https://probe.bench/users/probe#main-key";
const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });

async function run(inboxes: readonly string[], bodyText: string, concurrency: number): Promise<Message> {
  const agent = new Agent({ keepAliveTimeout: 60_000, connections: 8 });
  const body = Buffer.from(bodyText);
  const digest = `SHA-256=${hash("sha256", body, "base64")}`;
  const urls = inboxes.map((inbox) => new URL(inbox));
  let next = 0;
  let failures = 0;
  const lane = async (): Promise<void> => {
    while (next < urls.length) {
      const url = urls[next++]!;
      const date = new Date().toUTCString();
      const signed = `(request-target): post ${url.pathname}\nhost: ${url.host}\ndate: ${date}\ndigest: ${digest}`;
      const signature = sign("sha256", Buffer.from(signed), privateKey).toString("base64");
      const response = await agent.request({
        origin: url.origin,
        path: url.pathname,
        method: "POST",
        headers: {
          host: url.host,
          date,
          digest,
          signature: `keyId="${KEY_ID}",algorithm="rsa-sha256",headers="(request-target) host date digest",signature="${signature}"`,
          "content-type": "application/activity+json",
        },
        body,
      });
      await response.body.dump();
      if (response.statusCode !== 202) failures++;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, lane));
  const ms = performance.now() - started;
  await agent.close();
  return { type: "done", failures, ms, peakRssMiB: process.resourceUsage().maxRSS / 1024, heapUsedMiB: process.memoryUsage().heapUsed / 1048576 };
}

process.on("message", (message: Message) => {
  void (async () => {
    if (message.type === "cpu") {
      process.send!(cpuMessage());
    } else if (message.type === "init") {
      process.send!({ type: "key", keyId: KEY_ID, pem: publicKey.export({ type: "spki", format: "pem" }).toString() });
    } else if (message.type === "run") {
      process.send!(await run(message.inboxes as string[], message.body as string, message.concurrency as number));
    } else if (message.type === "stop") {
      if (process.connected) process.disconnect();
    }
  })();
});
