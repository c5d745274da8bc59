import type { Kysely } from "kysely";
import type { DB } from "../db/schema.ts";
import type { FetchBudget } from "../federation/fetch/fetch-budget.ts";
import type { Result } from "../lib/result.ts";
import type { Interaction } from "../social/interaction.repository.ts";
import type { RecordInteraction } from "../social/interaction.service.ts";
import type { NotifyInput } from "../social/notification.service.ts";

/**
 * What the posts module needs from its neighbours, as narrow interfaces: the composition in
 * post.module.ts passes the social and federation modules' services, tests pass small fakes.
 */

/**
 * The interaction ledger (social.interactions). `db` is the caller's transaction: a local like or
 * boost commits its entry (and notification) with its intent to federate.
 */
export interface InteractionLedger {
  record(input: RecordInteraction, db?: Kysely<DB>): Promise<{ interactionId: string; created: boolean }>;
  undo(activityUri: string, actorId: string, at: string, db?: Kysely<DB>): Promise<boolean>;
  get(interactionId: string): Promise<Interaction | null>;
  /** The actor's newest like or boost of a post that is not undone. */
  active(actorId: string, postId: string, kind: "like" | "boost"): Promise<Interaction | null>;
  /** The options `actorId` has active votes for on a local poll. */
  votesBy(postId: string, actorId: string, db?: Kysely<DB>): Promise<string[]>;
}

/** Notifications to local accounts (social.notifications). */
export interface Notifier {
  notify(input: NotifyInput, db?: Kysely<DB>): Promise<unknown>;
  /** Whether the notification about this ledger entry was written (a retried job must not skip it). */
  existsForInteraction(interactionId: string, db?: Kysely<DB>): Promise<boolean>;
}

/** Accepted follows (social's FollowersRepository): who may read a followers-only post, who gets a remote one. */
export interface FollowerPolicy {
  /** Whether the actor with URI `followerUri` (a verified signer) is an accepted follower of `followeeId`. */
  isAcceptedFollowerUri(followeeId: string, followerUri: string): Promise<boolean>;
  /** Local actors with an accepted follow of `followeeId`. */
  localFollowerIds(followeeId: string): Promise<string[]>;
}

/** Blocks in either direction between two actors (social.blocks). */
export interface BlockPolicy {
  isBlocked(actorIdA: string, actorIdB: string): Promise<boolean>;
}

/** Tells the posts module when a follow of a local account is accepted (social.follows.onAccepted). */
export type FollowAcceptedHook = (listener: (event: { followerActorId: string; followeeActorId: string }) => Promise<void>) => void;

export type ObjectFetchError = string;

/** A fetched ActivityPub document whose id passed the requested id rule (the federation module's document fetcher). */
export interface FetchedObject {
  readonly document: Readonly<Record<string, unknown>>;
  readonly id: string;
  readonly finalUrl: string;
}

/**
 * Signed GETs of remote documents through the SSRF guard, with content-type, size and id checks
 * (src/federation/fetch/document-fetcher.ts).
 */
export interface ObjectFetcher {
  fetch(
    url: string,
    options: { requireIdEquals: "final-url" | "requested-url" | "same-origin"; budget?: FetchBudget },
  ): Promise<Result<FetchedObject, ObjectFetchError>>;
}
