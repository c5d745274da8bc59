import type { Account } from "../account/account.entity.ts";
import type { AccountRepository } from "../account/account.repository.ts";
import type { Urls } from "../app/urls.ts";
import type { PostViews } from "./post.view.ts";

/** One of the organisation's accounts as the start page presents it. */
export interface AccountCard {
  readonly account: Account;
  readonly handle: string;
  readonly profileUrl: string;
  readonly rssUrl: string;
  readonly atomUrl: string;
  readonly avatarUrl: string | null;
}

export interface HomeView {
  /** The site root's own URL (canonical). */
  readonly url: string;
  readonly accounts: readonly AccountCard[];
}

/** Accounts the start page presents; an organisation has a few, the rest are a click away. */
export const HOME_ACCOUNTS = 20;

/** The site root `/`: who publishes here and how to follow them. */
export class HomeViews {
  readonly #accounts: Pick<AccountRepository, "list">;
  readonly #postViews: Pick<PostViews, "localOnly">;
  readonly #urls: Urls;
  readonly #domain: string;

  constructor(deps: { accounts: Pick<AccountRepository, "list">; postViews: Pick<PostViews, "localOnly">; urls: Urls; domain: string }) {
    this.#accounts = deps.accounts;
    this.#postViews = deps.postViews;
    this.#urls = deps.urls;
    this.#domain = deps.domain;
  }

  async page(): Promise<HomeView> {
    // Oldest first: the account made at setup (the organisation's own) leads.
    const accounts = (await this.#accounts.list()).slice(0, HOME_ACCOUNTS);
    return {
      url: `${this.#urls.origin}/`,
      accounts: accounts.map((account) => {
        const actorUrl = this.#urls.actor(account.username);
        return {
          account,
          handle: `@${account.username}@${this.#domain}`,
          profileUrl: this.#urls.profile(account.username),
          rssUrl: `${actorUrl}/feed.rss`,
          atomUrl: `${actorUrl}/feed.atom`,
          avatarUrl: this.#postViews.localOnly(account.iconUrl),
        };
      }),
    };
  }
}
