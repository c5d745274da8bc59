import type { Federation, RequestContext } from "@fedify/fedify";
import type { Recipient } from "@fedify/vocab";
import type { AccountRepository } from "../account/account.repository.ts";
import type { FedifyRegistration } from "../federation/federation.deps.ts";
import { isId } from "../lib/id.ts";
import type { FollowRepository } from "./follow.repository.ts";

/** Items per page; Mastodon serves 12, GoToSocial 40. */
export const COLLECTION_PAGE_SIZE = 40;
/** The cursor of the first page; later cursors are follow ids (exclusive upper bounds). */
const FIRST = "start";

/**
 * The followers and following collections of local accounts as paged OrderedCollections: the total
 * always, items only of accepted follows (a pending request is nobody's follower yet, hostile-inputs
 * case 19). With `authorizedFetch`, only signed fetches get them. The followers collection honours
 * FEP-8fcf's `base-url` filter (Mastodon's follower synchronisation asks for one server's followers).
 */
export function followCollections(deps: { follows: FollowRepository; accounts: AccountRepository }): FedifyRegistration {
  return (fedify: Federation<void>, federationDeps) => {
    const accountOf = async (identifier: string) => {
      const account = await deps.accounts.findByUsername(identifier);
      return account !== null && account.username === identifier ? account : null;
    };
    const before = (cursor: string): string | null | undefined => (cursor === FIRST ? null : isId(cursor) ? cursor : undefined);
    const authorize = async (ctx: RequestContext<void>) => !federationDeps.config.authorizedFetch || (await ctx.getSignedKey()) !== null;

    fedify
      .setFollowersDispatcher("/users/{identifier}/followers", async (_ctx, identifier, cursor, filter) => {
        if (cursor === null) return null;
        const upper = before(cursor);
        const account = upper === undefined ? null : await accountOf(identifier);
        if (account === null) return null;
        const page = await deps.follows.listFollowers(account.actorId, {
          state: "accepted",
          limit: COLLECTION_PAGE_SIZE,
          before: upper ?? null,
          ...(filter !== undefined ? { actorUriPrefix: filter.href } : {}),
        });
        const items: Recipient[] = page.items.map(({ actor }) => ({
          id: new URL(actor.uri),
          inboxId: actor.inboxUrl ? new URL(actor.inboxUrl) : null,
          endpoints: actor.sharedInboxUrl ? { sharedInbox: new URL(actor.sharedInboxUrl) } : null,
        }));
        return { items, nextCursor: page.next };
      })
      .setCounter(async (_ctx, identifier) => {
        const account = await accountOf(identifier);
        return account === null ? null : await deps.follows.countFollowers(account.actorId, "accepted");
      })
      .setFirstCursor(async (_ctx, identifier) => ((await accountOf(identifier)) === null ? null : FIRST))
      .authorize(authorize);

    fedify
      .setFollowingDispatcher("/users/{identifier}/following", async (_ctx, identifier, cursor) => {
        if (cursor === null) return null;
        const upper = before(cursor);
        const account = upper === undefined ? null : await accountOf(identifier);
        if (account === null) return null;
        const page = await deps.follows.listFollowing(account.actorId, { state: "accepted", limit: COLLECTION_PAGE_SIZE, before: upper ?? null });
        return { items: page.items.map(({ actor }) => new URL(actor.uri)), nextCursor: page.next };
      })
      .setCounter(async (_ctx, identifier) => {
        const account = await accountOf(identifier);
        return account === null ? null : await deps.follows.countFollowing(account.actorId, "accepted");
      })
      .setFirstCursor(async (_ctx, identifier) => ((await accountOf(identifier)) === null ? null : FIRST))
      .authorize(authorize);
  };
}
