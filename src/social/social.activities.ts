import { Accept, Block, CryptographicKey, Follow, Multikey, PUBLIC_COLLECTION, Reject, Undo, Update } from "@fedify/vocab";
import type { Account } from "../account/account.entity.ts";
import type { Urls } from "../app/urls.ts";
import { actorDocument } from "../federation/actor.dispatcher.ts";

/**
 * The activities the social module sends, shaped the way Mastodon sends and expects them
 * (docs.joinmastodon.org/spec/activitypub): a Follow is `actor` and `object` (plus `to`); Accept, Reject
 * and Undo embed the Follow they answer with its original id, `actor` and `object` (Mastodon matches
 * either the id or the embedded pair); a Block names the blocked actor; Update carries the whole
 * actor document. Ids are left out: the outbound bridge mints them.
 */

/** The parties of a follow, by actor id (URI). */
export interface FollowParties {
  readonly followerUri: string;
  readonly followeeUri: string;
}

/** The Follow as sent (or received, when `id` is the remote Follow's id). */
export function followActivity(parties: FollowParties, id: string | null = null): Follow {
  return new Follow({ id: id === null ? null : new URL(id), actor: new URL(parties.followerUri), object: new URL(parties.followeeUri) });
}

/** The Follow Herold sends: addressed to the followee, so the followee may also dereference its id. */
export function sentFollowActivity(parties: FollowParties): Follow {
  return new Follow({ actor: new URL(parties.followerUri), object: new URL(parties.followeeUri), to: new URL(parties.followeeUri) });
}

/** Accept(Follow) from a local followee; `followUri` is the id of the follower's Follow. */
export function acceptFollowActivity(parties: FollowParties, followUri: string): Accept {
  return new Accept({
    actor: new URL(parties.followeeUri),
    object: followActivity(parties, followUri),
    to: new URL(parties.followerUri),
  });
}

/** Reject(Follow): a pending request declined, or an accepted follower removed. */
export function rejectFollowActivity(parties: FollowParties, followUri: string): Reject {
  return new Reject({
    actor: new URL(parties.followeeUri),
    object: followActivity(parties, followUri),
    to: new URL(parties.followerUri),
  });
}

/** Undo(Follow) from a local follower, embedding the Follow it sent. */
export function undoFollowActivity(parties: FollowParties, followUri: string): Undo {
  return new Undo({
    actor: new URL(parties.followerUri),
    object: followActivity(parties, followUri),
    to: new URL(parties.followeeUri),
  });
}

export function blockActivity(actorUri: string, targetUri: string, id: string | null = null): Block {
  return new Block({ id: id === null ? null : new URL(id), actor: new URL(actorUri), object: new URL(targetUri), to: new URL(targetUri) });
}

/** Undo(Block), embedding the Block with its original id. */
export function undoBlockActivity(actorUri: string, targetUri: string, blockUri: string): Undo {
  return new Undo({ actor: new URL(actorUri), object: blockActivity(actorUri, targetUri, blockUri), to: new URL(targetUri) });
}

/** Keys as the actor document publishes them: RSA as `publicKey`, Ed25519 as a Multikey. */
export interface PublicKeys {
  readonly rsaPublic: CryptoKey;
  readonly ed25519Public: CryptoKey;
}

/** Update(actor) to followers after a profile change; public like Mastodon's, with the full actor document. */
export function updateActorActivity(account: Account, urls: Urls, keys: PublicKeys): Update {
  const owner = new URL(account.uri);
  const publicKey = new CryptographicKey({ id: new URL(urls.rsaKeyId(account.username)), owner, publicKey: keys.rsaPublic });
  const multikey = new Multikey({ id: new URL(urls.ed25519KeyId(account.username)), controller: owner, publicKey: keys.ed25519Public });
  return new Update({
    actor: owner,
    object: actorDocument(account, urls, publicKey, [multikey]),
    to: PUBLIC_COLLECTION,
    cc: new URL(urls.followers(account.username)),
  });
}
