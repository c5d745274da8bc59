import type { Federation, NodeInfo } from "@fedify/fedify";
import type { FederationDeps } from "./federation.deps.ts";

export const SOFTWARE_NAME = "herold";

/** NodeInfo 2.1 through Fedify (linked from /.well-known/nodeinfo); 2.0 is served beside it by http/discovery. */
export function registerNodeInfo(fedify: Federation<void>, deps: FederationDeps): void {
  fedify.setNodeInfoDispatcher("/nodeinfo/2.1", () => buildNodeInfo(deps));
}

export async function buildNodeInfo(deps: Pick<FederationDeps, "accounts" | "posts" | "version">): Promise<NodeInfo> {
  const [users, localPosts] = await Promise.all([deps.accounts.count(), deps.posts.countLocalPublished()]);
  return {
    software: {
      name: SOFTWARE_NAME,
      version: deps.version,
    },
    protocols: ["activitypub"],
    services: { inbound: [], outbound: ["atom1.0", "rss2.0"] },
    openRegistrations: false,
    usage: {
      users: { total: users, activeMonth: users, activeHalfyear: users },
      localPosts,
      localComments: 0,
    },
    metadata: {},
  };
}
