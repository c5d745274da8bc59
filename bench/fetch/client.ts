/**
 * The fetching side of the fetch benchmark: Herold's fetch path as the federation layer uses it —
 * `fetchActivityPubDocument` (safeFetch → GuardedHttpClient → the HTTP client, body collected under the
 * cap, JSON parsed with limits, id checked) — with `requireIdEquals: "requested-url"`, as for actors.
 * Which client GuardedHttpClient holds is decided by the process (bench/net/use-node-http.ts swaps in
 * the node:http one).
 */
import { createGuardedHttpClient } from "../../src/net/guarded-client.ts";
import { fetchActivityPubDocument } from "../../src/net/fetch-document.ts";
import { cpuMessage, peakRssMiB, type Message } from "../fanout/protocol.ts";

const guardedClient = createGuardedHttpClient({ allowPrivateAddress: true, connectTimeoutMs: 5_000, connectionsPerOrigin: 2 });

async function run(urls: readonly string[], concurrency: number): Promise<Message> {
  let next = 0;
  let failures = 0;
  let firstFailure: string | undefined;
  const lane = async (): Promise<void> => {
    while (next < urls.length) {
      const url = urls[next++]!;
      const result = await fetchActivityPubDocument(url, { guardedClient, allowHttp: true, requireIdEquals: "requested-url", timeoutMs: 30_000 });
      if (!result.ok) {
        failures++;
        firstFailure ??= `${result.error}: ${result.message}`;
      }
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, lane));
  return { type: "done", ms: performance.now() - started, failures, firstFailure: firstFailure ?? null, peakRssMiB: peakRssMiB(), client: guardedClient.client.constructor.name };
}

process.on("message", (message: Message) => {
  void (async () => {
    switch (message.type) {
      case "cpu":
        process.send!(cpuMessage());
        break;
      case "run":
        process.send!(await run(message.urls as string[], message.concurrency as number));
        break;
      case "stop":
        await guardedClient.destroy();
        if (process.connected) process.disconnect();
        break;
    }
  })();
});
