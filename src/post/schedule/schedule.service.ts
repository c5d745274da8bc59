import type { Kysely } from "kysely";
import type { Account } from "../../account/account.entity.ts";
import type { AccountRepository } from "../../account/account.repository.ts";
import { countCharacters } from "../../content/render.ts";
import type { DB } from "../../db/schema.ts";
import { newId } from "../../lib/id.ts";
import { err, ok, type Result } from "../../lib/result.ts";
import type { Clock } from "../../lib/time.ts";
import type { LocalMedia } from "../../media/media.entity.ts";
import type { MediaError } from "../../media/media.service.ts";
import type { JobQueue } from "../../queue/queue.ts";
import { VISIBILITIES, type Post } from "../post.entity.ts";
import type { PublishError, PublishInput } from "../post.service.ts";
import { MAX_LOCAL_ATTACHMENTS } from "../post.service.ts";
import { can, type Role } from "../../user/user.entity.ts";
import { SCHEDULE_QUEUE, scheduleDedupeKey, type Draft, type DraftChange, type DraftMedia, type DraftState, type ScheduledJob } from "./draft.entity.ts";
import { parsePollDraft } from "../poll.ts";
import type { DraftContent, DraftGuard, DraftRepository } from "./draft.repository.ts";
import type { ComposeUploadRepository, UploadOwner } from "./compose-upload.repository.ts";

/** What publishing needs from the posts module: exactly PostService.publish. */
export interface DraftPublisher {
  publish(input: PublishInput): Promise<Result<Post, PublishError>>;
}

/** Image processing (resize, strip EXIF and location) from the posts module's MediaService. */
export interface DraftMediaStore {
  storeImage(actorId: string, input: Buffer, description: string | null): Promise<Result<LocalMedia, MediaError>>;
  discard(mediaIds: readonly string[]): Promise<void>;
  /** Where the draft's stored files are (the media module derives media paths, nobody else). */
  unattachedFiles(actorId: string, mediaIds: readonly string[]): Promise<ReadonlyMap<string, string>>;
  /** A new row for the same file as one of the actor's own uploads (the media library's "use again"). */
  reuse(actorId: string, mediaId: string): Promise<Result<LocalMedia, "not-found">>;
}

/** A claim older than this belongs to an attempt that died (publishing takes seconds, not minutes). */
const STALE_CLAIM_MS = 10 * 60_000;
/** Held uploads no submit adopted within a day belong to a compose page that was abandoned. */
const HELD_UPLOAD_MAX_AGE_MS = 24 * 3_600_000;

export type SaveError = "not-found" | "forbidden" | "not-editable" | "too-long" | "invalid-visibility" | "too-many-images" | "media" | "poll";
export type ScheduleError = "not-found" | "forbidden" | "not-editable" | "changed" | "in-the-past" | "not-whole-minute" | "empty";
export type CancelError = "not-found" | "forbidden" | "not-scheduled";
export type DiscardError = "not-found" | "forbidden" | "not-editable";
export type PublishDraftError = "not-found" | "forbidden" | "busy" | "changed" | PublishError;

/**
 * Who makes a change: the person (null: the command line, acting as the organisation) and their
 * role for the account. The rules (issue #10, item 2), decided here and nowhere else:
 * - publishing, scheduling, cancelling, and editing or deleting a scheduled post need `publish`;
 * - without it (an author), a person edits and deletes only their own drafts that are not scheduled;
 * - every change is recorded with who made it (`draft_changes`, `drafts.updated_by`).
 */
export interface Editor {
  readonly userId: string | null;
  readonly role: Role;
}

/** The states a person may still change at all (not while publishing, not once published). */
const OPEN_STATES: readonly DraftState[] = ["draft", "scheduled", "failed"];
/** The states an author may change: not scheduled (a publisher decided to publish it). */
const UNSCHEDULED_STATES: readonly DraftState[] = ["draft", "failed"];

export interface DraftInput {
  readonly text: string;
  readonly contentWarning: string;
  readonly visibility: string;
  readonly language: string;
  readonly replyTo: string;
  readonly quote: string;
  /** Alt text of the images already attached to the draft, by media id (changed alt text is saved). */
  readonly descriptions?: ReadonlyMap<string, string>;
  /** Ids of attached images to remove. */
  readonly removeMedia?: readonly string[];
  /** New images with their alt text. */
  readonly uploads?: readonly { readonly bytes: Buffer; readonly description: string }[];
  /** Ids of the account's own earlier uploads to use again (media library); another account's are refused. */
  readonly reuse?: readonly string[];
  /** A poll as entered (checked here); absent or null: none. */
  /** "Mark media as sensitive"; absent: as saved. */
  readonly sensitive?: boolean;
  readonly poll?: { readonly options: readonly string[]; readonly multiple: boolean; readonly durationSeconds: number } | null;
  /**
   * Images held for this person from an earlier refused submit or preview (`holdUploads`), by media
   * id, with their alt text: adopted into the draft when it saves; ids not held for the person are ignored.
   */
  readonly held?: readonly DraftMedia[];
}

/** What `holdUploads` kept: the stored images, and the message of the first one that could not be used. */
export interface HeldUploads {
  readonly held: readonly DraftMedia[];
  readonly error: string | null;
}

/**
 * Drafts, scheduling and publishing them. The rules that make scheduled posts safe:
 * - a scheduled draft has a durable job (runAt = its minute, dedupe key per draft and time) that is
 *   enqueued in the same transaction that schedules it, so restarts lose nothing;
 * - the job re-checks the row: only a draft still scheduled for exactly the job's minute is claimed
 *   (a conditional UPDATE to `publishing`), so a reschedule's old job does nothing, and two workers or
 *   a person pressing "publish now" at the same moment can never both publish;
 * - after a crash between publishing and recording it, the retry finds the post and does not repeat it.
 * The post itself is made by PostService.publish: rendering, mentions, replies, quotes, images and
 * federation are the same as for a post published at once.
 */
export class ScheduleService {
  readonly #db: Kysely<DB>;
  readonly #drafts: DraftRepository;
  readonly #accounts: AccountRepository;
  readonly #publisher: DraftPublisher;
  readonly #media: DraftMediaStore;
  readonly #queue: JobQueue;
  readonly #clock: Clock;
  readonly #maxChars: number;
  readonly #maxPollOptions: number;
  readonly #uploads: ComposeUploadRepository;

  constructor(deps: {
    db: Kysely<DB>;
    drafts: DraftRepository;
    uploads: ComposeUploadRepository;
    accounts: AccountRepository;
    publisher: DraftPublisher;
    media: DraftMediaStore;
    queue: JobQueue;
    clock: Clock;
    maxChars: number;
    maxPollOptions: number;
  }) {
    this.#db = deps.db;
    this.#drafts = deps.drafts;
    this.#accounts = deps.accounts;
    this.#publisher = deps.publisher;
    this.#media = deps.media;
    this.#queue = deps.queue;
    this.#clock = deps.clock;
    this.#maxChars = deps.maxChars;
    this.#maxPollOptions = deps.maxPollOptions;
    this.#uploads = deps.uploads;
  }

  get(account: Pick<Account, "id">, draftId: string): Promise<Draft | null> {
    return this.#drafts.find(account.id, draftId);
  }

  /** Drafts in these states, soonest scheduled first; at most `limit` (the home shows the next few). */
  list(account: Pick<Account, "id">, states: Parameters<DraftRepository["list"]>[1], limit?: number): Promise<Draft[]> {
    return this.#drafts.list(account.id, states, limit);
  }

  scheduledBetween(account: Pick<Account, "id">, from: Date, to: Date): Promise<Draft[]> {
    return this.#drafts.scheduledBetween(account.id, from.toISOString(), to.toISOString());
  }

  /** Who changed the draft, when and what, oldest first (for the review of the teams issue). */
  changes(account: Pick<Account, "id">, draftId: string): Promise<DraftChange[]> {
    return this.#drafts.changes(account.id, draftId);
  }

  /**
   * Whether `editor` may change (edit or delete) `draft`: the same rule the conditional writes
   * enforce (`#changeGuard`), for pages that offer or hide the buttons.
   */
  mayChange(editor: Editor, draft: Draft): boolean {
    const guard = this.#changeGuard(editor);
    return guard.states.includes(draft.state) && (guard.writtenBy === undefined || guard.writtenBy === draft.userId);
  }

  /** Creates a draft (draftId null) or saves changes to a draft or scheduled post (its job stays valid). */
  async save(account: Account, editor: Editor, draftId: string | null, input: DraftInput): Promise<Result<Draft, SaveError>> {
    if (!can(editor.role, "draft")) return err("forbidden", "Your role does not allow writing drafts.");
    const visibility = input.visibility.trim().toLowerCase() || "public";
    if (!(VISIBILITIES as readonly string[]).includes(visibility)) return err("invalid-visibility", "Choose who can see the post.");
    const contentWarning = input.contentWarning.trim();
    const length = countCharacters(input.text, contentWarning);
    if (length > this.#maxChars) return err("too-long", `The post has ${length} characters; the limit is ${this.#maxChars}.`);
    const existing = draftId === null ? null : await this.#drafts.find(account.id, draftId);
    if (draftId !== null && existing === null) return err("not-found", "This draft does not exist.");
    if (existing !== null && !OPEN_STATES.includes(existing.state)) return err("not-editable", "This post is being published or was published already.");
    if (existing !== null && !this.mayChange(editor, existing)) return err("forbidden", forbiddenChange(existing));

    // A caller that says nothing about the poll (absent) keeps the draft's; null removes it.
    const poll = input.poll === undefined ? (existing?.poll ? ok(existing.poll) : null) : input.poll === null ? null : parsePollDraft(input.poll, this.#maxPollOptions);
    if (poll !== null && !poll.ok) return poll;
    const remove = new Set(input.removeMedia ?? []);
    const kept: DraftMedia[] = (existing?.media ?? [])
      .filter((m) => !remove.has(m.id))
      .map((m) => ({ id: m.id, description: input.descriptions?.get(m.id)?.trim() || m.description }));
    const uploads = input.uploads ?? [];
    const owner = uploadOwner(account, editor);
    const heldIds = owner === null ? [] : await this.#uploads.held(owner, (input.held ?? []).map((m) => m.id));
    const reused = [...new Set(input.reuse ?? [])];
    // Mastodon shows a post with images or with a poll, never both; refused before any upload is stored.
    if (poll !== null && kept.length + heldIds.length + uploads.length + reused.length > 0) return err("poll", "A post has either images or a poll: remove the images or the poll.");
    if (kept.length + heldIds.length + uploads.length + reused.length > MAX_LOCAL_ATTACHMENTS) return err("too-many-images", `At most ${MAX_LOCAL_ATTACHMENTS} images per post: remove ${kept.length + heldIds.length + uploads.length + reused.length - MAX_LOCAL_ATTACHMENTS}.`);
    // Taken in one conditional delete: a second submit of the same page adopts nothing twice.
    const taken = owner === null ? [] : await this.#uploads.take(owner, heldIds);
    const adopted: DraftMedia[] = taken.map((id) => ({ id, description: input.held?.find((m) => m.id === id)?.description?.trim() || null }));
    const added: DraftMedia[] = [...adopted];
    for (const upload of uploads) {
      const stored = await this.#media.storeImage(account.actorId, upload.bytes, upload.description.trim() || null);
      if (!stored.ok) {
        await this.#media.discard(added.filter((m) => !taken.includes(m.id)).map((m) => m.id));
        if (owner !== null) await this.#uploads.add(owner, taken, this.#now());
        return err("media", `The image could not be used: ${stored.message}`);
      }
      added.push({ id: stored.value.id, description: stored.value.description });
    }
    for (const mediaId of reused) {
      const again = await this.#media.reuse(account.actorId, mediaId);
      if (!again.ok) {
        await this.#media.discard(added.map((m) => m.id));
        return err("media", `The image could not be used: ${again.message}`);
      }
      added.push({ id: again.value.id, description: again.value.description });
    }
    const content: DraftContent = {
      text: input.text,
      contentWarning: contentWarning === "" ? null : contentWarning,
      visibility,
      language: input.language.trim() || null,
      replyTo: input.replyTo.trim() || null,
      quote: input.quote.trim() || null,
      media: [...kept, ...added],
      poll: poll?.value ?? null,
      sensitive: input.sensitive ?? existing?.sensitive ?? false,
    };
    const now = this.#now();
    if (existing === null) {
      return ok(await this.#drafts.insert({ id: newId(this.#clock.now().getTime()), accountId: account.id, userId: editor.userId, content }, now));
    }
    // The guard is checked again in the UPDATE: a draft scheduled meanwhile is not an author's to change.
    if (!(await this.#drafts.updateContent(account.id, existing.id, content, this.#changeGuard(editor), editor.userId, now))) {
      // The held images stay the person's (the page shows them again); new ones go.
      await this.#media.discard(added.filter((m) => !taken.includes(m.id)).map((m) => m.id));
      if (owner !== null) await this.#uploads.add(owner, taken, now);
      const current = await this.#drafts.find(account.id, existing.id);
      if (current !== null && OPEN_STATES.includes(current.state)) return err("forbidden", forbiddenChange(current));
      return err("not-editable", "This post is being published or was published already.");
    }
    await this.#media.discard([...remove].filter((id) => existing.media.some((m) => m.id === id)));
    return ok((await this.#drafts.find(account.id, existing.id))!);
  }

  /**
   * Processes and stores images for a compose page that has no draft to keep them in: a submit
   * that was refused (over the character limit, too many images) or a preview, which saves
   * nothing. They are held for this person and account until a later `save` adopts them (`held`),
   * so nothing the person attached is lost or stored twice. Abandoned holds older than a day go.
   */
  async holdUploads(account: Pick<Account, "id" | "actorId">, editor: Editor, uploads: readonly { readonly bytes: Buffer; readonly description: string }[]): Promise<HeldUploads> {
    const owner = uploadOwner(account, editor);
    if (owner === null || !can(editor.role, "draft") || uploads.length === 0) return { held: [], error: null };
    const now = this.#clock.now();
    await this.#media.discard(await this.#uploads.takeOlderThan(new Date(now.getTime() - HELD_UPLOAD_MAX_AGE_MS).toISOString()));
    const held: DraftMedia[] = [];
    let error: string | null = null;
    for (const upload of uploads) {
      const stored = await this.#media.storeImage(account.actorId, upload.bytes, upload.description.trim() || null);
      if (!stored.ok) {
        error ??= `The image could not be used: ${stored.message}`;
        continue;
      }
      held.push({ id: stored.value.id, description: stored.value.description });
    }
    await this.#uploads.add(owner, held.map((m) => m.id), now.toISOString());
    return { held, error };
  }

  /** Which of `mediaIds` are held for this person (what a re-rendered page may show again). */
  heldUploads(account: Pick<Account, "id">, editor: Editor, mediaIds: readonly string[]): Promise<string[]> {
    const owner = uploadOwner(account, editor);
    return owner === null ? Promise.resolve([]) : this.#uploads.held(owner, mediaIds);
  }

  /** Drops held images the person removed on the page (only their own). */
  async dropHeldUploads(account: Pick<Account, "id">, editor: Editor, mediaIds: readonly string[]): Promise<void> {
    const owner = uploadOwner(account, editor);
    if (owner === null) return;
    await this.#media.discard(await this.#uploads.take(owner, mediaIds));
  }

  /**
   * Schedules (or reschedules) a draft for `at`, a whole minute in the future. The row and its job
   * are written in one transaction. An earlier job for another time stays queued and will find the
   * row changed; scheduling back to a time whose job is still queued reuses that job (same key).
   */
  async schedule(account: Pick<Account, "id">, editor: Editor, draftId: string, at: Date, timeZone: string, options: { revision?: number } = {}): Promise<Result<Draft, ScheduleError>> {
    if (!can(editor.role, "publish")) return err("forbidden", "Your role lets you save drafts; a publisher schedules them.");
    if (at.getUTCSeconds() !== 0 || at.getUTCMilliseconds() !== 0) return err("not-whole-minute", "Posts are scheduled to the minute.");
    if (at.getTime() <= this.#clock.now().getTime()) return err("in-the-past", "Choose a time in the future.");
    const draft = await this.#drafts.find(account.id, draftId);
    if (draft === null) return err("not-found", "This draft does not exist.");
    if (options.revision !== undefined && draft.revision !== options.revision) return err("changed", CHANGED);
    if (draft.text.trim() === "" && draft.media.length === 0) return err("empty", "Write something (or add an image) before scheduling.");
    const job: ScheduledJob = { draftId, scheduledAt: at.toISOString() };
    const guard = options.revision !== undefined ? { revision: options.revision } : {};
    const done = await this.#db.transaction().execute(async (trx) => {
      if (!(await this.#drafts.setSchedule(account.id, draftId, job.scheduledAt, timeZone, guard, editor.userId, this.#now(), trx))) return false;
      await this.#queue.enqueue(SCHEDULE_QUEUE, job, { runAt: at, dedupeKey: scheduleDedupeKey(job), executor: trx });
      return true;
    });
    if (!done) {
      const after = await this.#drafts.find(account.id, draftId);
      if (after !== null && options.revision !== undefined && after.revision !== options.revision) return err("changed", CHANGED);
      return err("not-editable", "This post is being published or was published already.");
    }
    return ok((await this.#drafts.find(account.id, draftId))!);
  }

  /** Back to a draft; its job will find nothing to do. */
  async cancel(account: Pick<Account, "id">, editor: Editor, draftId: string): Promise<Result<Draft, CancelError>> {
    const draft = await this.#drafts.find(account.id, draftId);
    if (draft === null) return err("not-found", "This draft does not exist.");
    if (!can(editor.role, "publish")) return err("forbidden", "Your role lets you save drafts; a publisher cancels scheduled posts.");
    if (!(await this.#drafts.unschedule(account.id, draftId, editor.userId, this.#now()))) return err("not-scheduled", "This post is not scheduled (any more).");
    return ok((await this.#drafts.find(account.id, draftId))!);
  }

  /**
   * Deletes a draft and its images (not while it is being published; a scheduled one only with
   * `publish`, an author only their own). Published drafts stay deletable by whoever could change
   * them before: the post itself is not touched.
   */
  async discard(account: Pick<Account, "id">, editor: Editor, draftId: string): Promise<Result<void, DiscardError>> {
    const draft = await this.#drafts.find(account.id, draftId);
    if (draft === null) return err("not-found", "This draft does not exist.");
    const guard = this.#changeGuard(editor);
    const deletable: DraftGuard = { ...guard, states: [...guard.states, "published"] };
    if (draft.state === "publishing") return err("not-editable", "This post is being published right now.");
    if (!deletable.states.includes(draft.state) || (deletable.writtenBy !== undefined && deletable.writtenBy !== draft.userId)) return err("forbidden", forbiddenChange(draft));
    const deleted = await this.#drafts.delete(account.id, draftId, deletable, editor.userId, this.#now());
    if (deleted === null) return err("not-editable", "This draft changed meanwhile (scheduled or being published); look again.");
    await this.#media.discard(deleted.media.map((m) => m.id));
    return ok(undefined);
  }

  /**
   * "Publish now" from the composer: the same claim as the scheduler, so it cannot race a due job.
   * With `revision`, only the content the publisher saw is published.
   */
  async publishNow(account: Account, editor: Editor, draftId: string, options: { revision?: number } = {}): Promise<Result<Post, PublishDraftError>> {
    const draft = await this.#drafts.find(account.id, draftId);
    if (draft === null) return err("not-found", "This draft does not exist.");
    if (!can(editor.role, "publish")) return err("forbidden", "Your role lets you save drafts; a publisher publishes them.");
    if (options.revision !== undefined && draft.revision !== options.revision) return err("changed", CHANGED);
    if (!(await this.#drafts.claim(draft.id, OPEN_STATES, null, this.#now(), options.revision))) {
      const after = await this.#drafts.find(account.id, draftId);
      if (after !== null && options.revision !== undefined && after.revision !== options.revision) return err("changed", CHANGED);
      return err("busy", "This post is being published or was published already.");
    }
    // What is published is the row as claimed, not what was read before the claim.
    const claimed = (await this.#drafts.findAny(draft.id)) ?? draft;
    return await this.#publishClaimed(account, { ...claimed, userId: claimed.userId ?? editor.userId }, draft.state === "scheduled" ? "scheduled" : "draft", editor.userId);
  }

  /** The scheduled job: publishes the draft if, and only if, it is still due at exactly this minute. */
  async runScheduled(job: ScheduledJob): Promise<"published" | "skipped" | "failed" | "recovered" | "busy"> {
    const draft = await this.#drafts.findAny(job.draftId);
    if (draft === null || draft.scheduledAt !== job.scheduledAt) return "skipped";
    const account = await this.#accounts.findById(draft.accountId);
    if (account === null) return "skipped";
    if (draft.state === "publishing") {
      // Someone is publishing it right now (a person pressed "publish now", or another attempt):
      // come back later rather than race them.
      if (draft.claimedAt !== null && this.#clock.now().getTime() - Date.parse(draft.claimedAt) < STALE_CLAIM_MS) return "busy";
      // A previous attempt stopped mid-way (the process died): finish it without publishing twice.
      const postId = await this.#drafts.findPublishedFrom(draft, account.actorId);
      if (postId !== null) {
        await this.#drafts.finish(draft.id, { postId }, null, this.#now());
        return "recovered";
      }
    } else if (draft.state !== "scheduled" || !(await this.#drafts.claim(draft.id, ["scheduled"], job.scheduledAt, this.#now()))) {
      return "skipped";
    }
    const result = await this.#publishClaimed(account, (await this.#drafts.findAny(draft.id)) ?? draft, "scheduled", null);
    return result.ok ? "published" : "failed";
  }

  /** Who may change drafts: with `publish` any open draft; without, only one's own unscheduled drafts. */
  #changeGuard(editor: Editor): DraftGuard {
    if (can(editor.role, "publish")) return { states: OPEN_STATES };
    // No person (the CLI) without `publish` does not happen; an impossible id keeps the guard closed.
    return { states: UNSCHEDULED_STATES, writtenBy: editor.userId ?? "" };
  }

  async #publishClaimed(account: Account, draft: Draft, releaseTo: "draft" | "scheduled", by: string | null): Promise<Result<Post, PublishDraftError>> {
    const media = await this.#mediaFiles(account, draft.media);
    let result: Result<Post, PublishError>;
    try {
      result = await this.#publisher.publish({
        username: account.username,
        text: draft.text,
        visibility: draft.visibility,
        contentWarning: draft.contentWarning,
        language: draft.language,
        replyTo: draft.replyTo,
        quote: draft.quote,
        media,
        poll: draft.poll,
        sensitive: draft.sensitive,
      });
    } catch (error) {
      // Unexpected: hand the claim back so a person (or the job's retry) can try again.
      await this.#drafts.release(draft.id, releaseTo, this.#now());
      throw error;
    }
    const now = this.#now();
    if (!result.ok) {
      await this.#drafts.finish(draft.id, { error: result.message }, by, now);
      return result;
    }
    await this.#drafts.finish(draft.id, { postId: result.value.id }, by, now);
    await this.#db
      .insertInto("post_authors")
      .values({ post_id: result.value.id, user_id: draft.userId, created_at: now })
      .onConflict((oc) => oc.column("post_id").doNothing())
      .execute();
    // The post has its own processed copies now; the draft's are no longer needed.
    await this.#media.discard(draft.media.map((m) => m.id));
    return result;
  }

  /** Files of the draft's images (only unattached media of this account: nothing else can be named). */
  async #mediaFiles(account: Account, media: readonly DraftMedia[]): Promise<{ path: string; description: string | null }[]> {
    const paths = await this.#media.unattachedFiles(account.actorId, media.map((m) => m.id));
    return media.flatMap((m) => {
      const path = paths.get(m.id);
      return path !== undefined ? [{ path, description: m.description }] : [];
    });
  }

  #now(): string {
    return this.#clock.now().toISOString();
  }
}

function uploadOwner(account: Pick<Account, "id">, editor: Editor): UploadOwner | null {
  return editor.userId === null ? null : { accountId: account.id, userId: editor.userId };
}

const CHANGED = "This draft was changed since you opened it; look at it again before publishing it.";

function forbiddenChange(draft: Draft): string {
  return draft.state === "scheduled"
    ? "This post is scheduled: only a publisher can change or delete it."
    : "Your role lets you change your own drafts only.";
}
