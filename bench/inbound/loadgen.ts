/**
 * The load generator of the inbound benchmark, in its own process (so it runs on the other core).
 *
 * `prepare` signs a set of distinct Create(Note) activities from the simulated actors, Mastodon
 * style, before anything is timed: signing RSA-2048 costs about as much as verifying on the
 * receiving side ten times over, and must not be what limits the measured rate. `run` POSTs a
 * prepared set to one inbox with keep-alive and a fixed number of requests in flight (undici
 * pool, one connection per in-flight request), and reports statuses and the elapsed time.
 * Every request goes to the 127.0.0.1 target the orchestrator gives.
 */
import { createPrivateKey, type KeyObject } from "node:crypto";
import { Pool } from "undici";
import { serve, type Message } from "./ipc.ts";
import { createNote, MIX, mixedActivity, signMastodon, type LocalAccount, type RemoteActor } from "./mastodon.ts";

interface Prepared {
  readonly target: URL;
  /** Where to connect, when not to the target itself (several web processes behind one origin). */
  readonly connect: URL;
  readonly requests: Array<{ headers: Record<string, string>; body: Buffer }>;
}

const prepared = new Map<string, Prepared>();
const keys = new Map<string, KeyObject>();

function keyOf(actor: RemoteActor): KeyObject {
  let key = keys.get(actor.keyId);
  if (key === undefined) keys.set(actor.keyId, (key = createPrivateKey(actor.privateKeyPem)));
  return key;
}

function prepare(message: Message): Message {
  const { name, count, prefix } = message as unknown as { name: string; count: number; prefix: string };
  const target = new URL(message["target"] as string);
  const connect = new URL((message["connect"] as string | undefined) ?? target.href);
  for (const url of [target, connect]) if (url.hostname !== "127.0.0.1") throw new Error(`refusing a non-loopback target ${url.href}`);
  const actors = message["actors"] as RemoteActor[];
  const local = message["local"] as LocalAccount;
  /** With the local account's post URIs: the mix of activity types (mastodon.ts `MIX`) instead of posts only. */
  const targets = message["mix"] as string[] | undefined;
  const earlier = new Map<string, { notes: string[]; likes: Array<Record<string, unknown>> }>();
  const kinds: Record<string, number> = {};
  const started = performance.now();
  const requests: Prepared["requests"] = [];
  let bytes = 0;
  for (let i = 0; i < count; i++) {
    const actor = actors[i % actors.length]!;
    const now = new Date();
    let json: string;
    if (targets === undefined) json = createNote(actor, `${prefix}${i}`, local, now);
    else {
      const kind = MIX[Math.floor(i / actors.length) % MIX.length]!;
      kinds[kind] = (kinds[kind] ?? 0) + 1;
      let state = earlier.get(actor.uri);
      if (state === undefined) earlier.set(actor.uri, (state = { notes: [], likes: [] }));
      json = mixedActivity(kind, actor, `${prefix}${i}`, local, targets, state, now);
    }
    const body = Buffer.from(json);
    bytes += body.length;
    const { host: _host, ...headers } = signMastodon(target, body, actor.keyId, keyOf(actor), now);
    // The Host header is the signed origin's, as a reverse proxy in front of several processes passes it on.
    requests.push({ headers: connect.host === target.host ? headers : { ...headers, host: target.host }, body });
  }
  prepared.set(name, { target, connect, requests });
  return { type: "prepared", name, count, kinds, meanBytes: Math.round(bytes / Math.max(1, count)), ms: performance.now() - started };
}

async function run(message: Message): Promise<Message> {
  const { name, concurrency } = message as unknown as { name: string; concurrency: number };
  const set = prepared.get(name);
  if (set === undefined) throw new Error(`nothing prepared under ${name}`);
  prepared.delete(name);
  const pool = new Pool(set.connect.origin, { connections: concurrency, pipelining: 1, keepAliveTimeout: 60_000 });
  const statuses: Record<string, number> = {};
  const latencies = new Float64Array(set.requests.length);
  let errors = 0;
  let firstError: string | undefined;
  let retryAfter: string | undefined;
  let next = 0;
  const started = performance.now();
  const lane = async () => {
    for (let i = next++; i < set.requests.length; i = next++) {
      const request = set.requests[i]!;
      const sent = performance.now();
      try {
        const response = await pool.request({ path: set.target.pathname, method: "POST", headers: request.headers, body: request.body });
        statuses[response.statusCode] = (statuses[response.statusCode] ?? 0) + 1;
        if (response.statusCode === 503) retryAfter ??= String(response.headers["retry-after"]);
        if (response.statusCode !== 202 && firstError === undefined) firstError = `${response.statusCode}: ${(await response.body.text()).slice(0, 300)}`;
        else await response.body.dump();
      } catch (error) {
        errors++;
        firstError ??= String(error);
      }
      latencies[i] = performance.now() - sent;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  const ms = performance.now() - started;
  await pool.close();
  latencies.sort();
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { type: "ran", name, ms, statuses, errors, firstError, retryAfter, p50: at(0.5), p99: at(0.99) };
}

serve(async (message) => {
  switch (message.type) {
    case "prepare":
      return prepare(message);
    case "run":
      return await run(message);
    case "stop":
      process.exit(0);
    default:
      throw new Error(`unknown message ${message.type}`);
  }
});
process.send!({ type: "ready" });
