/**
 * `node --import ./bench/net/use-node-http.ts …`: runs Herold with the node:http baseline client
 * (bench/net/node-http-baseline.ts) in place of its own HTTP/1.1 client, for the A/B benchmarks
 * (`npm run bench -- fanout --clients own,node`, `npm run bench -- fetch`). A module hook resolves
 * every import of src/net/http1-client.ts to node-http-shim.ts, which exports NodeHttpClient under
 * the name Http1Client and everything else from the real module. Nothing in src/ changes.
 */
import { registerHooks } from "node:module";

const real = new URL("../../src/net/http1-client.ts", import.meta.url).href;
const shim = new URL("./node-http-shim.ts", import.meta.url).href;
const exempt = new Set([shim, new URL("./node-http-baseline.ts", import.meta.url).href]);

registerHooks({
  resolve(specifier, context, nextResolve) {
    const resolved = nextResolve(specifier, context);
    if (resolved.url === real && !exempt.has(context.parentURL ?? "")) return { ...resolved, url: shim };
    return resolved;
  },
});
