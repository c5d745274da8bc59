import type { InboundActivity, InboxOutcome } from "../federation/inbox/inbox.types.ts";
import { idOf, isObject } from "../content/validate.ts";
import { sanitizeRemoteText } from "../content/sanitize.ts";
import { graphemeCount } from "../content/text.ts";
import type { InteractionKind } from "./interaction.repository.ts";
import { ignored, localPostOf, processed, rejected, type HandlerTable, type SocialHandlerDeps } from "./social.inbox.ts";

/**
 * Like and emoji reactions (Pleroma/Akkoma `EmojiReact`; Misskey sends a `Like` with
 * `_misskey_reaction` and `content`) on Herold posts, and their undos. Only interactions with a
 * published Herold post the actor may see are recorded; everything else is ignored with a reason.
 */
export function likeHandlers(deps: SocialHandlerDeps): HandlerTable {
  return {
    Like: (activity) => {
      const reaction = reactionOf(activity.json);
      // Misskey and its forks have no separate like: their like button sends a Like with ❤ as the
      // reaction, which Mastodon counts as a favourite. So a heart is a like here too (stored and
      // notified as one), and a post's likes compare across servers; other emoji stay reactions.
      if (reaction === null || isHeart(reaction)) return record(deps, activity, "like", null);
      return record(deps, activity, "react", reaction);
    },
    EmojiReact: (activity) => {
      const reaction = reactionOf(activity.json);
      if (reaction === null) return Promise.resolve(rejected("EmojiReact without a single emoji or :shortcode: as content"));
      return record(deps, activity, "react", reaction);
    },
    "Undo/Like": (activity) => undo(deps, activity, ["like", "react"]),
    "Undo/EmojiReact": (activity) => undo(deps, activity, ["react"]),
  };
}

/** Most graphemes a reaction may have: one emoji, sometimes with a presentation selector split off. */
const MAX_REACTION_GRAPHEMES = 2;
const CUSTOM_EMOJI = /^:([A-Za-z0-9_]{2,64})(?:@[^:\s]{1,253})?:$/;
const EMOJI_CHARACTER = /\p{Extended_Pictographic}|\p{Regional_Indicator}|\u20e3/u;

/** ❤ (U+2764), ♥ (U+2665), with or without the emoji presentation selector (U+FE0F). */
export function isHeart(reaction: string): boolean {
  const bare = reaction.replace(/\uFE0F/g, "");
  return bare === "\u2764" || bare === "\u2665";
}

/**
 * The reaction of a Like/EmojiReact: a Unicode emoji, or a custom emoji as `:shortcode:` (Misskey's
 * `:name@host:` is reduced to `:name:`). Null when there is none or it is anything else.
 */
export function reactionOf(json: Readonly<Record<string, unknown>>): string | null {
  const raw = typeof json["_misskey_reaction"] === "string" ? json["_misskey_reaction"] : json["content"];
  if (typeof raw !== "string" || raw.length > 512) return null;
  const trimmed = raw.trim();
  const custom = CUSTOM_EMOJI.exec(trimmed);
  if (custom !== null) return `:${custom[1]}:`;
  const text = sanitizeRemoteText(trimmed, MAX_REACTION_GRAPHEMES + 1);
  if (text === "" || graphemeCount(text) > MAX_REACTION_GRAPHEMES || !EMOJI_CHARACTER.test(text)) return null;
  return text;
}

async function record(deps: SocialHandlerDeps, activity: InboundActivity, kind: InteractionKind, content: string | null): Promise<InboxOutcome> {
  const found = await localPostOf(deps, idOf(activity.json["object"]));
  if ("reason" in found) return ignored(`${activity.type} not counted: ${found.reason}`);
  const { post } = found;
  if (await deps.blocks.isBlocked(post.actorId, activity.actor.id)) return ignored(`${activity.type} not counted: the author and ${activity.actor.handle} block each other`);
  if (!(await deps.audience.canSee(post, activity.actor))) return ignored(`${activity.type} not counted: the post is not addressed to ${activity.actor.handle}`);
  const { created } = await deps.interactions.record({
    kind,
    postId: post.id,
    actorId: activity.actor.id,
    activityUri: activity.id,
    content,
    at: activity.receivedAt,
  });
  return created ? processed : ignored(`${activity.type} ${activity.id} was already recorded`);
}

async function undo(deps: SocialHandlerDeps, activity: InboundActivity, kinds: readonly InteractionKind[]): Promise<InboxOutcome> {
  const inner = activity.json["object"];
  if (isObject(inner) && inner["actor"] !== undefined && idOf(inner["actor"]) !== activity.actor.uri) {
    return rejected("Undo of an activity made by another actor");
  }
  const innerUri = idOf(inner);
  if (innerUri !== null) {
    const existing = await deps.interactions.findByActivityUri(innerUri);
    if (existing !== null) {
      if (existing.actorId !== activity.actor.id) return rejected("Undo of an interaction made by another actor");
      const undone = await deps.interactions.undo(innerUri, activity.actor.id, activity.receivedAt);
      return undone ? processed : ignored(`${innerUri} was already undone`);
    }
  }
  // Undo of a Like whose id we never stored (sent before we recorded it, or re-minted): Mastodon
  // falls back to "this actor's like of this post", and so do we.
  if (isObject(inner)) {
    const found = await localPostOf(deps, idOf(inner["object"]));
    if ("reason" in found) return ignored(`nothing to undo: ${found.reason}`);
    const undone = await deps.interactions.undoLatest({ actorId: activity.actor.id, postId: found.post.id, kinds, at: activity.receivedAt });
    if (undone !== null) return processed;
  }
  return ignored("nothing to undo: no recorded interaction of this actor matches");
}
