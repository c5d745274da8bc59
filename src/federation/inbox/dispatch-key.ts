import type { Kysely } from "kysely";
import { idOf, isObject, typesOf } from "../../content/validate.ts";
import type { DB } from "../../db/schema.ts";

/**
 * Activity types: an Announce whose object is one of these (embedded) re-shares an activity
 * (Lemmy and other group software) rather than boosting a post. `Question` is missing on purpose:
 * it is a poll, and an Announce of a poll is a boost.
 */
export const ACTIVITY_TYPES: ReadonlySet<string> = new Set([
  "Accept", "Add", "Announce", "Arrive", "Block", "Create", "Delete", "Dislike", "EmojiReact", "Flag", "Follow",
  "Ignore", "Invite", "Join", "Leave", "Like", "Listen", "Lock", "Move", "Offer", "Read", "Reject", "Remove",
  "TentativeAccept", "TentativeReject", "Travel", "Undo", "Update", "View",
]);

/** What an interaction ledger kind was created by, for `Undo` whose object is only a URI. */
const INTERACTION_ACTIVITY: Readonly<Record<string, string>> = { like: "Like", boost: "Announce", react: "EmojiReact", dislike: "Dislike" };

/**
 * The dispatcher key of an activity: its type, or `Outer/Inner` for an `Undo` (of what) and for an
 * `Announce` of an embedded activity. For an `Undo` that names its object only by URI, the stored
 * records say what that URI was: a Follow (`follows.uri`), a Like/Announce/EmojiReact
 * (`interactions.activity_uri`), a Block (`blocks.uri`). An unknown one stays `Undo`.
 */
export async function dispatchKey(json: Readonly<Record<string, unknown>>, db: Kysely<DB>): Promise<string> {
  const type = typesOf(json, 4)[0] ?? "";
  const object = json["object"];
  if (type === "Announce") {
    const inner = isObject(object) ? typesOf(object, 4).find((t) => ACTIVITY_TYPES.has(t)) : undefined;
    return inner !== undefined ? `Announce/${inner}` : "Announce";
  }
  if (type !== "Undo") return type;
  if (isObject(object)) {
    const inner = typesOf(object, 4)[0];
    if (inner !== undefined) return `Undo/${inner}`;
  }
  const uri = idOf(object);
  if (uri === null) return "Undo";
  const inner = await undoneType(uri, db);
  return inner !== null ? `Undo/${inner}` : "Undo";
}

async function undoneType(uri: string, db: Kysely<DB>): Promise<string | null> {
  const follow = await db.selectFrom("follows").select("id").where("uri", "=", uri).executeTakeFirst();
  if (follow !== undefined) return "Follow";
  const interaction = await db.selectFrom("interactions").select("kind").where("activity_uri", "=", uri).executeTakeFirst();
  if (interaction !== undefined) return INTERACTION_ACTIVITY[interaction.kind] ?? null;
  const block = await db.selectFrom("blocks").select("id").where("uri", "=", uri).executeTakeFirst();
  if (block !== undefined) return "Block";
  return null;
}
