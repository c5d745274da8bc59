import type { DocumentLoader } from "@fedify/vocab";
import { preloadedContexts } from "@fedify/fedify/runtime";

/**
 * JSON-LD contexts come only from Fedify's preloaded set; unknown contexts resolve to an empty one.
 * Herold never fetches a remote `@context` while processing: a peer's context outage must not break
 * the inbox (Fedify #965), and fetching attacker-chosen context URLs is an SSRF vector.
 */
export const offlineContextLoader: DocumentLoader = async (url: string) => {
  const document = preloadedContexts[url];
  return { contextUrl: null, documentUrl: url, document: document ?? { "@context": {} } };
};
