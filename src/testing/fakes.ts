import type { Actor } from "../actor/actor.entity.ts";
import type { ActorResolver, ResolveActorError } from "../actor/actor.resolver.ts";
import type { DeliveryPort, DeliveryRequest } from "../delivery/delivery.port.ts";
import { err, ok, type Result } from "../lib/result.ts";

/**
 * Test doubles shared by the module test kits (social/testing/social-harness.ts, post/testing/post-harness.ts): one of each, so a
 * port that changes is changed once.
 */

/** Resolves only the actors a test registered; counts refreshes so tests can tell cache from network. */
export class FakeResolver implements ActorResolver {
  readonly #byUri = new Map<string, Actor>();
  readonly #failures = new Map<string, ResolveActorError>();
  readonly refreshes: string[] = [];

  add(actor: Actor): void {
    this.#byUri.set(actor.uri, actor);
  }

  fail(uriOrHandle: string, error: ResolveActorError): void {
    this.#failures.set(uriOrHandle, error);
  }

  async resolveUri(uri: string, options: { refresh?: boolean } = {}): Promise<Result<Actor, ResolveActorError>> {
    if (options.refresh) this.refreshes.push(uri);
    const failure = this.#failures.get(uri);
    if (failure !== undefined) return err(failure, `fake failure for ${uri}`);
    const actor = this.#byUri.get(uri);
    return actor ? ok(actor) : err("not-found", `no actor at ${uri}`);
  }

  /** By handle (`user@host`, with or without `@`), or by the actor's id or profile URL. */
  async resolveHandle(handle: string): Promise<Result<Actor, ResolveActorError>> {
    const bare = handle.replace(/^@/, "").toLowerCase();
    const failure = this.#failures.get(bare);
    if (failure !== undefined) return err(failure, `fake failure for ${bare}`);
    for (const actor of this.#byUri.values()) {
      if (actor.handle.toLowerCase() === bare || actor.uri === handle || actor.url === handle) return ok(actor);
    }
    return err("not-found", `no actor ${bare}`);
  }
}

/** Records delivery requests instead of queueing them. */
export class RecordingDelivery implements DeliveryPort {
  readonly requests: DeliveryRequest[] = [];

  async enqueue(input: DeliveryRequest): Promise<number> {
    this.requests.push(input);
    return input.inboxes.length;
  }
}
