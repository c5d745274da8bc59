/**
 * Stock Fedify as the other baseline: a minimal federation with Fedify's in-process message queue,
 * sending the same kind of Create(Note) with `sendActivity` to the same followers (shared inboxes
 * preferred). Nothing is tuned. The key pair is Fedify's own (RSA-4096) or, for a comparison of the
 * engines at equal signing cost, an RSA-2048 pair like Herold's.
 */
import { generateKeyPairSync, KeyObject } from "node:crypto";
import { createFederation, generateCryptoKeyPair, InProcessMessageQueue, MemoryKvStore } from "@fedify/fedify";
import { Application, Create, Note, PUBLIC_COLLECTION } from "@fedify/vocab";
import { cpuMessage, type FollowerSpec, type Message } from "./protocol.ts";

const ORIGIN = "https://fedify.bench";
const IDENTIFIER = "bench";
const rsa = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" } as const;

/**
 * "fedify": Fedify's own `generateCryptoKeyPair` (RSA-4096, what Fedify applications such as Hollo
 * and Ghost get); a number: an RSA key of that size (2048 = the same work per signature as Herold).
 */
async function makeKeyPair(keys: string): Promise<{ pair: CryptoKeyPair; publicPem: string }> {
  if (keys === "fedify") {
    const pair = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
    return { pair, publicPem: KeyObject.from(pair.publicKey).export({ type: "spki", format: "pem" }).toString() };
  }
  const generated = generateKeyPairSync("rsa", { modulusLength: Number(keys) });
  return {
    pair: {
      privateKey: generated.privateKey.toCryptoKey(rsa, true, ["sign"]) as CryptoKey,
      publicKey: generated.publicKey.toCryptoKey(rsa, true, ["verify"]) as CryptoKey,
    },
    publicPem: generated.publicKey.export({ type: "spki", format: "pem" }).toString(),
  };
}

let keyPair: CryptoKeyPair | undefined;

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
  .setKeyPairsDispatcher(async (_ctx, identifier) => (identifier === IDENTIFIER && keyPair !== undefined ? [keyPair] : []));
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
      const made = await makeKeyPair(message.keys as string);
      keyPair = made.pair;
      process.send!({ type: "key", keyId: `${ORIGIN}/users/${IDENTIFIER}#main-key`, pem: made.publicPem });
    } else if (message.type === "warm-up") {
      process.send!({ ...(await run(message.followers as FollowerSpec[], message.text as string)), type: "warmed" });
    } else if (message.type === "run") {
      process.send!(await run(message.followers as FollowerSpec[], message.text as string));
    } else if (message.type === "stop") {
      queueStop.abort();
      if (process.connected) process.disconnect();
    }
  })();
});
