import type { Account } from "../account/account.entity.ts";
import { unreachable } from "../lib/result.ts";
import { html, raw, type Html } from "../pages/html.ts";
import type { Draft, DraftState } from "../post/schedule/draft.entity.ts";
import { emptyPollForm, pollFieldset, pollFormFromDraft, type PollFormValues } from "./compose-poll.ts";
import type { Member } from "./web.env.ts";
import { appLayout, csrfField, type Shell } from "./web.layout.ts";
import { formatDate, formatTime, formatZoned, toWallTime } from "./time-zone.ts";
import { zoneSelect } from "./zone.template.ts";

/** An image on the compose page: saved with the draft, or held from a refused submit or a preview. */
export interface ComposeMedia {
  readonly id: string;
  readonly description: string;
  /** Same-origin thumbnail URL. */
  readonly src: string;
  /** Held for the person (`held_media`), not in a draft yet. */
  readonly held: boolean;
  /** Ticked "Remove" on the submit being shown again. */
  readonly removed: boolean;
}

export interface ComposeValues {
  readonly draftId: string | null;
  /** The draft's state, null for a new post: it names the page and its buttons. */
  readonly state: DraftState | null;
  readonly scheduledAt: string | null;
  readonly text: string;
  readonly contentWarning: string;
  readonly visibility: string;
  readonly language: string;
  readonly replyTo: string;
  readonly quote: string;
  readonly scheduleDate: string;
  readonly scheduleTime: string;
  /** The zone the date and time are in: the draft's, else the person's (or the browser's once confirmed). */
  readonly timeZone: string;
  readonly media: readonly ComposeMedia[];
  /** The poll fields as entered or saved; absent: no poll. */
  readonly poll?: PollFormValues;
  /** "Mark media as sensitive"; absent: not marked. */
  readonly sensitive?: boolean;
}

export function emptyCompose(zone: string): ComposeValues {
  return { draftId: null, state: null, scheduledAt: null, text: "", contentWarning: "", visibility: "public", language: "", replyTo: "", quote: "", scheduleDate: "", scheduleTime: "", timeZone: zone, media: [] };
}

export function composeFromDraft(draft: Draft, zone: string, thumb: (mediaId: string) => string): ComposeValues {
  const draftZone = draft.timeZone ?? zone;
  const wall = draft.scheduledAt !== null ? toWallTime(new Date(draft.scheduledAt), draftZone) : null;
  return {
    draftId: draft.id,
    state: draft.state,
    scheduledAt: draft.state === "scheduled" ? draft.scheduledAt : null,
    text: draft.text,
    contentWarning: draft.contentWarning ?? "",
    visibility: draft.visibility,
    language: draft.language ?? "",
    replyTo: draft.replyTo ?? "",
    quote: draft.quote ?? "",
    scheduleDate: wall ? formatDate(wall) : "",
    scheduleTime: wall ? formatTime(wall) : "",
    timeZone: draftZone,
    media: draft.media.map((m) => ({ id: m.id, description: m.description ?? "", src: thumb(m.id), held: false, removed: false })),
    poll: pollFormFromDraft(draft),
    sensitive: draft.sensitive,
  };
}

/** What the page is called for each state: a scheduled post never reads as a draft (issue #12, item 8). */
export function composeTitle(state: DraftState | null): string {
  switch (state) {
    case null:
      return "New post";
    case "draft":
      return "Edit draft";
    case "scheduled":
      return "Edit scheduled post";
    case "failed":
      return "Edit failed post";
    case "publishing":
      return "Post being published";
    case "published":
      return "Published post";
    default:
      return unreachable(state);
  }
}

const VISIBILITY_LABELS: readonly [string, string][] = [
  ["public", "Public: everyone, shown in public timelines"],
  ["unlisted", "Quiet public: everyone, not in public timelines"],
  ["followers", "Followers only"],
  ["direct", "Mentioned people only"],
];

export interface ComposeContext {
  readonly maxChars: number;
  readonly count: number;
  /** The person's confirmed zone; null until they confirm one (the page then offers the browser's). */
  readonly confirmedZone: string | null;
  /** Server-rendered preview (the same renderer as publishing), when asked for. */
  readonly previewHtml: Html | null;
  /** What is being replied to or quoted, for the heading. */
  readonly replyingTo: string | null;
  readonly quoting: string | null;
  readonly canPublish: boolean;
  readonly maxPollOptions: number;
  /** Why the person may only read this draft (shown instead of the buttons); null: they may change it. */
  readonly readOnly: string | null;
}

/**
 * The composer. One form, several submit buttons (preview, save, publish, schedule): it works
 * without JavaScript; the script adds the live count, live preview and suggestions.
 */
export function composePage(shell: Shell, member: Member, values: ComposeValues, cx: ComposeContext, message?: { error?: string; notice?: string; noticeText?: string; postUrl?: string | null }): Html {
  const remaining = cx.maxChars - cx.count;
  const slots = Math.max(0, 4 - values.media.filter((m) => !m.removed).length);
  const scheduled = values.state === "scheduled";
  const title = composeTitle(values.state);
  return appLayout(shell, {
    title,
    nav: "compose",
    member,
    error: message?.error,
    notice: message?.notice,
    noticeText: message?.noticeText,
    body: html`<h1>${title} for @${member.account.username}</h1>
${message?.postUrl ? html`<p><a href="${message.postUrl}">View the published post</a></p>` : null}
${scheduled && values.scheduledAt !== null && html`<p class="state scheduled">Scheduled for <time datetime="${values.scheduledAt}">${formatZoned(values.scheduledAt, values.timeZone)}</time>. Saving changes keeps this time; <em>Reschedule</em> moves it.</p>`}
<div class="split">
<form method="post" action="/app/compose" enctype="multipart/form-data" class="stack" data-compose data-max-chars="${cx.maxChars}">
${csrfField(member)}
${values.draftId !== null && html`<input type="hidden" name="draft_id" value="${values.draftId}">`}
<input type="hidden" name="reply_to" value="${values.replyTo}">
<input type="hidden" name="quote" value="${values.quote}">
${cx.replyingTo !== null && html`<p class="context">Replying to ${cx.replyingTo}</p>`}
${cx.quoting !== null && html`<p class="context">Quoting ${cx.quoting}</p>`}
<label for="content_warning">Content warning <span class="hint">(optional: the post and its images stay hidden behind it until opened)</span></label>
<input id="content_warning" name="content_warning" maxlength="500" value="${values.contentWarning}">
<label for="text">Text</label>
<textarea id="text" name="text" rows="8" aria-describedby="char-count text-hint">${values.text}</textarea>
<p id="text-hint" class="hint">@name@server mentions, #hashtags and links become links. Links count as 23 characters.</p>
<p id="char-count" class="count${remaining < 0 ? " over" : ""}" data-count aria-live="polite">${remaining < 0 ? `${-remaining} characters over the limit` : `${remaining} characters left`}</p>
<div class="row">
<div><label for="visibility">Who can see it</label>
<select id="visibility" name="visibility">${VISIBILITY_LABELS.map(([v, label]) => html`<option value="${v}"${values.visibility === v && html` selected`}>${label}</option>`)}</select></div>
<div><label for="language">Language</label>
<input id="language" name="language" size="6" maxlength="20" placeholder="en" value="${values.language}"></div>
</div>
<fieldset><legend>Images (up to 4)</legend>
${values.media.map(
  (m, i) => html`<div class="row">${m.held && html`<input type="hidden" name="held_media" value="${m.id}">`}<img src="${m.src}" alt="" width="96" height="96"><div><label for="alt_${m.id}">Alt text for image ${i + 1}</label>
<input id="alt_${m.id}" name="alt_${m.id}" maxlength="1500" value="${m.description}"></div>
<div><label><input type="checkbox" name="remove_media" value="${m.id}"${m.removed && html` checked`}> Remove</label></div></div>`,
)}
${slots > 0 && imageSlot(values.media.length, 0)}
${slots > 1 && html`<details><summary>More images</summary>${Array.from({ length: slots - 1 }, (_, i) => imageSlot(values.media.length, i + 1))}</details>`}
<label><input type="checkbox" name="sensitive" value="on"${values.sensitive === true && html` checked`}> Mark media as sensitive <span class="hint">(hidden until clicked; a content warning hides it too)</span></label>
<p class="hint">Images are resized; location and camera data are removed before anything is stored.</p>
</fieldset>
${pollFieldset(values.poll ?? emptyPollForm(), cx.maxPollOptions)}
${cx.readOnly !== null
    ? html`<p class="hint">${cx.readOnly}</p>`
    : html`<div class="actions">
<button type="submit" name="action" value="preview" class="secondary">Preview</button>
<button type="submit" name="action" value="draft" class="secondary">${scheduled ? "Save changes" : "Save draft"}</button>
${cx.canPublish && html`<button type="submit" name="action" value="publish">Publish now</button>`}
</div>
${cx.canPublish ? scheduleFieldset(values, cx) : html`<p class="hint">Your role (author) writes drafts; a publisher schedules and publishes them.</p>`}`}
</form>
<section class="preview" aria-labelledby="preview-title"><h2 id="preview-title">Preview (as it will look on Mastodon)</h2>
<div data-preview aria-live="polite">${cx.previewHtml ?? html`<p class="hint">Press Preview to see the post with its images. Previewing saves nothing.</p>`}</div></section>
</div>`,
  });
}

function scheduleFieldset(values: ComposeValues, cx: ComposeContext): Html {
  const confirmed = cx.confirmedZone !== null;
  return html`<fieldset><legend>${values.state === "scheduled" ? "Reschedule" : "Schedule"}</legend>
<div class="row">
<div><label for="schedule_date">Date</label><input id="schedule_date" name="schedule_date" type="date" value="${values.scheduleDate}"></div>
<div><label for="schedule_time">Time</label><input id="schedule_time" name="schedule_time" type="time" value="${values.scheduleTime}"></div>
<div><label for="schedule_zone">Time zone</label>${zoneSelect("schedule_zone", values.timeZone, !confirmed, "zone-hint")}</div>
<div><button type="submit" name="action" value="schedule">${values.state === "scheduled" ? "Reschedule" : "Schedule"}</button></div>
</div>
<p id="zone-hint" class="hint" data-zone-hint>${confirmed
    ? `The date and time are in ${values.timeZone}${values.timeZone !== cx.confirmedZone ? ` (your own zone is ${cx.confirmedZone})` : " (your zone; change it in Settings)"}; another zone applies to this post only.`
    : "Check your time zone: scheduling confirms it as yours, and every time in the app is then shown in it."}</p>
</fieldset>`;
}

function imageSlot(existing: number, i: number): Html {
  return html`<div class="row"><div><label for="image_${i}">Image ${existing + i + 1}</label>
<input id="image_${i}" name="image_${i}" type="file" accept="image/jpeg,image/png,image/webp,image/gif"></div>
<div><label for="image_alt_${i}">Describe image ${existing + i + 1} for people who cannot see it</label>
<input id="image_alt_${i}" name="image_alt_${i}" maxlength="1500"></div></div>`;
}

/**
 * The preview card: the HTML the post will carry (with the mentions Herold adds to replies), its
 * images with their alt text, and a content warning collapsed in front of both, as Mastodon shows it.
 */
export function previewCard(account: Account, avatar: string | null, contentHtml: string, contentWarning: string, media: readonly { src: string; description: string }[]): Html {
  const images = media.length > 0 && html`<ul class="attachments${media.length > 1 ? " many" : ""}">${media.map((m) => html`<li><img src="${m.src}" alt="${m.description}"></li>`)}</ul>`;
  const missingAlt = media.filter((m) => m.description.trim() === "").length;
  const content = html`<div class="content">${raw(contentHtml)}</div>${images}`;
  return html`<article class="post"><header><span class="byline">${avatar !== null && html`<img src="${avatar}" alt="" width="40" height="40">`}<span><span class="author">${account.name}</span><br><span class="handle">@${account.username}</span></span></span></header>
${contentWarning.trim() !== "" ? html`<details class="cw"><summary>${contentWarning} <span class="button secondary">Show more</span></summary>${content}</details>` : content}</article>
${missingAlt > 0 && html`<p class="hint">${missingAlt === 1 ? "One image has" : `${missingAlt} images have`} no alt text: people who cannot see it learn nothing from it.</p>`}`;
}
