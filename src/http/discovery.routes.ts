import { nodeInfoToJson } from "@fedify/fedify";
import { Hono } from "hono";
import type { FederationDeps } from "../federation/federation.deps.ts";
import { buildNodeInfo } from "../federation/nodeinfo.ts";

export interface DiscoveryDeps {
  readonly origin: string;
  readonly nodeInfo: Pick<FederationDeps, "accounts" | "posts" | "version">;
  /** Throws when the database does not answer (the health check's one question). */
  readonly ping: () => Promise<void>;
}

/**
 * Discovery documents Fedify does not serve itself: NodeInfo 2.0 at exactly /nodeinfo/2.0 (some
 * clients hard-code that path), the /.well-known/nodeinfo index listing 2.0 and 2.1, and host-meta.
 */
export function discoveryRoutes(deps: DiscoveryDeps): Hono {
  const app = new Hono();
  const { origin, nodeInfo: nodeInfoDeps } = deps;

  app.get("/.well-known/nodeinfo", (c) =>
    c.json({
      links: [
        { rel: "http://nodeinfo.diaspora.software/ns/schema/2.0", href: `${origin}/nodeinfo/2.0` },
        { rel: "http://nodeinfo.diaspora.software/ns/schema/2.1", href: `${origin}/nodeinfo/2.1` },
      ],
    }),
  );

  app.get("/nodeinfo/2.0", async (c) => {
    const json = nodeInfoToJson(await buildNodeInfo(nodeInfoDeps)) as Record<string, unknown>;
    const software = { ...(json.software as Record<string, unknown>) };
    // 2.0 has no repository/homepage and restricts the software name to [a-z0-9-].
    delete software.repository;
    delete software.homepage;
    delete json.$schema;
    const body = { ...json, version: "2.0", software };
    return c.body(JSON.stringify(body), 200, {
      "Content-Type": 'application/json; profile="http://nodeinfo.diaspora.software/ns/schema/2.0#"',
      "Access-Control-Allow-Origin": "*",
    });
  });

  app.get("/.well-known/host-meta", (c) =>
    c.body(
      `<?xml version="1.0" encoding="UTF-8"?>\n<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">\n  <Link rel="lrdd" template="${origin}/.well-known/webfinger?resource={uri}"/>\n</XRD>\n`,
      200,
      { "Content-Type": "application/xrd+xml; charset=utf-8", "Access-Control-Allow-Origin": "*" },
    ),
  );

  app.get("/.well-known/host-meta.json", (c) =>
    c.json(
      { links: [{ rel: "lrdd", template: `${origin}/.well-known/webfinger?resource={uri}` }] },
      200,
      { "Access-Control-Allow-Origin": "*" },
    ),
  );

  app.get("/healthz", async (c) => {
    await deps.ping();
    return c.json({ status: "ok", version: nodeInfoDeps.version });
  });

  return app;
}
