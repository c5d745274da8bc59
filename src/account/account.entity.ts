/** The ActivityPub actor types an organisation's account can have. */
export const ACCOUNT_TYPES = ["Organization", "Person", "Service"] as const;
export type AccountType = (typeof ACCOUNT_TYPES)[number];

/** A profile field (ActivityPub `attachment` of type PropertyValue); `value` is sanitised HTML. */
export interface ProfileField {
  readonly name: string;
  readonly value: string;
}

/**
 * A local account as the rest of the code sees it. Private keys are deliberately not part of it:
 * they are read only by the signing key store (account.repository `loadKeyPems`).
 */
export interface Account {
  readonly id: string;
  readonly actorId: string;
  readonly username: string;
  readonly type: AccountType;
  readonly uri: string;
  readonly name: string;
  readonly summaryHtml: string;
  readonly fields: readonly ProfileField[];
  readonly manuallyApprovesFollowers: boolean;
  readonly discoverable: boolean;
  readonly iconUrl: string | null;
  readonly imageUrl: string | null;
  readonly alsoKnownAs: readonly string[];
  readonly movedTo: string | null;
  readonly rsaPublicPem: string;
  readonly ed25519PublicPem: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** Lower-case letters, digits, underscores; dots and dashes inside. Mastodon's rule, 30 characters at most. */
export const USERNAME_PATTERN = /^[a-z0-9_](?:[a-z0-9_.-]{0,28}[a-z0-9_])?$/;
