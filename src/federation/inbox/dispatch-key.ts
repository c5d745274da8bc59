import { idOf, isObject, typesOf } from "../../content/validate.ts";
import type { UndoneTypeLookup } from "./inbox.types.ts";

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

/**
 * The dispatcher key of an activity: its type, or `Outer/Inner` for an `Undo` (of what) and for an
 * `Announce` of an embedded activity. For an `Undo` that names its object only by URI, the modules
 * that stored it say what that URI was (`undoneType`, registered on the inbox dispatcher: social
 * knows its follows, interactions and blocks). An unknown one stays `Undo`.
 */
export async function dispatchKey(json: Readonly<Record<string, unknown>>, undoneType: UndoneTypeLookup): Promise<string> {
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
  const inner = await undoneType(uri);
  return inner !== null ? `Undo/${inner}` : "Undo";
}
