import type { UndoneTypeLookup } from "../federation/inbox/inbox.types.ts";
import type { BlockRepository } from "./block.repository.ts";
import type { FollowRepository } from "./follow.repository.ts";
import type { InteractionRepository } from "./interaction.repository.ts";

/** What an interaction ledger kind was created by, for `Undo` whose object is only a URI. */
const INTERACTION_ACTIVITY: Readonly<Record<string, string>> = { like: "Like", boost: "Announce", react: "EmojiReact", dislike: "Dislike" };

/**
 * Social's answer to "what was this URI?" for an `Undo` that names its object only by URI: a Follow
 * (`follows.uri`), a Like/Announce/EmojiReact (`interactions.activity_uri`) or a Block
 * (`blocks.uri`). Registered on the inbox dispatcher, which keys the Undo by it.
 */
export function undoneActivityType(deps: { follows: FollowRepository; interactions: InteractionRepository; blocks: BlockRepository }): UndoneTypeLookup {
  return async (uri) => {
    if ((await deps.follows.findByUri(uri)) !== null) return "Follow";
    const interaction = await deps.interactions.findByActivityUri(uri);
    if (interaction !== null) return INTERACTION_ACTIVITY[interaction.kind] ?? null;
    if ((await deps.blocks.findByUri(uri)) !== null) return "Block";
    return null;
  };
}
