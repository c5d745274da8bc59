import { Tombstone } from "@fedify/vocab";
import type { AccountRepository } from "../account/account.repository.ts";
import type { Urls } from "../app/urls.ts";
import type { OutboxRepository } from "../federation/outbound/outbox.repository.ts";
import { toInstant } from "../federation/temporal.ts";
import { isId } from "../lib/id.ts";
import { err, ok, type Result } from "../lib/result.ts";
import { buildTombstone } from "./note.builder.ts";
import type { PostAccess, Signer } from "./post.access.ts";
import type { PostRepository } from "./post.repository.ts";

/**
 * `not-found`: nothing deleted there that the requester may learn of (the caller falls through, so
 * it looks like any unknown URL); `signature-required`: authorized fetch is on and the request is unsigned.
 */
export type TombstoneError = "not-found" | "signature-required";

/**
 * The Tombstones of deleted local posts, and of the Create activities of deleted posts. Who may learn
 * that a post existed follows the same rules as reading it (PostAccess).
 */
export class TombstoneService {
  readonly #accounts: AccountRepository;
  readonly #posts: PostRepository;
  readonly #outbox: Pick<OutboxRepository, "findOwned">;
  readonly #access: PostAccess;
  readonly #urls: Urls;

  constructor(deps: { accounts: AccountRepository; posts: PostRepository; outbox: Pick<OutboxRepository, "findOwned">; access: PostAccess; urls: Urls }) {
    this.#accounts = deps.accounts;
    this.#posts = deps.posts;
    this.#outbox = deps.outbox;
    this.#access = deps.access;
    this.#urls = deps.urls;
  }

  async ofPost(username: string, id: string, signer: () => Promise<string | null>): Promise<Result<Tombstone, TombstoneError>> {
    if (!isId(id)) return notFound;
    const [account, post] = await Promise.all([this.#accountOf(username), this.#posts.findById(id)]);
    if (account === null || post === null || post.actorId !== account.actorId) return notFound;
    if (!post.isLocal || post.boostOfId !== null || post.state !== "deleted") return notFound;
    const denied = await this.#check(signer, (s) => this.#access.canReadPost(post, s));
    return denied ?? ok(buildTombstone(post));
  }

  async ofActivity(username: string, id: string, signer: () => Promise<string | null>): Promise<Result<Tombstone, TombstoneError>> {
    if (!isId(id)) return notFound;
    const account = await this.#accountOf(username);
    if (account === null) return notFound;
    const activity = await this.#outbox.findOwned(this.#urls.activity(username, id), account.actorId);
    if (activity === null || activity.type !== "Create" || activity.objectUri === null) return notFound;
    const post = await this.#posts.findByUri(activity.objectUri);
    if (post === null || post.state !== "deleted") return notFound;
    const denied = await this.#check(signer, (s) => this.#access.canReadActivity(activity, s));
    return denied ?? ok(new Tombstone({ id: new URL(activity.uri), deleted: post.deletedAt ? toInstant(post.deletedAt) : null }));
  }

  async #accountOf(username: string) {
    const account = await this.#accounts.findByUsername(username);
    return account !== null && account.username === username ? account : null;
  }

  /** The error to answer with, or null when the requester may see it. */
  async #check(signer: () => Promise<string | null>, canRead: (signer: Signer) => Promise<boolean>): Promise<Result<never, TombstoneError> | null> {
    if (!this.#access.allowsUnsigned() && (await signer()) === null) return err("signature-required", "Request signature required");
    return (await canRead(signer)) ? null : notFound;
  }
}

const notFound = err("not-found", "no deleted post here");
