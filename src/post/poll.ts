import { err, ok, type Result } from "../lib/result.ts";
import type { Poll } from "./post.entity.ts";

/**
 * Local polls: what compose, the CLI and a draft hold (options, single or multiple choice, how long),
 * and the open poll a published post carries (`posts.poll_json`, the same `Poll` shape as a remote
 * poll, so one renderer shows both). The end time is fixed when the post is published, not when the
 * draft was written: a poll scheduled for Friday runs for its duration from Friday.
 */
export interface PollDraft {
  readonly options: readonly string[];
  readonly multiple: boolean;
  readonly durationSeconds: number;
}

/** The presets compose offers (Mastodon's range: 5 minutes to 7 days). */
export const POLL_DURATIONS: readonly { readonly seconds: number; readonly label: string }[] = [
  { seconds: 5 * 60, label: "5 minutes" },
  { seconds: 30 * 60, label: "30 minutes" },
  { seconds: 60 * 60, label: "1 hour" },
  { seconds: 6 * 60 * 60, label: "6 hours" },
  { seconds: 24 * 60 * 60, label: "1 day" },
  { seconds: 3 * 24 * 60 * 60, label: "3 days" },
  { seconds: 7 * 24 * 60 * 60, label: "7 days" },
];

export const DEFAULT_POLL_DURATION = 24 * 60 * 60;
export const MIN_POLL_DURATION = 5 * 60;
export const MAX_POLL_DURATION = 7 * 24 * 60 * 60;
/** Mastodon refuses longer option texts; a poll Herold sends must be one Mastodon shows. */
export const MAX_POLL_OPTION_CHARS = 50;

export type PollInputError = "poll";

/**
 * Checks a poll as a person entered it. Blank option fields are dropped (compose shows more fields
 * than most polls need); what remains must be 2…maxOptions distinct, non-empty texts.
 */
export function parsePollDraft(
  input: { options: readonly string[]; multiple: boolean; durationSeconds: number },
  maxOptions: number,
): Result<PollDraft, PollInputError> {
  const options = input.options.map((o) => o.replace(/\s+/g, " ").trim()).filter((o) => o !== "");
  if (options.length < 2) return err("poll", "A poll needs at least two options.");
  if (options.length > maxOptions) return err("poll", `A poll has at most ${maxOptions} options.`);
  const long = options.find((o) => [...o].length > MAX_POLL_OPTION_CHARS);
  if (long !== undefined) return err("poll", `Poll options have at most ${MAX_POLL_OPTION_CHARS} characters: "${long}" is longer.`);
  if (new Set(options.map((o) => o.toLowerCase())).size !== options.length) return err("poll", "Each poll option must be different.");
  const d = input.durationSeconds;
  if (!Number.isInteger(d) || d < MIN_POLL_DURATION || d > MAX_POLL_DURATION) {
    return err("poll", `A poll runs between ${MIN_POLL_DURATION / 60} minutes and ${MAX_POLL_DURATION / 86400} days.`);
  }
  return ok({ options, multiple: input.multiple, durationSeconds: d });
}

/** The poll a post starts with when published at `publishedAt`. */
export function openPoll(draft: PollDraft, publishedAt: string): Poll {
  return {
    options: draft.options.map((name) => ({ name, votes: 0 })),
    multiple: draft.multiple,
    endsAt: new Date(Date.parse(publishedAt) + draft.durationSeconds * 1000).toISOString(),
    voters: 0,
  };
}

export function pollEnded(poll: Poll, at: string): boolean {
  return poll.endsAt !== null && Date.parse(at) >= Date.parse(poll.endsAt);
}

/**
 * The poll with one more vote for `option` (a text that is not an option changes nothing), and one
 * more voter when this is the actor's first vote on it. Applied under the post row's lock, so the
 * counts stay equal to the ledger's (bench/poll-votes.ts: the cost does not grow with the votes).
 */
export function countVote(poll: Poll, option: string, newVoter: boolean): Poll {
  if (!poll.options.some((o) => o.name === option)) return poll;
  return {
    ...poll,
    options: poll.options.map((o) => (o.name === option ? { name: o.name, votes: o.votes + 1 } : o)),
    voters: (poll.voters ?? 0) + (newVoter ? 1 : 0),
  };
}

/** Percentages for display: of voters for a multiple-choice poll (they may exceed 100 in sum), else of votes. */
export function pollShares(poll: Poll): number[] {
  const total = poll.multiple ? (poll.voters ?? 0) : poll.options.reduce((s, o) => s + o.votes, 0);
  return poll.options.map((o) => (total === 0 ? 0 : Math.round((o.votes / total) * 100)));
}
