import type { Kysely } from "kysely";
import type { Account } from "../account/account.entity.ts";
import type { AccountRepository } from "../account/account.repository.ts";
import type { Actor } from "../actor/actor.entity.ts";
import type { ActorRepository } from "../actor/actor.repository.ts";
import type { ActorResolver } from "../actor/actor.resolver.ts";
import type { Urls } from "../app/urls.ts";
import { countCharacters, renderLocalPost, type ResolvedMention } from "../content/render.ts";
import { escapeHtml, stripInvisible } from "../content/sanitize.ts";
import type { DB } from "../db/schema.ts";
import type { EventOutbox } from "../federation/outbound/bridge.ts";
import { newId } from "../lib/id.ts";
import { err, ok, type Result } from "../lib/result.ts";
import type { Clock } from "../lib/time.ts";
import type { MediaService } from "../media/media.service.ts";
import type { LocalMedia } from "../media/media.entity.ts";
import { addressFor, isPublicVisibility } from "./addressing.ts";
import { VISIBILITIES, type Post, type Visibility } from "./post.entity.ts";
import type { MentionRef, PostRepository, PostWrite } from "./post.repository.ts";
import type { RemotePostService, ResolvePostError } from "./remote-post.service.ts";
import { DEFAULT_POLL_DURATION, openPoll, parsePollDraft, type PollDraft } from "./poll.ts";
import type { PollUpdates } from "./poll.job.ts";

/** Mastodon shows four attachments per post; peers drop the rest, so Herold does not send more. */
export const MAX_LOCAL_ATTACHMENTS = 4;
const LANGUAGE = /^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$/;

export interface PublishInput {
  readonly username: string;
  /** Plain text: links, `@user@host` mentions and `#hashtags` become links. */
  readonly text: string;
  readonly visibility?: string;
  readonly contentWarning?: string | null;
  /** BCP 47 language tag, e.g. `en` or `pt-BR`. */
  readonly language?: string | null;
  /** URL or id of the post replied to (any server). */
  readonly replyTo?: string | null;
  /** URL or id of the post quoted. */
  readonly quote?: string | null;
  /** Image files with alt text, in order. */
  readonly media?: readonly { readonly path: string; readonly description: string | null }[];
  /** Extra recipients (handles or actor URLs) beyond those mentioned in the text. */
  readonly mentions?: readonly string[];
  /** A poll (options, single or multiple choice, duration; default one day): the post becomes a Question. */
  readonly poll?: (Omit<PollDraft, "durationSeconds"> & { readonly durationSeconds?: number }) | null;
  /** Media marked sensitive (a content warning always makes the post sensitive). */
  readonly sensitive?: boolean;
}

export type PublishError =
  | "unknown-account"
  | "invalid-visibility"
  | "invalid-language"
  | "empty"
  | "too-long"
  | "reply-target"
  | "quote-target"
  | "quote-not-allowed"
  | "mention"
  | "media"
  | "poll";

export type EditError = "unknown-account" | "not-found" | "not-owner" | "empty" | "too-long";
export type DeleteError = "unknown-account" | "not-found" | "not-owner";

/** The outbound bridge as the service sees it. */
export type EventPublisher = EventOutbox;

/**
 * Publishing, editing and deleting local posts (liking and boosting any post is
 * `PostInteractionService`'s). Each write and
 * the domain event it reports commit in one transaction (the bridge's transactional outbox); the
 * bridge then turns the event into an activity, stores it and queues deliveries
 * (post.outbound.ts), so no request waits for a remote server and no crash loses a federation.
 */
export class PostService {
  readonly #accounts: AccountRepository;
  readonly #actors: ActorRepository;
  readonly #posts: PostRepository;
  readonly #media: MediaService;
  readonly #remote: RemotePostService;
  readonly #resolver: ActorResolver;
  readonly #events: EventPublisher;
  readonly #urls: Urls;
  readonly #domain: string;
  readonly #clock: Clock;
  readonly #maxChars: number;
  readonly #maxPollOptions: number;
  readonly #polls: PollUpdates;

  constructor(deps: {
    db: Kysely<DB>;
    accounts: AccountRepository;
    actors: ActorRepository;
    posts: PostRepository;
    media: MediaService;
    remote: RemotePostService;
    resolver: ActorResolver;
    events: EventPublisher;
    urls: Urls;
    domain: string;
    clock: Clock;
    maxChars: number;
    maxPollOptions: number;
    polls: PollUpdates;
  }) {
    this.#accounts = deps.accounts;
    this.#actors = deps.actors;
    this.#posts = deps.posts;
    this.#media = deps.media;
    this.#remote = deps.remote;
    this.#resolver = deps.resolver;
    this.#events = deps.events;
    this.#urls = deps.urls;
    this.#domain = deps.domain.toLowerCase();
    this.#clock = deps.clock;
    this.#maxChars = deps.maxChars;
    this.#maxPollOptions = deps.maxPollOptions;
    this.#polls = deps.polls;
  }

  async publish(input: PublishInput): Promise<Result<Post, PublishError>> {
    const account = await this.#accounts.findByUsername(input.username);
    if (account === null) return err("unknown-account", `no local account ${JSON.stringify(input.username)}`);
    const visibility = (input.visibility ?? "public").trim().toLowerCase();
    if (!VISIBILITIES.includes(visibility as Visibility)) {
      return err("invalid-visibility", `invalid visibility ${JSON.stringify(input.visibility)}: use ${VISIBILITIES.join(", ")}`);
    }
    const language = input.language?.trim() || null;
    if (language !== null && !LANGUAGE.test(language)) return err("invalid-language", `invalid language ${JSON.stringify(language)}: use a tag such as en or pt-BR`);
    const contentWarning = cleanLine(input.contentWarning ?? "");
    const media = input.media ?? [];
    if (media.length > MAX_LOCAL_ATTACHMENTS) return err("media", `at most ${MAX_LOCAL_ATTACHMENTS} attachments per post`);
    if (input.text.trim() === "" && media.length === 0) return err("empty", "the post has no text and no attachment");
    // Checked again here: the command line publishes without a draft.
    const poll = input.poll ? parsePollDraft({ ...input.poll, durationSeconds: input.poll.durationSeconds ?? DEFAULT_POLL_DURATION }, this.#maxPollOptions) : null;
    if (poll !== null && !poll.ok) return poll;
    if (poll !== null && media.length > 0) return err("poll", "a post has either attachments or a poll, not both");
    const length = countCharacters(input.text, contentWarning);
    if (length > this.#maxChars) return err("too-long", `the post has ${length} characters; the limit is ${this.#maxChars}`);

    const parent = input.replyTo ? await this.#remote.resolve(input.replyTo) : null;
    if (parent !== null && !parent.ok) return err("reply-target", `cannot reply to ${input.replyTo}: ${describe(parent.error, parent.message)}`);
    if (parent?.ok && !(await this.#canSee(account, parent.value))) return err("reply-target", `cannot reply to ${input.replyTo}: you cannot see that post`);
    const quoted = input.quote ? await this.#remote.resolve(input.quote) : null;
    if (quoted !== null && !quoted.ok) return err("quote-target", `cannot quote ${input.quote}: ${describe(quoted.error, quoted.message)}`);
    if (quoted?.ok && (!isPublicVisibility(quoted.value.visibility) || quoted.value.boostOfId !== null)) {
      return err("quote-not-allowed", `only public and unlisted posts can be quoted`);
    }

    // Extra recipients: the ones asked for, the author of the post replied to, the author quoted.
    const extra: Actor[] = [];
    for (const target of input.mentions ?? []) {
      const actor = await this.#findActor(target);
      if (!actor.ok) return err("mention", `cannot mention ${target}: ${actor.message}`);
      extra.push(actor.value);
    }
    for (const related of [parent?.ok ? parent.value : null, quoted?.ok ? quoted.value : null]) {
      if (related === null || related.actorId === account.actorId) continue;
      const author = await this.#actors.findById(related.actorId);
      if (author !== null) extra.push(author);
    }

    const rendered = await this.#render(input.text, account, extra, quoted?.ok ? quoted.value : null);
    if (visibility === "direct" && rendered.mentions.length === 0) {
      return err("mention", "a direct post needs at least one recipient: mention someone (in the text or with --mention)");
    }

    const stored: LocalMedia[] = [];
    for (const item of media) {
      const result = await this.#media.storeImageFile(account.actorId, item.path, item.description);
      if (!result.ok) {
        await this.#media.discard(stored.map((m) => m.id));
        return err("media", `${item.path}: ${result.message}`);
      }
      stored.push(result.value);
    }

    const now = this.#clock.now().toISOString();
    const id = newId(this.#clock.now().getTime());
    const uri = this.#urls.post(account.username, id);
    const addressing = addressFor(visibility as Visibility, this.#urls.followers(account.username), rendered.mentions.map((m) => m.actorUri));
    const parentPost = parent?.ok ? parent.value : null;
    const write: PostWrite = {
      uri,
      actorId: account.actorId,
      isLocal: true,
      type: "Note",
      state: "published",
      visibility: visibility as Visibility,
      sourceText: input.text,
      contentHtml: rendered.html,
      summary: contentWarning === "" ? null : contentWarning,
      name: null,
      sensitive: contentWarning !== "" || input.sensitive === true,
      language,
      url: uri,
      inReplyToUri: parentPost?.uri ?? null,
      inReplyToId: parentPost?.id ?? null,
      quoteUri: quoted?.ok ? quoted.value.uri : null,
      quoteId: quoted?.ok ? quoted.value.id : null,
      boostOfId: null,
      conversationUri: parentPost?.conversationUri ?? parentPost?.uri ?? uri,
      to: addressing.to,
      cc: addressing.cc,
      emojis: [],
      poll: poll === null ? null : openPoll(poll.value, now),
      card: null,
      rawJson: null,
      publishedAt: now,
      editedAt: null,
    };
    // The post, its replies/quotes/mentions in the ledger (with their notifications) and the intent
    // to federate commit together; what they depend on (blocks, targets) is read before.
    const author = await this.#actors.findById(account.actorId);
    const interactions = author === null ? null : await this.#remote.planInteractions({ id, uri, inReplyToId: write.inReplyToId, quoteId: write.quoteId, publishedAt: now }, author, await this.#localAccounts(rendered.mentions));
    try {
      await this.#events.transaction(async (trx, emit) => {
        await this.#posts.insert(id, write, { mentions: rendered.mentions, tags: rendered.tags }, now, trx);
        const attached = await this.#media.attach(stored.map((m) => m.id), id, account.actorId, trx);
        if (attached !== stored.length) throw new Error(`only ${attached} of ${stored.length} attachments could be attached`);
        if (interactions !== null) await this.#remote.writeInteractions(interactions, trx);
        // The final counts go out when the poll ends, whether or not anyone voted.
        if (write.poll?.endsAt) await this.#polls.atEnd(id, write.poll.endsAt, trx);
        await emit({ type: "post.published", postId: id });
      });
    } catch (error) {
      await this.#media.discard(stored.map((m) => m.id));
      throw error;
    }
    return ok((await this.#posts.findById(id))!);
  }

  /** Replaces the text of a local post; the previous version is kept and an Update goes out. */
  async edit(username: string, postUrl: string, text: string): Promise<Result<Post, EditError>> {
    const found = await this.#ownPost(username, postUrl);
    if (!found.ok) return found;
    const { account, post } = found.value;
    const media = await this.#posts.mediaOf([post.id]);
    if (text.trim() === "" && (media.get(post.id)?.length ?? 0) === 0) return err("empty", "the post would have no text and no attachment");
    const length = countCharacters(text, post.summary ?? "");
    if (length > this.#maxChars) return err("too-long", `the post has ${length} characters; the limit is ${this.#maxChars}`);

    // Everyone who received the post keeps receiving it: earlier mentions stay among the recipients.
    const previous = await this.#posts.mentionsOf(post.id);
    const previousActors: Actor[] = [];
    for (const m of previous) {
      const actor = await this.#actors.findByUri(m.actorUri);
      if (actor !== null) previousActors.push(actor);
    }
    const quoted = post.quoteId ? await this.#posts.findById(post.quoteId) : null;
    const rendered = await this.#render(text, account, previousActors, quoted, { prefixExtra: false });
    const addressing = addressFor(post.visibility, this.#urls.followers(account.username), rendered.mentions.map((m) => m.actorUri));
    const now = this.#clock.now().toISOString();
    // Newly mentioned local accounts: ledger and notifications commit with the edit (see publish).
    const author = await this.#actors.findById(account.actorId);
    const interactions = author === null ? null : await this.#remote.planInteractions(post, author, await this.#localAccounts(rendered.mentions));
    await this.#events.transaction(async (trx, emit) => {
      await this.#posts.updateContent(
        post,
        {
          sourceText: text,
          contentHtml: rendered.html,
          summary: post.summary,
          name: post.name,
          sensitive: post.sensitive,
          language: post.language,
          emojis: post.emojis,
          poll: post.poll,
          card: post.card,
          rawJson: null,
          editedAt: now,
          to: addressing.to,
          cc: addressing.cc,
        },
        { mentions: rendered.mentions, tags: rendered.tags },
        { now, editId: newId(this.#clock.now().getTime()) },
        trx,
      );
      if (interactions !== null) await this.#remote.writeInteractions(interactions, trx);
      await emit({ type: "post.updated", postId: post.id });
    });
    return ok((await this.#posts.findById(post.id))!);
  }

  /** Deletes a local post: its id then answers 410 with a Tombstone and a Delete goes out. */
  async delete(username: string, postUrl: string): Promise<Result<Post, DeleteError>> {
    const found = await this.#ownPost(username, postUrl);
    if (!found.ok) return found;
    const { post } = found.value;
    const now = this.#clock.now().toISOString();
    // Files go only after the delete committed: a crash before it must leave a whole post, not one
    // without its images (files left by a crash after it are unreachable: the post answers 410).
    const files = await this.#media.filesOf(post.id);
    await this.#events.transaction(async (trx, emit) => {
      await this.#posts.markDeleted(post, now, trx);
      await emit({ type: "post.deleted", postId: post.id });
    });
    await this.#media.removeFiles(files);
    return ok((await this.#posts.findById(post.id))!);
  }

  /**
   * Renders the text, adds the extra recipients (with a visible @mention in front, as clients do for
   * replies) and the quote's "RE:" line for servers that do not show quotes.
   */
  async #render(
    text: string,
    account: Account,
    extra: readonly Actor[],
    quoted: Post | null,
    options: { prefixExtra?: boolean } = {},
  ): Promise<{ html: string; mentions: MentionRef[]; tags: string[] }> {
    const rendered = await renderLocalPost(text, {
      origin: this.#urls.origin,
      resolveMention: async ({ username, host }): Promise<ResolvedMention | null> => {
        const actor = await this.#mentionActor(username, host);
        return actor === null ? null : { uri: actor.uri, url: actor.url ?? actor.uri };
      },
    });
    const mentions: MentionRef[] = rendered.mentions.map((m) => ({ actorUri: m.uri, handle: m.handle }));
    let prefix = "";
    for (const actor of extra) {
      if (actor.id === account.actorId || mentions.some((m) => m.actorUri === actor.uri)) continue;
      mentions.push({ actorUri: actor.uri, handle: actor.handle });
      if (options.prefixExtra !== false) {
        prefix += `<span class="h-card" translate="no"><a href="${escapeHtml(actor.url ?? actor.uri)}" class="u-url mention">@<span>${escapeHtml(actor.username)}</span></a></span> `;
      }
    }
    let html = rendered.html;
    if (prefix !== "") html = html.startsWith("<p>") ? `<p>${prefix}${html.slice(3)}` : `<p>${prefix.trimEnd()}</p>${html}`;
    if (quoted !== null) {
      const link = escapeHtml(quoted.url ?? quoted.uri);
      html += `<p class="quote-inline">RE: <a href="${link}">${link}</a></p>`;
    }
    const tags = [...new Set(rendered.hashtags.map((t) => t.normalize("NFKC").toLowerCase()))];
    return { html, mentions, tags };
  }

  /** `@user@host` in a post: a local account, or a remote one found by WebFinger. */
  async #mentionActor(username: string, host: string): Promise<Actor | null> {
    if (host.toLowerCase() === this.#domain) {
      const account = await this.#accounts.findByUsername(username);
      return account === null ? null : await this.#actors.findById(account.actorId);
    }
    const resolved = await this.#resolver.resolveHandle(`${username}@${host}`);
    return resolved.ok ? resolved.value : null;
  }

  /** An extra recipient named by handle or actor URL. */
  async #findActor(target: string): Promise<Result<Actor, "not-found">> {
    const trimmed = target.trim();
    const localName = this.#urls.parseActor(trimmed);
    const handle = /^@?([^@\s]+)@([^@\s]+)$/.exec(trimmed);
    const username = localName ?? (handle && handle[2]!.toLowerCase() === this.#domain ? handle[1]! : null);
    if (username !== null) {
      const account = await this.#accounts.findByUsername(username);
      const actor = account ? await this.#actors.findById(account.actorId) : null;
      return actor ? ok(actor) : err("not-found", `no local account ${JSON.stringify(username)}`);
    }
    const resolved = await this.#resolver.resolveHandle(trimmed);
    return resolved.ok ? ok(resolved.value) : err("not-found", resolved.message);
  }

  async #localAccounts(mentions: readonly MentionRef[]): Promise<Account[]> {
    const out: Account[] = [];
    for (const m of mentions) {
      const username = this.#urls.parseActor(m.actorUri);
      const account = username ? await this.#accounts.findByUsername(username) : null;
      if (account !== null && account.uri === m.actorUri) out.push(account);
    }
    return out;
  }

  async #ownPost(username: string, postUrl: string): Promise<Result<{ account: Account; post: Post }, "unknown-account" | "not-found" | "not-owner">> {
    const account = await this.#accounts.findByUsername(username);
    if (account === null) return err("unknown-account", `no local account ${JSON.stringify(username)}`);
    const parsed = this.#urls.parsePost(postUrl.trim());
    if (parsed === null) return err("not-found", `${postUrl} is not a post on this server`);
    const post = await this.#posts.findById(parsed.postId);
    if (post === null || !post.isLocal || post.boostOfId !== null || post.state !== "published" || post.uri !== postUrl.trim()) {
      return err("not-found", `no post ${postUrl}`);
    }
    if (post.actorId !== account.actorId) return err("not-owner", `${postUrl} is not a post of ${account.username}`);
    return ok({ account, post });
  }

  /** Who may see a post (and so reply to, like or boost it): see PostRepository.canSee. */
  #canSee(account: Account, post: Post): Promise<boolean> {
    return this.#posts.canSee(post, { id: account.actorId, uri: account.uri });
  }

}

/** One line of plain text (a content warning): no control, bidi or invisible characters. */
function cleanLine(text: string): string {
  return stripInvisible(text).replace(/\s+/g, " ").trim();
}

function describe(error: ResolvePostError, message: string): string {
  return error === "gone" ? "it was deleted" : message;
}
