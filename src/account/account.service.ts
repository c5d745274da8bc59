import type { Clock } from "../lib/time.ts";
import { err, ok, type Result } from "../lib/result.ts";
import type { Urls } from "../app/urls.ts";
import { ACCOUNT_TYPES, USERNAME_PATTERN, type Account, type AccountType } from "./account.entity.ts";
import type { AccountRepository } from "./account.repository.ts";
import { generateAccountKeys } from "./keys.ts";
import { renderLocalPost } from "../content/render.ts";

export type CreateAccountError = "invalid-username" | "username-taken" | "invalid-type" | "invalid-name";

export interface CreateAccountInput {
  readonly username: string;
  readonly type?: string;
  readonly name?: string;
  /** Plain text; rendered to HTML (paragraphs, links) like a post. */
  readonly summary?: string;
}

/** Names that would collide with Herold's own routes or mislead people. */
const RESERVED = new Set(["actor", "admin", "administrator", "root", "inbox", "outbox", "api", "oauth", "herold", "instance", "well-known", "nodeinfo", "media", "tags", "users", "support", "security", "abuse", "postmaster", "webmaster"]);

export class AccountService {
  readonly #accounts: AccountRepository;
  readonly #urls: Urls;
  readonly #domain: string;
  readonly #clock: Clock;

  constructor(deps: { accounts: AccountRepository; urls: Urls; domain: string; clock: Clock }) {
    this.#accounts = deps.accounts;
    this.#urls = deps.urls;
    this.#domain = deps.domain;
    this.#clock = deps.clock;
  }

  async create(input: CreateAccountInput): Promise<Result<Account, CreateAccountError>> {
    const username = input.username.trim().toLowerCase();
    if (!USERNAME_PATTERN.test(username)) {
      return err("invalid-username", `invalid username ${JSON.stringify(input.username)}: use 1–30 letters a–z, digits and _ (dots and dashes allowed inside)`);
    }
    if (RESERVED.has(username)) return err("invalid-username", `the username ${JSON.stringify(username)} is reserved`);
    const type = parseAccountType(input.type ?? "organization");
    if (type === null) return err("invalid-type", `invalid type ${JSON.stringify(input.type)}: use organization, person or service`);
    const name = (input.name ?? username).trim();
    if (name.length === 0 || name.length > 100) return err("invalid-name", "the display name must be 1–100 characters");
    if (await this.#accounts.findByUsername(username)) return err("username-taken", `the username ${JSON.stringify(username)} is already taken`);

    const keys = await generateAccountKeys();
    try {
      const account = await this.#accounts.create(
        {
          username,
          type,
          name,
          summaryHtml: input.summary ? await this.#renderBio(input.summary) : "",
          uri: this.#urls.actor(username),
          url: this.#urls.profile(username),
          domain: this.#domain,
          inboxUrl: this.#urls.inbox(username),
          sharedInboxUrl: this.#urls.sharedInbox(),
          outboxUrl: this.#urls.outbox(username),
          followersUrl: this.#urls.followers(username),
          followingUrl: this.#urls.following(username),
          featuredUrl: this.#urls.featured(username),
          keyId: this.#urls.rsaKeyId(username),
          keys,
        },
        this.#clock.now().toISOString(),
      );
      return ok(account);
    } catch (error) {
      // Two creations racing for one name: the unique index decides, the loser gets the typed error.
      if (await this.#accounts.findByUsername(username)) return err("username-taken", `the username ${JSON.stringify(username)} is already taken`);
      throw error;
    }
  }

  /** A bio is rendered like a post (paragraphs, links, hashtags); mentions stay plain text here. */
  async #renderBio(text: string): Promise<string> {
    return (await renderLocalPost(text, { origin: this.#urls.origin, resolveMention: async () => null })).html;
  }

  get(username: string): Promise<Account | null> {
    return this.#accounts.findByUsername(username);
  }

  list(): Promise<Account[]> {
    return this.#accounts.list();
  }
}

export function parseAccountType(text: string): AccountType | null {
  const found = ACCOUNT_TYPES.find((t) => t.toLowerCase() === text.trim().toLowerCase());
  return found ?? null;
}

