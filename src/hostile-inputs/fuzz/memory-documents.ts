/**
 * The fuzz instance's whole "network" (test support): documents served from memory by id. The
 * fuzzer's mutations produce URLs on any host, so the instance under fuzz has no network at all —
 * every actor, key and object fetch Herold makes goes through the real resolver, key store and
 * handlers but ends here, with the same budget and id rules as the real fetcher.
 */
import { asArray, idOf, isObject, typesOf } from "../../content/validate.ts";
import type { DocumentFetchError, DocumentFetchOptions, DocumentSource } from "../../federation/fetch/document-fetcher.ts";
import { err, ok, type Result } from "../../lib/result.ts";
import type { FetchedDocument } from "../../net/fetch-document.ts";
import type { SafeFetchError, SafeResponse } from "../../net/safe-fetch.ts";
import { normalizeUrl } from "../../net/url-policy.ts";

const ACTOR_TYPES = new Set(["Person", "Service", "Application", "Group", "Organization"]);

export class MemoryDocuments implements DocumentSource {
  readonly #documents = new Map<string, Record<string, unknown>>();
  readonly #actorIds = new Set<string>();
  fetches = 0;

  /** Serves `document` (and, up to three levels down, the actors and objects embedded in it) by id. */
  add(document: Record<string, unknown>, depth = 0): void {
    const id = idOf(document["id"]);
    if (id !== null && !id.includes("#") && typesOf(document, 4).length > 0) {
      const key = keyOf(id);
      const known = this.#documents.get(key);
      // A full document wins over an embedded stub of the same id.
      if (known === undefined || Object.keys(document).length > Object.keys(known).length) this.#documents.set(key, document);
    }
    if (depth >= 3) return;
    for (const ref of [...asArray(document["actor"], 4), ...asArray(document["attributedTo"], 4)]) {
      const actorId = idOf(ref);
      if (actorId !== null) this.addActorId(actorId);
      if (isObject(ref)) this.add(ref, depth + 1);
    }
    if (isObject(document["object"])) this.add(document["object"], depth + 1);
  }

  /** An id that resolves to a minimal synthesised actor when no document describes it. */
  addActorId(id: string): void {
    if (this.#actorIds.size < 100_000) this.#actorIds.add(keyOf(id));
  }

  async fetch(url: string, options: DocumentFetchOptions): Promise<Result<FetchedDocument, DocumentFetchError>> {
    if (options.budget !== undefined && !options.budget.take()) return err("budget-exhausted", `fetch budget of ${options.budget.limit} fetches is used up`);
    this.fetches++;
    const key = keyOf(url);
    let document = this.#documents.get(key);
    // An embedded actor stub (no inbox) is not a fetchable actor document.
    if (document !== undefined && typesOf(document, 4).some((t) => ACTOR_TYPES.has(t)) && document["inbox"] === undefined) document = undefined;
    if (document === undefined && this.#actorIds.has(key)) document = synthesiseActor(key);
    if (document === undefined) return err("not-found", `${url} is not served by the fuzz documents`);
    const id = idOf(document["id"]);
    if (id === null || keyOf(id) !== key) return err("id-mismatch", `document id ${String(document["id"])} differs from ${url}`);
    return ok({ document: document as FetchedDocument["document"], id: key, finalUrl: key });
  }

  async fetchJson(): Promise<Result<SafeResponse, SafeFetchError | "blocked" | "budget-exhausted">> {
    return err("network", "the fuzz instance has no network");
  }
}

function keyOf(url: string): string {
  return normalizeUrl(url)?.href ?? url;
}

function synthesiseActor(id: string): Record<string, unknown> {
  let name = "actor";
  try {
    name = new URL(id).pathname.split("/").filter(Boolean).at(-1) ?? "actor";
  } catch {
    // keep the default
  }
  return { id, type: "Person", preferredUsername: name, inbox: new URL("inbox", id.endsWith("/") ? id : `${id}/`).href };
}
