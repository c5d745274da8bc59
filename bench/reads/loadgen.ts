/**
 * The read benchmark's load generator, in its own process (so it runs on the other core and its
 * CPU is not the server's): `clients` keep-alive connections to 127.0.0.1, each sending one request
 * after the other. Per endpoint: a warm-up, then every client sends `requests` requests (or as many as
 * fit in `maxSeconds`, at least `minRequests`); latencies from the first byte sent to the last byte read.
 */
import { Pool } from "undici";
import { serve, type Message } from "../inbound/ipc.ts";

export interface Endpoint {
  readonly name: string;
  readonly path: string;
  readonly headers: Record<string, string>;
}

export interface Measured {
  readonly name: string;
  readonly clients: number;
  readonly count: number;
  readonly p50: number;
  readonly p95: number;
  readonly statuses: Record<string, number>;
}

interface Plan {
  readonly base: string;
  readonly endpoints: readonly Endpoint[];
  readonly clients: number;
  readonly requests: number;
  readonly minRequests: number;
  readonly warmup: number;
  readonly maxSeconds: number;
}

function poolFor(base: string, connections: number): Pool {
  const url = new URL(base);
  if (url.hostname !== "127.0.0.1") throw new Error(`refusing a non-loopback target ${url.href}`);
  return new Pool(url.origin, { connections, pipelining: 1, keepAliveTimeout: 60_000 });
}

async function once(pool: Pool, endpoint: Endpoint, statuses: Record<string, number>): Promise<number> {
  const started = performance.now();
  const response = await pool.request({ path: endpoint.path, method: "GET", headers: endpoint.headers });
  await response.body.dump({ limit: Infinity });
  statuses[response.statusCode] = (statuses[response.statusCode] ?? 0) + 1;
  return performance.now() - started;
}

async function measure(plan: Plan): Promise<Measured[]> {
  const pool = poolFor(plan.base, plan.clients);
  const results: Measured[] = [];
  try {
    for (const endpoint of plan.endpoints) {
      const statuses: Record<string, number> = {};
      const warmUntil = performance.now() + Math.min(5, plan.maxSeconds) * 1000;
      for (let i = 0; i < plan.warmup && (i < 1 || performance.now() < warmUntil); i++) await once(pool, endpoint, {});
      const latencies: number[] = [];
      const until = performance.now() + plan.maxSeconds * 1000;
      await Promise.all(
        Array.from({ length: plan.clients }, async () => {
          for (let i = 0; i < plan.requests && (i < plan.minRequests || performance.now() < until); i++) latencies.push(await once(pool, endpoint, statuses));
        }),
      );
      latencies.sort((a, b) => a - b);
      const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.ceil(q * latencies.length) - 1)] ?? NaN;
      results.push({ name: endpoint.name, clients: plan.clients, count: latencies.length, p50: at(0.5), p95: at(0.95), statuses });
    }
  } finally {
    await pool.close();
  }
  return results;
}

/** `count` page views, one after the other, cycling through `endpoints` (the memory figure). */
async function views(base: string, endpoints: readonly Endpoint[], count: number): Promise<Record<string, number>> {
  const pool = poolFor(base, 1);
  const statuses: Record<string, number> = {};
  try {
    for (let i = 0; i < count; i++) await once(pool, endpoints[i % endpoints.length]!, statuses);
  } finally {
    await pool.close();
  }
  return statuses;
}

serve(async (message: Message) => {
  switch (message.type) {
    case "measure":
      return { type: "measured", results: await measure(message["plan"] as Plan) };
    case "views":
      return { type: "viewed", statuses: await views(message["base"] as string, message["endpoints"] as Endpoint[], message["count"] as number) };
    case "stop":
      process.exit(0);
    default:
      throw new Error(`unknown message ${message.type}`);
  }
});
process.send!({ type: "ready" });
