/**
 * Test support for the inbox tests: a loopback "remote server" serving actor documents for
 * generated keys, and signed POSTs made with Herold's own outbound signer. Every server binds to
 * 127.0.0.1. Not imported by production code.
 */
import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { request } from "node:http";
import { prepareBody, signRequestSync } from "../../../delivery/http-signature.ts";
import { startTestServer, type TestServer } from "../../../testing/test-server.ts";

export interface TestKey {
  readonly privateKey: KeyObject;
  readonly publicKeyPem: string;
}

export function generateTestKey(): TestKey {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return { privateKey, publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString() };
}

/** A loopback peer: path → JSON document (served as application/activity+json), or a status. */
export interface FakePeer {
  readonly server: TestServer;
  readonly origin: string;
  readonly documents: Map<string, unknown>;
  /** Paths answering with a bare status (410 for gone actors …). */
  readonly statuses: Map<string, number>;
  /** Adds an actor `name` with `key` listed as `#main-key`; returns its id and key id. */
  addActor(name: string, key: TestKey, extra?: Record<string, unknown>): { id: string; keyId: string };
  close(): Promise<void>;
}

export async function startFakePeer(): Promise<FakePeer> {
  const documents = new Map<string, unknown>();
  const statuses = new Map<string, number>();
  const server = await startTestServer((request, response) => {
    const path = new URL(request.url ?? "/", "http://x").pathname;
    const status = statuses.get(path);
    if (status !== undefined) {
      response.writeHead(status).end();
      return;
    }
    const document = documents.get(path);
    if (document === undefined) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { "content-type": "application/activity+json" }).end(JSON.stringify(document));
  });
  const origin = server.url("").replace(/\/$/, "");
  return {
    server,
    origin,
    documents,
    statuses,
    addActor(name, key, extra = {}) {
      const id = `${origin}/users/${name}`;
      const keyId = `${id}#main-key`;
      documents.set(`/users/${name}`, {
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        id,
        type: "Person",
        preferredUsername: name,
        inbox: `${id}/inbox`,
        outbox: `${id}/outbox`,
        followers: `${id}/followers`,
        endpoints: { sharedInbox: `${origin}/inbox` },
        publicKey: { id: keyId, owner: id, publicKeyPem: key.publicKeyPem },
        ...extra,
      });
      return { id, keyId };
    },
    close: () => server.close(),
  };
}

export interface SignOptions {
  readonly spec?: "draft-cavage-http-signatures-12" | "rfc9421";
  readonly now?: Date;
  /** Body the signature and digest are computed over, when it differs from what is sent. */
  readonly signedBody?: string;
}

/** Headers of a POST of `body` to `url`, signed like Herold's delivery engine signs. */
export function signedHeaders(url: string, body: string, keyId: string, privateKey: KeyObject, options: SignOptions = {}): Record<string, string> {
  const input = {
    method: "POST",
    url: new URL(url),
    body: prepareBody(Buffer.from(options.signedBody ?? body)),
    key: { keyId, privateKey },
    now: options.now ?? new Date(),
  };
  const signed = signRequestSync(options.spec ?? "draft-cavage-http-signatures-12", input);
  const { host: _host, ...headers } = signed;
  return { ...headers, "content-type": "application/activity+json" };
}

export interface PostResult {
  readonly status: number;
  readonly body: string;
  readonly headers: Headers;
}

export async function post(url: string, body: string | Uint8Array, headers: Record<string, string>): Promise<PostResult> {
  const response = await fetch(url, { method: "POST", headers, body: body as string | Uint8Array<ArrayBuffer> });
  return { status: response.status, body: await response.text(), headers: response.headers };
}

/**
 * A POST written chunk by chunk with node:http, resolving with the status as soon as the server
 * answers, even while the body is still being sent (an early 413 closes the connection; write
 * errors after the answer are expected). `chunks` is called until it returns null.
 */
export function streamingPost(url: string, headers: Record<string, string>, chunks: () => Uint8Array | null): Promise<number> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = request(url, { method: "POST", headers }, (response) => {
      answered = true;
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    req.on("error", (error) => {
      if (!answered) reject(error);
    });
    const write = (): void => {
      while (!answered) {
        const chunk = chunks();
        if (chunk === null) {
          req.end();
          return;
        }
        if (!req.write(chunk)) {
          req.once("drain", write);
          return;
        }
      }
    };
    write();
  });
}
