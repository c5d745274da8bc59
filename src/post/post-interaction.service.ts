import type { AccountRepository } from "../account/account.repository.ts";
import type { Account } from "../account/account.entity.ts";
import type { Urls } from "../app/urls.ts";
import { newId } from "../lib/id.ts";
import { err, ok, type Result } from "../lib/result.ts";
import type { Clock } from "../lib/time.ts";
import { isPublicVisibility } from "./addressing.ts";
import type { Post } from "./post.entity.ts";
import type { InteractionLedger } from "./post.ports.ts";
import { boostWrite, type PostRepository } from "./post.repository.ts";
import type { EventPublisher } from "./post.service.ts";
import type { RemotePostService, ResolvePostError } from "./remote-post.service.ts";

export type InteractError = "unknown-account" | "not-found" | "not-allowed" | "already-done";
export type UndoInteractionError = "unknown-account" | "not-found" | "not-done";

/**
 * A local account likes or boosts any post, or takes it back. This lives in the posts module, not
 * beside social's `InteractionService`, because acting is about posts: the target is resolved (by
 * id, address or a fetch from its origin), checked with the one visibility rule, and a boost writes
 * its timeline row into `posts`. Social's ledger (reached through the `InteractionLedger` port)
 * records the interaction, as it records those of remote actors. Each change, its ledger entry and
 * the intent to federate commit in one transaction (the bridge's transactional outbox).
 */
export class PostInteractionService {
  readonly #accounts: AccountRepository;
  readonly #posts: PostRepository;
  readonly #remote: RemotePostService;
  readonly #events: EventPublisher;
  readonly #ledger: InteractionLedger;
  readonly #urls: Urls;
  readonly #clock: Clock;

  constructor(deps: {
    accounts: AccountRepository;
    posts: PostRepository;
    remote: RemotePostService;
    events: EventPublisher;
    ledger: InteractionLedger;
    urls: Urls;
    clock: Clock;
  }) {
    this.#accounts = deps.accounts;
    this.#posts = deps.posts;
    this.#remote = deps.remote;
    this.#events = deps.events;
    this.#ledger = deps.ledger;
    this.#urls = deps.urls;
    this.#clock = deps.clock;
  }

  like(username: string, url: string): Promise<Result<Post, InteractError>> {
    return this.#interact(username, url, "like");
  }

  boost(username: string, url: string): Promise<Result<Post, InteractError>> {
    return this.#interact(username, url, "boost");
  }

  unlike(username: string, url: string): Promise<Result<Post, UndoInteractionError>> {
    return this.#undoInteraction(username, url, "like");
  }

  unboost(username: string, url: string): Promise<Result<Post, UndoInteractionError>> {
    return this.#undoInteraction(username, url, "boost");
  }

  async #interact(username: string, url: string, kind: "like" | "boost"): Promise<Result<Post, InteractError>> {
    const account = await this.#accounts.findByUsername(username);
    if (account === null) return err("unknown-account", `no local account ${JSON.stringify(username)}`);
    const resolved = await this.#remote.resolve(url);
    if (!resolved.ok) return err("not-found", `cannot find ${url}: ${describe(resolved.error, resolved.message)}`);
    const post = resolved.value;
    if (post.boostOfId !== null || post.state !== "published") return err("not-found", `${url} is not a post`);
    if (!(await this.#canSee(account, post))) return err("not-allowed", `you cannot see ${url}`);
    // Mastodon does not let anyone boost followers-only or direct posts; peers would reject the Announce.
    if (kind === "boost" && !isPublicVisibility(post.visibility)) return err("not-allowed", "only public and unlisted posts can be boosted");
    if ((await this.#ledger.active(account.actorId, post.id, kind)) !== null) {
      return err("already-done", kind === "like" ? "you already like this post" : "you already boosted this post");
    }
    const now = this.#clock.now().toISOString();
    // The ledger key of a local interaction: the outgoing activity's id is minted by the bridge later.
    const activityUri = `${account.uri}#${kind}s/${newId(this.#clock.now().getTime())}`;
    // The ledger entry, its notification, the boost's timeline row and the intent to federate
    // commit together: a crash leaves either all of them (the intent is sent after a restart) or
    // none (the like can be made again), never a like that never federates.
    await this.#events.transaction(async (trx, emit) => {
      const { interactionId } = await this.#ledger.record({ kind, postId: post.id, actorId: account.actorId, activityUri, at: now }, trx);
      const intent = await emit({ type: "interaction.created", interactionId });
      if (kind !== "boost") return;
      // The boost as a timeline entry of the booster (local followers see it like a remote boost),
      // under the id the Announce will have (minted with the intent).
      await this.#posts.insert(
        newId(this.#clock.now().getTime()),
        boostWrite({
          uri: this.#urls.activity(account.username, intent.activityId),
          actorId: account.actorId,
          isLocal: true,
          boostOfId: post.id,
          visibility: post.visibility,
          to: [],
          cc: [],
          publishedAt: now,
        }),
        { mentions: [], tags: [] },
        now,
        trx,
      );
    });
    return ok(post);
  }

  async #undoInteraction(username: string, url: string, kind: "like" | "boost"): Promise<Result<Post, UndoInteractionError>> {
    const account = await this.#accounts.findByUsername(username);
    if (account === null) return err("unknown-account", `no local account ${JSON.stringify(username)}`);
    // Only what is stored: undoing must work even when the post's server is gone.
    const local = this.#urls.parsePost(url.trim());
    const post = local ? await this.#posts.findById(local.postId) : await this.#posts.findByUriOrUrl(url.trim());
    if (post === null) return err("not-found", `no known post ${url}`);
    const active = await this.#ledger.active(account.actorId, post.id, kind);
    if (active === null) return err("not-done", kind === "like" ? "you do not like this post" : "you have not boosted this post");
    const now = this.#clock.now().toISOString();
    const boost = kind === "boost" ? await this.#posts.findBoost(account.actorId, post.id) : null;
    // The undo in the ledger and the intent to send the Undo commit together (see #interact).
    await this.#events.transaction(async (trx, emit) => {
      await this.#ledger.undo(active.activityUri, account.actorId, now, trx);
      if (boost !== null) await this.#posts.deleteAnnounce(boost.id, trx);
      await emit({ type: "interaction.undone", interactionId: active.id });
    });
    return ok(post);
  }

  /** Who may see a post (and so like or boost it): see PostRepository.canSee. */
  #canSee(account: Account, post: Post): Promise<boolean> {
    return this.#posts.canSee(post, { id: account.actorId, uri: account.uri });
  }
}

function describe(error: ResolvePostError, message: string): string {
  return error === "gone" ? "it was deleted" : message;
}
