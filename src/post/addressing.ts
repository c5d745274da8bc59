import { AS_PUBLIC, isPublicAddress } from "../content/validate.ts";
import type { Visibility } from "./post.entity.ts";

/** `to` and `cc` of a post or activity, as actor and collection ids. */
export interface Addressing {
  readonly to: readonly string[];
  readonly cc: readonly string[];
}

/**
 * The addressing Mastodon expects for each visibility (its `ActivityPub::TagManager#to/#cc`):
 * - public: to Public; cc the author's followers and the mentioned actors
 * - unlisted: to the followers; cc Public and the mentioned actors
 * - followers: to the followers; cc the mentioned actors
 * - direct: to the mentioned actors only
 * Peers infer the visibility back from exactly these positions (see `visibilityOf`).
 */
export function addressFor(visibility: Visibility, followersUri: string, mentionUris: readonly string[]): Addressing {
  const mentions = [...new Set(mentionUris)];
  switch (visibility) {
    case "public":
      return { to: [AS_PUBLIC], cc: [followersUri, ...mentions] };
    case "unlisted":
      return { to: [followersUri], cc: [AS_PUBLIC, ...mentions] };
    case "followers":
      return { to: [followersUri], cc: mentions };
    case "direct":
      return { to: mentions, cc: [] };
  }
}

/**
 * The visibility a remote post was published with, read from its addressing the way Mastodon reads it:
 * Public in `to` is public, Public in `cc` unlisted, the author's followers collection followers-only,
 * anything else (only actors) direct. A collection Herold cannot identify as the author's followers
 * counts as direct: showing a post to fewer people is the safe mistake.
 */
export function visibilityOf(to: readonly unknown[], cc: readonly unknown[], followersUri: string | null): Visibility {
  if (to.some(isPublicAddress)) return "public";
  if (cc.some(isPublicAddress)) return "unlisted";
  if (followersUri !== null && [...to, ...cc].some((id) => id === followersUri)) return "followers";
  return "direct";
}

/** Readable to anyone (and listable in collections and on pages). */
export function isPublicVisibility(visibility: Visibility): boolean {
  return visibility === "public" || visibility === "unlisted";
}
