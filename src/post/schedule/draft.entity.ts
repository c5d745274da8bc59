import type { Selectable } from "kysely";
import type { DraftChangeRow, DraftRow } from "../../db/schema.ts";
import { parseJson } from "../../db/rows.ts";
import type { PollDraft } from "../poll.ts";
import type { Visibility } from "../post.entity.ts";

export const DRAFT_STATES = ["draft", "scheduled", "publishing", "published", "failed"] as const;
export type DraftState = (typeof DRAFT_STATES)[number];

/** An image uploaded for a draft: a processed, unattached media row and its alt text. */
export interface DraftMedia {
  readonly id: string;
  readonly description: string | null;
}

/**
 * What the composer saved and has not been published yet (or was, by the scheduler). Becomes a post
 * through PostService.publish, so scheduled posts are rendered and federated like any other.
 */
export interface Draft {
  readonly id: string;
  readonly accountId: string;
  readonly userId: string | null;
  readonly state: DraftState;
  readonly text: string;
  readonly contentWarning: string | null;
  readonly visibility: Visibility;
  readonly language: string | null;
  readonly replyTo: string | null;
  readonly quote: string | null;
  readonly media: readonly DraftMedia[];
  /** The poll the post is published with, if any. */
  readonly poll: PollDraft | null;
  /** "Mark media as sensitive": hidden behind a click on Mastodon, with or without a content warning. */
  readonly sensitive: boolean;
  /** UTC, whole minutes. */
  readonly scheduledAt: string | null;
  readonly timeZone: string | null;
  readonly claimedAt: string | null;
  readonly postId: string | null;
  readonly error: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** The person behind the current content or state; null: the worker or the command line. */
  readonly updatedBy: string | null;
  /** Counts content changes: "publish" and "schedule" can insist on the version a publisher saw. */
  readonly revision: number;
}

export function draftFromRow(row: Selectable<DraftRow>): Draft {
  return {
    id: row.id,
    accountId: row.account_id,
    userId: row.user_id,
    state: (DRAFT_STATES as readonly string[]).includes(row.state) ? (row.state as DraftState) : "failed",
    text: row.text,
    contentWarning: row.content_warning,
    visibility: row.visibility as Visibility,
    language: row.language,
    replyTo: row.reply_to,
    quote: row.quote,
    media: parseJson<DraftMedia[]>(row.media_json, []),
    poll: parseJson<PollDraft | null>(row.poll_json, null),
    sensitive: row.sensitive === 1,
    scheduledAt: row.scheduled_at,
    timeZone: row.time_zone,
    claimedAt: row.claimed_at,
    postId: row.post_id,
    error: row.error,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    updatedBy: row.updated_by,
    revision: row.revision,
  };
}

export const DRAFT_CHANGE_KINDS = ["created", "edited", "scheduled", "cancelled", "published", "failed", "deleted"] as const;
export type DraftChangeKind = (typeof DRAFT_CHANGE_KINDS)[number];

/**
 * One entry of a draft's history: who (null: the scheduler or the command line), when, what, and
 * for creations and edits the content as saved. Kept after the draft is deleted or published.
 */
export interface DraftChange {
  readonly id: string;
  readonly draftId: string;
  readonly userId: string | null;
  readonly kind: DraftChangeKind;
  readonly revision: number;
  readonly content: DraftContentSnapshot | null;
  readonly scheduledAt: string | null;
  readonly createdAt: string;
}

/** The saved content of one revision (what a reviewer compares). */
export interface DraftContentSnapshot {
  readonly text: string;
  readonly contentWarning: string | null;
  readonly visibility: string;
  readonly language: string | null;
  readonly replyTo: string | null;
  readonly quote: string | null;
  readonly media: readonly DraftMedia[];
  /** Absent in snapshots saved before polls (migration 0021). */
  readonly poll?: PollDraft | null;
  readonly sensitive?: boolean;
}

export function draftChangeFromRow(row: Selectable<DraftChangeRow>): DraftChange {
  return {
    id: row.id,
    draftId: row.draft_id,
    userId: row.user_id,
    kind: (DRAFT_CHANGE_KINDS as readonly string[]).includes(row.kind) ? (row.kind as DraftChangeKind) : "edited",
    revision: row.revision,
    content: row.content_json === null ? null : parseJson<DraftContentSnapshot | null>(row.content_json, null),
    scheduledAt: row.scheduled_at,
    createdAt: row.created_at,
  };
}

/** The job that publishes a scheduled draft: one per draft and scheduled time (the dedupe key). */
export interface ScheduledJob {
  readonly draftId: string;
  readonly scheduledAt: string;
}

export const SCHEDULE_QUEUE = "posts.scheduled";

export function scheduleDedupeKey(job: ScheduledJob): string {
  return `schedule:${job.draftId}:${job.scheduledAt}`;
}
