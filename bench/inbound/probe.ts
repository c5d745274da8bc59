/**
 * The inbound benchmark's baseline: the least a correct inbox must do per activity, in one Node
 * process on 127.0.0.1. It reads the body, checks the Date window and the SHA-256 Digest
 * (`crypto.hash`), verifies the draft-cavage RSA signature with node:crypto against a cached
 * KeyObject (imported once at start, as if every key were already known), parses the JSON and checks
 * that the signer is the activity's actor, then answers 202. Nothing is stored and nothing is queued:
 * what Herold adds on top of this is the price of durability, processing and its framework.
 */
import { createPublicKey, hash, verify, type KeyObject } from "node:crypto";
import { createServer, type IncomingMessage } from "node:http";
import { serve } from "./ipc.ts";

interface Key {
  readonly owner: string;
  readonly key: KeyObject;
}

const keys = new Map<string, Key>();
const WINDOW_MS = 3600_000;
let verified = 0;
const refused: Record<string, number> = {};

function check(request: IncomingMessage, body: Buffer): string | null {
  const header = request.headers["signature"];
  if (typeof header !== "string") return "no signature";
  const params = new Map<string, string>();
  for (const match of header.matchAll(/(\w+)="([^"]*)"/g)) params.set(match[1]!, match[2]!);
  const keyId = params.get("keyId");
  const signature = params.get("signature");
  const covered = (params.get("headers") ?? "date").split(" ");
  if (keyId === undefined || signature === undefined) return "malformed signature";
  const key = keys.get(keyId);
  if (key === undefined) return "unknown key";
  for (const required of ["(request-target)", "host", "date", "digest"]) if (!covered.includes(required)) return `${required} not signed`;
  const date = Date.parse(String(request.headers["date"]));
  if (!(Math.abs(Date.now() - date) <= WINDOW_MS)) return "date outside the window";
  if (request.headers["digest"] !== `SHA-256=${hash("sha256", body, "base64")}`) return "digest mismatch";
  const lines = covered.map((name) =>
    name === "(request-target)" ? `(request-target): ${request.method!.toLowerCase()} ${request.url}` : `${name}: ${String(request.headers[name] ?? "")}`,
  );
  if (!verify("sha256", Buffer.from(lines.join("\n")), key.key, Buffer.from(signature, "base64"))) return "signature invalid";
  let activity: { actor?: unknown };
  try {
    activity = JSON.parse(body.toString("utf8")) as { actor?: unknown };
  } catch {
    return "invalid JSON";
  }
  if (activity.actor !== key.owner) return "signer is not the actor";
  return null;
}

const server = createServer({ keepAliveTimeout: 65_000 }, (request, response) => {
  const chunks: Buffer[] = [];
  request.on("data", (chunk: Buffer) => chunks.push(chunk));
  request.on("end", () => {
    const reason = request.method === "POST" ? check(request, Buffer.concat(chunks)) : "not a POST";
    if (reason === null) {
      verified++;
      response.writeHead(202).end();
    } else {
      refused[reason] = (refused[reason] ?? 0) + 1;
      response.writeHead(401, { "content-type": "text/plain" }).end(reason);
    }
  });
});

serve(async (message) => {
  switch (message.type) {
    case "start": {
      for (const actor of message["actors"] as Array<{ uri: string; keyId: string; publicKeyPem: string }>) {
        keys.set(actor.keyId, { owner: actor.uri, key: createPublicKey(actor.publicKeyPem) });
      }
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      const address = server.address();
      return { type: "listening", port: typeof address === "object" && address !== null ? address.port : 0 };
    }
    case "stats":
      return { type: "stats", verified, refused };
    case "stop":
      process.exit(0);
    default:
      throw new Error(`unknown message ${message.type}`);
  }
});
process.send!({ type: "ready" });
