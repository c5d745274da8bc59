import type { RemoteActorData } from "../actor/actor.entity.ts";

/**
 * A remote actor as the inbound side would store it, for tests that need one without a network:
 * `https://<host>/users/<username>` with the usual Mastodon-shaped endpoints. Override what matters.
 */
export function remoteActorData(host: string, username: string, overrides: Partial<RemoteActorData> = {}): RemoteActorData {
  const uri = `https://${host}/users/${username}`;
  return {
    uri,
    type: "Person",
    username,
    domain: host,
    name: username,
    summaryHtml: null,
    url: `https://${host}/@${username}`,
    inboxUrl: `${uri}/inbox`,
    sharedInboxUrl: `https://${host}/inbox`,
    outboxUrl: `${uri}/outbox`,
    followersUrl: `${uri}/followers`,
    followingUrl: `${uri}/following`,
    featuredUrl: null,
    publicKeyId: `${uri}#main-key`,
    publicKeyPem: null,
    iconUrl: null,
    imageUrl: null,
    fields: [],
    alsoKnownAs: [],
    movedToUri: null,
    manuallyApprovesFollowers: false,
    discoverable: true,
    emojis: [],
    publishedAt: null,
    rawJson: "{}",
    ...overrides,
  };
}

/**
 * The real ActivityPub documents copied into the repository (see `fixtures/PROVENANCE.md` for
 * where each came from and its licence). `npm run fixtures:sync` refreshes the copy.
 */
export const ACTIVITYPUB_FIXTURES = new URL("./fixtures/activitypub/", import.meta.url);
