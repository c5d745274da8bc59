/** See use-node-http.ts: src/net/http1-client.ts as Herold sees it when the bench runs the node:http client. */
export * from "../../src/net/http1-client.ts";
export { NodeHttpClient as Http1Client } from "./node-http-baseline.ts";
