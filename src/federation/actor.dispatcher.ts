import type { Federation } from "@fedify/fedify";
import { Endpoints, Image, Multikey, Organization, Person, PropertyValue, Service } from "@fedify/vocab";
import { toInstant } from "./temporal.ts";
import type { Account } from "../account/account.entity.ts";
import type { FederationDeps } from "./federation.deps.ts";

/**
 * The actor document of each local account (`/users/{identifier}`), its key pairs and the
 * WebFinger handle mapping. The identifier is the username; ids never change.
 */
export function registerActorDispatcher(fedify: Federation<void>, deps: FederationDeps): void {
  const { accounts, signingKeys, urls } = deps;
  fedify
    .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
      const account = await accounts.findByUsername(identifier);
      if (account === null || account.username !== identifier) return null;
      const pairs = await ctx.getActorKeyPairs(identifier);
      // Fedify renames key ids (`#key-2`, `#multikey-2`); Herold signs object proofs with the id it
      // mints (urls.ed25519KeyId), so the document lists the Ed25519 key under exactly that id.
      const ed25519 = pairs.find((p) => p.publicKey.algorithm.name === "Ed25519");
      const multikeys = ed25519
        ? [new Multikey({ id: new URL(urls.ed25519KeyId(account.username)), controller: new URL(account.uri), publicKey: ed25519.publicKey })]
        : [];
      return actorDocument(account, urls, pairs[0]?.cryptographicKey ?? null, multikeys);
    })
    .setKeyPairsDispatcher(async (_ctx, identifier) => {
      const account = await accounts.findByUsername(identifier);
      if (account === null) return [];
      const loaded = await signingKeys.get(account);
      if (loaded === null) return [];
      // Order matters: the first RSA key is `publicKey` (Mastodon reads only that one); Ed25519 is
      // published as a Multikey in `assertionMethod` for object integrity proofs (FEP-8b32).
      return [
        { ...loaded.rsaPair, keyId: new URL(urls.rsaKeyId(account.username)) },
        { ...loaded.ed25519Pair, keyId: new URL(urls.ed25519KeyId(account.username)) },
      ];
    })
    .mapHandle(async (_ctx, username) => {
      const account = await accounts.findByUsername(username);
      return account?.username ?? null;
    });
}

type ActorKey = NonNullable<ConstructorParameters<typeof Person>[0]["publicKey"]>;
type ActorMultikey = NonNullable<ConstructorParameters<typeof Person>[0]["assertionMethods"]>[number];

export function actorDocument(
  account: Account,
  urls: FederationDeps["urls"],
  publicKey: ActorKey | null,
  multikeys: readonly ActorMultikey[],
): Person | Organization | Service {
  const values = {
    id: new URL(account.uri),
    preferredUsername: account.username,
    name: account.name,
    summary: account.summaryHtml || null,
    url: new URL(urls.profile(account.username)),
    inbox: new URL(urls.inbox(account.username)),
    outbox: new URL(urls.outbox(account.username)),
    followers: new URL(urls.followers(account.username)),
    following: new URL(urls.following(account.username)),
    featured: new URL(urls.featured(account.username)),
    liked: new URL(urls.liked(account.username)),
    endpoints: new Endpoints({ sharedInbox: new URL(urls.sharedInbox()) }),
    publicKey,
    assertionMethods: [...multikeys],
    manuallyApprovesFollowers: account.manuallyApprovesFollowers,
    discoverable: account.discoverable,
    indexable: account.discoverable,
    published: toInstant(account.createdAt),
    icon: account.iconUrl ? new Image({ url: new URL(account.iconUrl) }) : null,
    image: account.imageUrl ? new Image({ url: new URL(account.imageUrl) }) : null,
    attachments: account.fields.map((f) => new PropertyValue({ name: f.name, value: f.value })),
    aliases: account.alsoKnownAs.map((uri) => new URL(uri)),
    successor: account.movedTo ? new URL(account.movedTo) : null,
  };
  switch (account.type) {
    case "Organization":
      return new Organization(values);
    case "Service":
      return new Service(values);
    case "Person":
      return new Person(values);
  }
}
