import type { InboundActivity, InboxOutcome } from "../federation/inbox/inbox.types.ts";
import { idsOf } from "../content/validate.ts";
import { sanitizeRemoteText } from "../content/sanitize.ts";
import { ignored, localAccountOf, localPostOf, processed, type HandlerTable, type SocialHandlerDeps } from "./social.inbox.ts";

/** Objects a Flag may name that are looked at; Mastodon sends the account and a handful of posts. */
const MAX_FLAG_OBJECTS = 100;
/** Report comments are short; Mastodon caps them at 1,000 characters. */
const MAX_REPORT_CHARS = 5000;

/**
 * A Flag (report) from another server about local accounts or posts, kept as a report with the local
 * objects it names and its comment (plain text). Objects on other servers are not our business.
 */
export function flagHandlers(deps: SocialHandlerDeps): HandlerTable {
  return { Flag: (activity) => receiveFlag(deps, activity) };
}

async function receiveFlag(deps: SocialHandlerDeps, activity: InboundActivity): Promise<InboxOutcome> {
  const local = idsOf(activity.json["object"], MAX_FLAG_OBJECTS).filter((uri) => deps.urls.isLocal(uri));
  if (local.length === 0) return ignored("Flag names nothing on this server");
  let target: string | null = null;
  const objects: string[] = [];
  for (const uri of local) {
    const account = await localAccountOf(deps, uri);
    if (account !== null) {
      target ??= account.actorId;
      objects.push(uri);
      continue;
    }
    const found = await localPostOf(deps, uri, { anyState: true });
    if ("post" in found) {
      target ??= found.post.actorId;
      objects.push(uri);
    }
  }
  if (target === null) return ignored("Flag names no account or post of this server");
  const comment = sanitizeRemoteText(activity.json["content"], MAX_REPORT_CHARS) || sanitizeRemoteText(activity.json["summary"], MAX_REPORT_CHARS);
  const { created } = await deps.reports.insert(
    { uri: activity.id, reporterId: activity.actor.id, targetActorId: target, objectUris: objects, content: comment === "" ? null : comment },
    deps.clock.now().toISOString(),
  );
  return created ? processed : ignored(`report ${activity.id} was already stored`);
}
