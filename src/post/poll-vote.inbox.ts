import type { Kysely } from "kysely";
import type { Urls } from "../app/urls.ts";
import { idOf, typesOf } from "../content/validate.ts";
import type { DB } from "../db/schema.ts";
import type { InboundActivity, InboxOutcome } from "../federation/inbox/inbox.types.ts";
import type { Clock } from "../lib/time.ts";
import { countVote, pollEnded } from "./poll.ts";
import type { PollUpdates } from "./poll.job.ts";
import type { PostAccess } from "./post.access.ts";
import type { Post } from "./post.entity.ts";
import type { BlockPolicy, InteractionLedger } from "./post.ports.ts";
import type { PostRepository } from "./post.repository.ts";
import type { RemotePostService } from "./remote-post.service.ts";

export interface PollVoteDeps {
  readonly db: Kysely<DB>;
  readonly urls: Urls;
  readonly posts: PostRepository;
  readonly remote: Pick<RemotePostService, "parseFromSender">;
  readonly ledger: Pick<InteractionLedger, "record" | "votesBy">;
  readonly blocks: BlockPolicy;
  readonly access: Pick<PostAccess, "canReadPost">;
  readonly polls: Pick<PollUpdates, "soon">;
  readonly clock: Clock;
}

/**
 * Votes on local polls. Mastodon (and every server that copies it) votes with a `Create(Note)` whose
 * Note has the option's text as `name`, no content, and `inReplyTo` the Question, addressed to the
 * poll's author; a multiple-choice vote is one such Create per option. Such a Note is a vote, not a
 * reply: it is counted in the interaction ledger (kind `vote`, option text in `content`) and never
 * stored as a post. Refused: votes after the end, a second vote on a single-choice poll, a second
 * vote for the same option, options the poll does not have, voters the author blocks (or on a blocked
 * domain) and voters who may not see the poll. The counts in `posts.poll_json` are updated in the
 * vote's transaction, under the post row's lock, and one debounced Update(Question) is queued with it.
 */
export class PollVoteInbox {
  readonly #deps: PollVoteDeps;

  constructor(deps: PollVoteDeps) {
    this.#deps = deps;
  }

  /** The local poll this object votes on, or null when it is not a vote (then it is an ordinary Create). */
  async pollVotedOn(object: Readonly<Record<string, unknown>>): Promise<Post | null> {
    if (!typesOf(object, 4).includes("Note") || typeof object["name"] !== "string") return null;
    const content = object["content"];
    if (typeof content === "string" && content.trim() !== "") return null;
    const target = idOf(object["inReplyTo"]);
    if (target === null || !this.#deps.urls.isLocal(target)) return null;
    const parsed = this.#deps.urls.parsePost(target);
    const post = parsed === null ? null : await this.#deps.posts.findById(parsed.postId);
    return post !== null && post.isLocal && post.uri === target && post.poll !== null ? post : null;
  }

  async receive(activity: InboundActivity, object: Readonly<Record<string, unknown>>, post: Post): Promise<InboxOutcome> {
    const parsed = this.#deps.remote.parseFromSender(object, activity.actor);
    if (!parsed.ok) return { kind: "rejected", reason: `vote: ${parsed.message}` };
    const poll = post.poll;
    if (poll === null || post.state !== "published") return { kind: "ignored", reason: `${post.uri} is not an open poll` };
    const voter = activity.actor;
    if (voter.id === post.actorId) return { kind: "ignored", reason: "the author does not vote on their own poll" };
    if (await this.#deps.blocks.isBlocked(post.actorId, voter.id)) return { kind: "rejected", reason: `${voter.uri} is blocked by the poll's author` };
    if (!(await this.#deps.access.canReadPost(post, voter.uri))) return { kind: "rejected", reason: `${voter.uri} may not see ${post.uri}` };
    if (pollEnded(poll, activity.receivedAt)) return { kind: "ignored", reason: `the poll ${post.uri} ended at ${poll.endsAt}` };
    const option = parsed.value.name ?? "";
    if (!poll.options.some((o) => o.name === option)) return { kind: "rejected", reason: `${JSON.stringify(option)} is not an option of ${post.uri}` };

    const counted = await this.#deps.db.transaction().execute(async (trx) => {
      // Writing the post's row first takes its lock: votes on one poll run one after the other
      // (PostgreSQL; SQLite has one writer anyway), so the check below sees every committed vote
      // and two votes of one actor racing on two workers cannot both pass it.
      await this.#deps.posts.lockPoll(post.id, trx);
      const earlier = await this.#deps.ledger.votesBy(post.id, voter.id, trx);
      if (earlier.length > 0 && !poll.multiple) return "already voted";
      if (earlier.includes(option)) return "already voted for this option";
      const { created } = await this.#deps.ledger.record(
        { kind: "vote", postId: post.id, actorId: voter.id, activityUri: activity.id, objectUri: parsed.value.id, content: option, at: activity.receivedAt },
        trx,
      );
      if (!created) return "this vote was counted before";
      // Under the lock the stored counts are current: one more for the option, and one more voter
      // unless this actor had voted (for another option of a multiple-choice poll) already.
      const current = (await this.#deps.posts.findById(post.id, trx))?.poll ?? poll;
      await this.#deps.posts.updatePoll(post.id, countVote(current, option, earlier.length === 0), this.#deps.clock.now().toISOString(), trx);
      await this.#deps.polls.soon(post.id, trx);
      return null;
    });
    return counted === null ? { kind: "processed" } : { kind: "ignored", reason: `${voter.uri} on ${post.uri}: ${counted}` };
  }
}
