import type { Result } from "../lib/result.ts";
import type { Actor } from "./actor.entity.ts";

export type ResolveActorError = "invalid" | "not-found" | "gone" | "forbidden" | "unreachable" | "blocked";

/**
 * Finds remote actors: from the cache when fresh, else by a signed GET of the actor document
 * (through the SSRF guard), validated, sanitised and stored. Implemented in actor.service.ts.
 */
export interface ActorResolver {
  /** By actor id (URI). `refresh` forces a fetch even when the cached copy is fresh. */
  resolveUri(uri: string, options?: { refresh?: boolean }): Promise<Result<Actor, ResolveActorError>>;
  /** By handle: `@user@host`, `user@host` or an actor/profile URL; WebFinger for handles. */
  resolveHandle(handle: string): Promise<Result<Actor, ResolveActorError>>;
}
