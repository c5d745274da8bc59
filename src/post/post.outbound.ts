import { Activity } from "@fedify/vocab";
import type { Account } from "../account/account.entity.ts";
import type { AccountRepository } from "../account/account.repository.ts";
import type { ActorRepository } from "../actor/actor.repository.ts";
import type { Urls } from "../app/urls.ts";
import { offlineContextLoader } from "../federation/context-loader.ts";
import type { OutboundActivity, OutboundBridge } from "../federation/outbound/bridge.ts";
import type { OutboxRepository } from "../federation/outbound/outbox.repository.ts";
import { buildAnnounce, buildCreate, buildDelete, buildLike, buildNote, buildUndo, buildUpdate } from "./note.builder.ts";
import type { Post } from "./post.entity.ts";
import type { InteractionLedger } from "./post.ports.ts";
import type { PostRepository } from "./post.repository.ts";
import type { Clock } from "../lib/time.ts";

export interface OutboundDeps {
  readonly outbox: Pick<OutboxRepository, "latestAbout">;
  readonly urls: Urls;
  readonly accounts: AccountRepository;
  readonly actors: ActorRepository;
  readonly posts: PostRepository;
  readonly ledger: InteractionLedger;
  /** "Now" for a poll's `closed`. */
  readonly clock: Clock;
}

/**
 * The activities the posts module sends, registered on the outbound bridge. Recipients follow the
 * addressing: followers (accepted follows only; the bridge never reads pending ones) for every
 * visibility but direct, plus each mentioned actor; a Like goes to the post's author, a boost to the
 * booster's followers and the post's author.
 */
export function registerPostBuilders(bridge: Pick<OutboundBridge, "on">, deps: OutboundDeps): void {
  const builders = postBuilders(deps);
  bridge.on("post.published", (e) => builders.published(e.postId));
  bridge.on("post.updated", (e) => builders.updated(e.postId));
  bridge.on("post.deleted", (e) => builders.deleted(e.postId));
  bridge.on("poll.counted", (e) => builders.pollCounted(e.postId));
  bridge.on("interaction.created", (e) => builders.interactionCreated(e.interactionId));
  bridge.on("interaction.undone", (e) => builders.interactionUndone(e.interactionId));
}

/** The builders themselves (exported for snapshot tests). */
export function postBuilders(deps: OutboundDeps) {
  const { urls, accounts, actors, posts, ledger } = deps;

  async function localPost(postId: string, states: readonly Post["state"][]): Promise<{ post: Post; account: Account } | null> {
    const post = await posts.findById(postId);
    if (post === null || !post.isLocal || post.boostOfId !== null || !states.includes(post.state)) return null;
    const account = await accounts.findByActorId(post.actorId);
    return account === null ? null : { post, account };
  }

  /** Actor ids of a post's mentions that Herold knows (remote ones get the activity in their inbox). */
  async function mentionedActorIds(post: Post): Promise<string[]> {
    const ids: string[] = [];
    for (const mention of await posts.mentionsOf(post.id)) {
      const actor = await actors.findByUri(mention.actorUri);
      if (actor !== null && actor.id !== post.actorId) ids.push(actor.id);
    }
    return ids;
  }

  async function note(post: Post, account: Account) {
    const [mentions, tags, media] = await Promise.all([posts.mentionsOf(post.id), posts.tagsOf(post.id), posts.mediaOf([post.id])]);
    return buildNote({ post, authorUri: account.uri, mentions, tags, media: media.get(post.id) ?? [] }, urls, deps.clock.now().toISOString());
  }

  async function audienceOf(post: Post): Promise<OutboundActivity["audience"]> {
    return { followers: post.visibility !== "direct", actorIds: await mentionedActorIds(post) };
  }

  return {
    async published(postId: string): Promise<OutboundActivity | null> {
      const found = await localPost(postId, ["published"]);
      if (found === null) return null;
      const { post, account } = found;
      return {
        account,
        activity: buildCreate(await note(post, account), post, account.uri),
        visibility: post.visibility,
        objectUri: post.uri,
        audience: await audienceOf(post),
      };
    },

    async updated(postId: string): Promise<OutboundActivity | null> {
      const found = await localPost(postId, ["published"]);
      if (found === null) return null;
      const { post, account } = found;
      return {
        account,
        activity: buildUpdate(await note(post, account), post, account.uri, post.editedAt ?? post.updatedAt),
        visibility: post.visibility,
        objectUri: post.uri,
        audience: await audienceOf(post),
      };
    },

    /**
     * New counts of a local poll (or its end): Update(Question) with `updated` left as the last edit,
     * so Mastodon refreshes the poll and records no edit. Nothing for a post without a poll or deleted.
     */
    async pollCounted(postId: string): Promise<OutboundActivity | null> {
      const found = await localPost(postId, ["published"]);
      if (found === null || found.post.poll === null) return null;
      const { post, account } = found;
      return {
        account,
        activity: buildUpdate(await note(post, account), post, account.uri, deps.clock.now().toISOString()),
        visibility: post.visibility,
        objectUri: post.uri,
        audience: await audienceOf(post),
      };
    },

    async deleted(postId: string): Promise<OutboundActivity | null> {
      const found = await localPost(postId, ["deleted"]);
      if (found === null) return null;
      const { post, account } = found;
      return { account, activity: buildDelete(post, account.uri), visibility: post.visibility, objectUri: post.uri, audience: await audienceOf(post) };
    },

    async interactionCreated(interactionId: string): Promise<OutboundActivity | null> {
      const interaction = await ledger.get(interactionId);
      if (interaction === null || (interaction.kind !== "like" && interaction.kind !== "boost")) return null;
      const account = await accounts.findByActorId(interaction.actorId);
      const post = await posts.findById(interaction.postId);
      const author = post ? await actors.findById(post.actorId) : null;
      if (account === null || post === null || author === null) return null;
      if (interaction.kind === "like") {
        return {
          account,
          activity: buildLike(account.uri, post.uri, author.uri, interaction.createdAt),
          // A Like is addressed to the author alone; only they may dereference it.
          visibility: "direct",
          objectUri: post.uri,
          audience: { followers: false, actorIds: author.id === account.actorId ? [] : [author.id] },
        };
      }
      return {
        account,
        activity: buildAnnounce(account.uri, urls.followers(account.username), post, author.uri, interaction.createdAt),
        visibility: post.visibility === "unlisted" ? "unlisted" : "public",
        objectUri: post.uri,
        audience: { followers: true, actorIds: author.id === account.actorId ? [] : [author.id] },
      };
    },

    async interactionUndone(interactionId: string): Promise<OutboundActivity | null> {
      const interaction = await ledger.get(interactionId);
      if (interaction === null || (interaction.kind !== "like" && interaction.kind !== "boost")) return null;
      const account = await accounts.findByActorId(interaction.actorId);
      const post = await posts.findById(interaction.postId);
      if (account === null || post === null) return null;
      // The activity being undone is the newest one of its kind this account sent about the post.
      const sent = await deps.outbox.latestAbout(account.actorId, post.uri, interaction.kind === "like" ? "Like" : "Announce");
      if (sent === null) return null;
      const undone = await Activity.fromJsonLd(JSON.parse(sent.json), { contextLoader: offlineContextLoader, documentLoader: offlineContextLoader });
      const author = await actors.findById(post.actorId);
      const actorIds = author !== null && author.id !== account.actorId ? [author.id] : [];
      return {
        account,
        activity: buildUndo(account.uri, undone, interaction.undoneAt ?? interaction.createdAt),
        visibility: sent.visibility === "public" || sent.visibility === "unlisted" ? sent.visibility : "direct",
        objectUri: sent.uri,
        audience: { followers: interaction.kind === "boost", actorIds },
      };
    },
  };
}
