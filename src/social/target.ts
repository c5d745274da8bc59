import type { Account } from "../account/account.entity.ts";
import type { AccountRepository } from "../account/account.repository.ts";
import type { Actor } from "../actor/actor.entity.ts";
import type { ActorRepository } from "../actor/actor.repository.ts";
import type { ActorResolver, ResolveActorError } from "../actor/actor.resolver.ts";
import type { Urls } from "../app/urls.ts";
import { parseIri } from "../content/validate.ts";
import { err, ok, type Result } from "../lib/result.ts";

/** How people name another account: `@user@host`, `user@host`, or the actor's URL. */
export type ParsedTarget =
  | { readonly kind: "handle"; readonly username: string; readonly host: string }
  | { readonly kind: "uri"; readonly uri: string };

const USERNAME = /^[\p{L}\p{N}_.~-]{1,256}$/u;

/** Parses a target as typed by an operator; null when it is neither a handle nor an http(s) URL. */
export function parseTarget(text: string): ParsedTarget | null {
  const trimmed = text.trim();
  if (/^https?:\/\//i.test(trimmed)) {
    const url = parseIri(trimmed);
    return url === null ? null : { kind: "uri", uri: url.href };
  }
  const bare = trimmed.startsWith("@") ? trimmed.slice(1) : trimmed;
  const parts = bare.split("@");
  if (parts.length !== 2) return null;
  const [username, host] = parts as [string, string];
  if (!USERNAME.test(username) || host === "") return null;
  let parsed: URL;
  try {
    parsed = new URL(`https://${host}`);
  } catch {
    return null;
  }
  // The host must survive parsing unchanged apart from case: no path, credentials or stray characters.
  if (parsed.host !== host.toLowerCase() || parsed.pathname !== "/" || parsed.search !== "" || parsed.hash !== "") return null;
  return { kind: "handle", username, host: parsed.host };
}

export type TargetError = "invalid-target" | "unresolvable";

/**
 * Finds the actor an operator means: local accounts directly, remote actors through the resolver
 * (WebFinger for handles, a signed fetch for URLs) or, for commands that only undo something, from
 * what is already stored.
 */
export class TargetLookup {
  readonly #resolver: ActorResolver;
  readonly #actors: ActorRepository;
  readonly #accounts: AccountRepository;
  readonly #urls: Urls;
  readonly #domain: string;

  constructor(deps: { resolver: ActorResolver; actors: ActorRepository; accounts: AccountRepository; urls: Urls; domain: string }) {
    this.#resolver = deps.resolver;
    this.#actors = deps.actors;
    this.#accounts = deps.accounts;
    this.#urls = deps.urls;
    this.#domain = deps.domain.toLowerCase();
  }

  /** Resolves the target, fetching remote actors when needed. */
  async resolve(text: string): Promise<Result<Actor, TargetError>> {
    const target = parseTarget(text);
    if (target === null) return invalid(text);
    const local = await this.#local(target);
    if (local !== undefined) return local === null ? err("unresolvable", `no local account ${JSON.stringify(text.trim())}`) : ok(local);
    if (target.kind === "handle") {
      const result = await this.#resolver.resolveHandle(`${target.username}@${target.host}`);
      return result.ok ? result : unresolvable(text, result.error, result.message);
    }
    const byUri = await this.#resolver.resolveUri(target.uri);
    if (byUri.ok) return byUri;
    // A profile page URL is not an actor id; the resolver can still find the actor behind it.
    if (byUri.error === "not-found" || byUri.error === "invalid") {
      const byHandle = await this.#resolver.resolveHandle(target.uri);
      if (byHandle.ok) return byHandle;
    }
    return unresolvable(text, byUri.error, byUri.message);
  }

  /**
   * Finds the target among stored actors (unfollow, unblock, approve: no fetch needed); only a handle
   * that matches no stored actor exactly is looked up by WebFinger (remote servers choose the case).
   */
  async findKnown(text: string): Promise<Result<Actor, TargetError>> {
    const target = parseTarget(text);
    if (target === null) return invalid(text);
    const local = await this.#local(target);
    if (local !== undefined) return local === null ? err("unresolvable", `no local account ${JSON.stringify(text.trim())}`) : ok(local);
    if (target.kind === "uri") {
      const actor = await this.#actors.findByUri(target.uri);
      return actor === null ? err("unresolvable", `${text.trim()} is not an account this server knows`) : ok(actor);
    }
    const actor = await this.#actors.findByHandle(target.username, target.host);
    if (actor !== null) return ok(actor);
    // Stored handles keep the remote server's spelling (`Bob`); WebFinger knows which account `bob` is.
    const resolved = await this.#resolver.resolveHandle(`${target.username}@${target.host}`);
    return resolved.ok ? resolved : err("unresolvable", `${text.trim()} is not an account this server knows`);
  }

  /** The local actor the target names; null for a local name without an account; undefined when not local. */
  async #local(target: ParsedTarget): Promise<Actor | null | undefined> {
    let account: Account | null;
    if (target.kind === "handle") {
      if (target.host !== this.#domain) return undefined;
      account = await this.#accounts.findByUsername(target.username);
    } else {
      if (!this.#urls.isLocal(target.uri)) return undefined;
      const username = this.#urls.parseActor(target.uri);
      account = username === null ? null : await this.#accounts.findByUsername(username);
    }
    return account === null ? null : await this.#actors.findById(account.actorId);
  }
}

function invalid(text: string): { ok: false; error: "invalid-target"; message: string } {
  return err("invalid-target", `invalid target ${JSON.stringify(text)}: use @user@host, user@host or the account's URL`);
}

function unresolvable(text: string, error: ResolveActorError, message: string): { ok: false; error: "unresolvable"; message: string } {
  const why: Record<ResolveActorError, string> = {
    invalid: "its server did not return a valid actor",
    "not-found": "no such account",
    gone: "the account was deleted",
    forbidden: "its server refused the request",
    unreachable: "its server could not be reached",
    blocked: "its server is blocked",
  };
  return err("unresolvable", `could not resolve ${text.trim()}: ${why[error]}${message ? ` (${message})` : ""}`);
}
