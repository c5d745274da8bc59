import type { Account } from "../account/account.entity.ts";
import { html, raw, type Html } from "../pages/html.ts";
import type { Draft } from "../post/schedule/draft.entity.ts";
import { emptyPollForm, pollFieldset, pollFormFromDraft, type PollFormValues } from "./compose-poll.ts";
import type { Member } from "./web.env.ts";
import { appLayout, csrfField, type Shell } from "./web.layout.ts";
import { formatDate, formatTime, toWallTime } from "./time-zone.ts";

export interface ComposeValues {
  readonly draftId: string | null;
  readonly text: string;
  readonly contentWarning: string;
  readonly visibility: string;
  readonly language: string;
  readonly replyTo: string;
  readonly quote: string;
  readonly scheduleDate: string;
  readonly scheduleTime: string;
  /** Images already saved with the draft: id, alt text, same-origin thumbnail URL. */
  readonly media: readonly { id: string; description: string; src: string }[];
  /** The poll fields as entered or saved; absent: no poll. */
  readonly poll?: PollFormValues;
  /** "Mark media as sensitive"; absent: not marked. */
  readonly sensitive?: boolean;
}

export function emptyCompose(): ComposeValues {
  return { draftId: null, text: "", contentWarning: "", visibility: "public", language: "", replyTo: "", quote: "", scheduleDate: "", scheduleTime: "", media: [] };
}

export function composeFromDraft(draft: Draft, zone: string, thumb: (mediaId: string) => string): ComposeValues {
  const wall = draft.scheduledAt !== null ? toWallTime(new Date(draft.scheduledAt), draft.timeZone ?? zone) : null;
  return {
    draftId: draft.id,
    text: draft.text,
    contentWarning: draft.contentWarning ?? "",
    visibility: draft.visibility,
    language: draft.language ?? "",
    replyTo: draft.replyTo ?? "",
    quote: draft.quote ?? "",
    scheduleDate: wall ? formatDate(wall) : "",
    scheduleTime: wall ? formatTime(wall) : "",
    media: draft.media.map((m) => ({ id: m.id, description: m.description ?? "", src: thumb(m.id) })),
    poll: pollFormFromDraft(draft),
    sensitive: draft.sensitive,
  };
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
  readonly zone: string;
  /** Server-rendered preview (the same renderer as publishing), when asked for. */
  readonly previewHtml: Html | null;
  /** What is being replied to or quoted, for the heading. */
  readonly replyingTo: string | null;
  readonly quoting: string | null;
  readonly canPublish: boolean;
  readonly maxPollOptions: number;
}

/**
 * The composer. One form, several submit buttons (preview, save draft, publish, schedule): it works
 * without JavaScript; the script adds the live count, live preview and suggestions.
 */
export function composePage(shell: Shell, member: Member, values: ComposeValues, cx: ComposeContext, message?: { error?: string; notice?: string; postUrl?: string | null }): Html {
  const remaining = cx.maxChars - cx.count;
  const slots = Math.max(0, 4 - values.media.length);
  return appLayout(shell, {
    title: values.draftId !== null ? "Edit draft" : "Compose",
    nav: "compose",
    member,
    error: message?.error,
    notice: message?.notice,
    body: html`<h1>${values.draftId !== null ? "Edit draft" : "New post"} for @${member.account.username}</h1>
${message?.postUrl ? html`<p><a href="${message.postUrl}">View the published post</a></p>` : null}
<div class="split">
<form method="post" action="/app/compose" enctype="multipart/form-data" class="stack" data-compose data-max-chars="${cx.maxChars}">
${csrfField(member)}
${values.draftId !== null && html`<input type="hidden" name="draft_id" value="${values.draftId}">`}
<input type="hidden" name="reply_to" value="${values.replyTo}">
<input type="hidden" name="quote" value="${values.quote}">
<input type="hidden" name="browser_tz" value="">
${cx.replyingTo !== null && html`<p class="context">Replying to ${cx.replyingTo}</p>`}
${cx.quoting !== null && html`<p class="context">Quoting ${cx.quoting}</p>`}
<label for="content_warning">Content warning <span class="hint">(optional)</span></label>
<input id="content_warning" name="content_warning" maxlength="500" value="${values.contentWarning}">
<label for="text">Text</label>
<textarea id="text" name="text" rows="8" aria-describedby="char-count text-hint">${values.text}</textarea>
<p id="text-hint" class="hint">@name@server mentions, #hashtags and links become links. Links count as 23 characters.</p>
<p id="char-count" class="count${remaining < 0 ? " over" : ""}" data-count aria-live="polite">${remaining} characters left</p>
<div class="row">
<div><label for="visibility">Who can see it</label>
<select id="visibility" name="visibility">${VISIBILITY_LABELS.map(([v, label]) => html`<option value="${v}"${values.visibility === v && html` selected`}>${label}</option>`)}</select></div>
<div><label for="language">Language</label>
<input id="language" name="language" size="6" maxlength="20" placeholder="en" value="${values.language}"></div>
</div>
<fieldset><legend>Images (up to 4)</legend>
${values.media.map(
  (m, i) => html`<div class="row"><img src="${m.src}" alt="" width="96" height="96"><div><label for="alt_${m.id}">Alt text for image ${i + 1}</label>
<input id="alt_${m.id}" name="alt_${m.id}" maxlength="1500" value="${m.description}"></div>
<div><label><input type="checkbox" name="remove_media" value="${m.id}"> Remove</label></div></div>`,
)}
${slots > 0 && imageSlot(values.media.length, 0)}
${slots > 1 && html`<details><summary>More images</summary>${Array.from({ length: slots - 1 }, (_, i) => imageSlot(values.media.length, i + 1))}</details>`}
<label><input type="checkbox" name="sensitive" value="on"${values.sensitive === true && html` checked`}> Mark media as sensitive <span class="hint">(hidden until clicked; a content warning hides it too)</span></label>
<p class="hint">Images are resized; location and camera data are removed before anything is stored.</p>
</fieldset>
${pollFieldset(values.poll ?? emptyPollForm(), cx.maxPollOptions)}
<div class="actions">
<button type="submit" name="action" value="preview" class="secondary">Preview</button>
<button type="submit" name="action" value="draft" class="secondary">Save draft</button>
${cx.canPublish && html`<button type="submit" name="action" value="publish">Publish now</button>`}
</div>
${cx.canPublish && html`<fieldset><legend>Schedule</legend>
<div class="row">
<div><label for="schedule_date">Date</label><input id="schedule_date" name="schedule_date" type="date" value="${values.scheduleDate}"></div>
<div><label for="schedule_time">Time</label><input id="schedule_time" name="schedule_time" type="time" value="${values.scheduleTime}"></div>
<div><button type="submit" name="action" value="schedule">Schedule</button></div>
</div>
<p class="hint">In your time zone: ${cx.zone}${member.session.user.timeZone === null ? " (your browser's when it tells us; change it in Settings)" : ""}.</p>
</fieldset>`}
</form>
<section class="preview" aria-labelledby="preview-title"><h2 id="preview-title">Preview (as it will look on Mastodon)</h2>
<div data-preview aria-live="polite">${cx.previewHtml ?? html`<p class="hint">Press Preview to see the post.</p>`}</div></section>
</div>`,
  });
}

function imageSlot(existing: number, i: number): Html {
  return html`<div class="row"><div><label for="image_${i}">Image ${existing + i + 1}</label>
<input id="image_${i}" name="image_${i}" type="file" accept="image/jpeg,image/png,image/webp,image/gif"></div>
<div><label for="image_alt_${i}">Describe image ${existing + i + 1} for people who cannot see it</label>
<input id="image_alt_${i}" name="image_alt_${i}" maxlength="1500"></div></div>`;
}

/** The preview card: the same HTML the post will carry, in the post layout. */
export function previewCard(account: Account, avatar: string | null, contentHtml: string, contentWarning: string): Html {
  const content = html`<div class="content">${raw(contentHtml)}</div>`;
  return html`<article class="post"><header><span class="byline">${avatar !== null && html`<img src="${avatar}" alt="" width="40" height="40">`}<span><span class="author">${account.name}</span></span></span></header>
${contentWarning.trim() !== "" ? html`<details><summary>Content warning: ${contentWarning}</summary>${content}</details>` : content}</article>`;
}
