import type { Result } from "../lib/result.ts";
import type { FetchBudget } from "../federation/fetch/fetch-budget.ts";
import type { Actor } from "./actor.entity.ts";

export type ResolveActorError = "invalid" | "not-found" | "gone" | "forbidden" | "unreachable" | "blocked";

export interface ResolveOptions {
  /** Fetch even when the cached copy is fresh (e.g. after an Update, or a failed signature). */
  readonly refresh?: boolean;
  /**
   * The fetch allowance of the activity being processed (`InboundActivity.budget`). Pass it on every
   * call made while handling remote input; a used-up budget answers from the cache or "unreachable".
   */
  readonly budget?: FetchBudget;
}

/**
 * Finds remote actors: from the cache when fresh, else by a signed GET of the actor document
 * (through the SSRF guard), validated, sanitised and stored. Implemented in actor.service.ts.
 */
export interface ActorResolver {
  /** By actor id (URI). `refresh` forces a fetch even when the cached copy is fresh. */
  resolveUri(uri: string, options?: ResolveOptions): Promise<Result<Actor, ResolveActorError>>;
  /** By handle: `@user@host`, `user@host` or an actor/profile URL; WebFinger for handles. */
  resolveHandle(handle: string, options?: Pick<ResolveOptions, "budget">): Promise<Result<Actor, ResolveActorError>>;
}
