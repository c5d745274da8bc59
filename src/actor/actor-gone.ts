import type { Kysely } from "kysely";
import type { DB } from "../db/schema.ts";
import { logger } from "../lib/logger.ts";
import type { Actor } from "./actor.entity.ts";
import type { ActorRepository } from "./actor.repository.ts";

const log = logger("actor", "gone");

/**
 * What says remote actors are gone, which decides what ends:
 * - `actor`: the actor no longer exists (410 Gone for its document or its personal inbox, a
 *   Tombstone, its own Delete). It is marked gone and every relation with it ends, in both directions.
 * - `inbox`: its personal inbox answered 404. Nothing can be delivered to it any more, so its follows
 *   of local accounts end; the actor is not marked gone (a 404 is weaker evidence than a 410: its own
 *   document decides when it is next refreshed).
 */
export type GoneEvidence = "actor" | "inbox";

export interface ActorsGone {
  /** Remote actors only (`actors.id`). */
  readonly actorIds: readonly string[];
  readonly evidence: GoneEvidence;
  readonly now: string;
}

/**
 * A module's part of an actor going, run in the announcing transaction, so the actor is never marked
 * gone while its relations stay (or the reverse). Returns how many relations it ended, for the log.
 */
export type ActorGoneListener = (gone: ActorsGone, trx: Kysely<DB>) => Promise<number>;

/** Told after the commit, for in-memory state only (the inbox key cache drops the actor's keys). */
export type ActorGoneObserver = (actor: Actor) => void;

/**
 * The one way to say that remote actors are gone. The actor module announces (its own resolution,
 * an actor's Delete, the delivery engine's 404/410 from a personal inbox); the modules that own
 * relations with actors subscribe at the composition root (social ends follows, recording each in the
 * follow history). The actor module therefore depends on nobody above it.
 */
export class ActorGoneAnnouncer {
  readonly #db: Kysely<DB>;
  readonly #actors: ActorRepository;
  readonly #listeners: ActorGoneListener[] = [];
  readonly #observers: ActorGoneObserver[] = [];

  constructor(db: Kysely<DB>, actors: ActorRepository) {
    this.#db = db;
    this.#actors = actors;
  }

  subscribe(listener: ActorGoneListener): void {
    this.#listeners.push(listener);
  }

  observe(observer: ActorGoneObserver): void {
    this.#observers.push(observer);
  }

  /** Marks the actors gone (evidence `actor`) and runs every listener, in one transaction. Returns the relations ended. */
  async announce(actorIds: readonly string[], evidence: GoneEvidence, now: string): Promise<number> {
    if (actorIds.length === 0) return 0;
    const { remote, ended } = await this.#db.transaction().execute(async (trx) => {
      // Unknown and local actors are never touched on remote evidence.
      const remote = evidence === "actor" ? await this.#actors.markGone(actorIds, now, trx) : await this.#actors.remoteIds(actorIds, trx);
      let ended = 0;
      if (remote.length > 0) for (const listener of this.#listeners) ended += await listener({ actorIds: remote, evidence, now }, trx);
      return { remote, ended };
    });
    if (evidence === "actor" && this.#observers.length > 0) {
      for (const id of remote) {
        const actor = await this.#actors.findById(id);
        if (actor === null) continue;
        for (const observer of this.#observers) {
          try {
            observer(actor);
          } catch (error) {
            log.error("an observer of gone actor {uri} failed: {error}", { uri: actor.uri, error });
          }
        }
      }
    }
    return ended;
  }
}
