/**
 * Stock Fedify as the other baseline: a minimal federation with Fedify's in-process message queue
 * and an RSA-2048 key pair (the same key size as Herold's), sending the same kind of Create(Note)
 * with `sendActivity` to the same followers (shared inboxes preferred). Nothing is tuned.
 */
import { generateKeyPairSync } from "node:crypto";
import { createFederation, InProcessMessageQueue, MemoryKvStore } from "@fedify/fedify";
import { Application, Create, Note, PUBLIC_COLLECTION } from "@fedify/vocab";
import { cpuMessage, type FollowerSpec, type Message } from "./protocol.ts";

const ORIGIN = "https://fedify.bench";
const IDENTIFIER = "bench";
const rsa = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" } as const;
const pair = generateKeyPairSync("rsa", { modulusLength: 2048 });
const keyPair: CryptoKeyPair = {
  privateKey: pair.privateKey.toCryptoKey(rsa, true, ["sign"]) as CryptoKey,
  publicKey: pair.publicKey.toCryptoKey(rsa, true, ["verify"]) as CryptoKey,
};

const federation = createFederation<void>({
  kv: new MemoryKvStore(),
  queue: new InProcessMessageQueue(),
  allowPrivateAddress: true,
  manuallyStartQueue: true,
});
federation
  .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
    if (identifier !== IDENTIFIER) return null;
    const keys = await ctx.getActorKeyPairs(identifier);
    return new Application({
      id: ctx.getActorUri(identifier),
      preferredUsername: identifier,
      inbox: ctx.getInboxUri(identifier),
      publicKey: keys[0]?.cryptographicKey ?? null,
    });
  })
  .setKeyPairsDispatcher(async (_ctx, identifier) => (identifier === IDENTIFIER ? [keyPair] : []));
federation.setInboxListeners("/users/{identifier}/inbox", "/inbox");

const queueStop = new AbortController();
void federation.startQueue(undefined, { signal: queueStop.signal });

async function run(followers: readonly FollowerSpec[], text: string): Promise<Message> {
  const ctx = federation.createContext(new URL(ORIGIN), undefined);
  const actor = ctx.getActorUri(IDENTIFIER);
  const id = `${ORIGIN}/users/${IDENTIFIER}/activities/${Date.now()}`;
  const activity = new Create({
    id: new URL(id),
    actor,
    to: PUBLIC_COLLECTION,
    object: new Note({ id: new URL(`${id}/note`), attribution: actor, to: PUBLIC_COLLECTION, content: `<p>${text}</p>` }),
  });
  const recipients = followers.map((f) => ({
    id: new URL(f.actorUri),
    inboxId: new URL(f.inbox),
    endpoints: f.sharedInbox === null ? null : { sharedInbox: new URL(f.sharedInbox) },
  }));
  const started = performance.now();
  await ctx.sendActivity({ identifier: IDENTIFIER }, recipients, activity, { preferSharedInbox: true });
  return { type: "sent", activityId: id, enqueueMs: performance.now() - started };
}

process.on("message", (message: Message) => {
  void (async () => {
    if (message.type === "cpu") {
      process.send!(cpuMessage());
    } else if (message.type === "init") {
      process.send!({ type: "key", keyId: `${ORIGIN}/users/${IDENTIFIER}#main-key`, pem: pair.publicKey.export({ type: "spki", format: "pem" }).toString() });
    } else if (message.type === "warm-up") {
      process.send!({ ...(await run(message.followers as FollowerSpec[], message.text as string)), type: "warmed" });
    } else if (message.type === "run") {
      process.send!(await run(message.followers as FollowerSpec[], message.text as string));
    } else if (message.type === "stop") {
      queueStop.abort();
      process.disconnect();
    }
  })();
});
