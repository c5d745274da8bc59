import { html, type Html } from "../pages/html.ts";
import { DEFAULT_POLL_DURATION, MAX_POLL_OPTION_CHARS, POLL_DURATIONS } from "../post/poll.ts";
import type { Draft } from "../post/schedule/draft.entity.ts";
import type { Form } from "./form.ts";

/** The poll part of the composer, as entered (kept on a refused submit, so nothing typed is lost). */
export interface PollFormValues {
  readonly enabled: boolean;
  readonly options: readonly string[];
  readonly multiple: boolean;
  readonly durationSeconds: number;
}

/** Option fields shown open; the rest (up to the server's limit) behind "More options". */
const SHOWN_OPTIONS = 4;

export function emptyPollForm(): PollFormValues {
  return { enabled: false, options: [], multiple: false, durationSeconds: DEFAULT_POLL_DURATION };
}

export function pollFormFromDraft(draft: Draft): PollFormValues {
  return draft.poll === null ? emptyPollForm() : { enabled: true, ...draft.poll };
}

/** What the form says; `durationSeconds` NaN when it is not a number (the service refuses it with a message). */
export function readPollForm(form: Form, maxOptions: number): PollFormValues {
  const duration = form.text("poll_duration", 12);
  return {
    enabled: form.text("poll", 4) === "on",
    options: form.all("poll_option").slice(0, maxOptions + 1).map((o) => o.slice(0, MAX_POLL_OPTION_CHARS * 4)),
    multiple: form.text("poll_multiple", 4) === "on",
    durationSeconds: duration === "" ? DEFAULT_POLL_DURATION : /^\d{1,9}$/.test(duration) ? Number(duration) : Number.NaN,
  };
}

/** The poll to save with the draft: null when the person did not ask for one (the fields are then ignored). */
export function pollInput(values: PollFormValues): { options: readonly string[]; multiple: boolean; durationSeconds: number } | null {
  return values.enabled ? { options: values.options, multiple: values.multiple, durationSeconds: values.durationSeconds } : null;
}

/**
 * The poll fields: closed unless a poll is on, so a post without one stays a short form. Works
 * without JavaScript (a details element and a checkbox that says the poll is meant).
 */
export function pollFieldset(values: PollFormValues, maxOptions: number): Html {
  const count = Math.max(2, Math.min(maxOptions, Math.max(SHOWN_OPTIONS, values.options.length)));
  const field = (i: number) =>
    html`<div><label for="poll_option_${i}">Option ${i + 1}</label><input id="poll_option_${i}" name="poll_option" maxlength="${MAX_POLL_OPTION_CHARS}" value="${values.options[i] ?? ""}"></div>`;
  const shown = Array.from({ length: count }, (_, i) => field(i));
  const more = Array.from({ length: Math.max(0, maxOptions - count) }, (_, i) => field(count + i));
  return html`<details class="poll-compose"${values.enabled && html` open`}><summary>Poll</summary>
<fieldset><legend>Poll (instead of images)</legend>
<label><input type="checkbox" name="poll" value="on"${values.enabled && html` checked`}> Add this poll to the post</label>
${shown}
${more.length > 0 && html`<details><summary>More options (up to ${maxOptions})</summary>${more}</details>`}
<label><input type="checkbox" name="poll_multiple" value="on"${values.multiple && html` checked`}> People may choose more than one option</label>
<label for="poll_duration">Poll runs for</label>
<select id="poll_duration" name="poll_duration">${POLL_DURATIONS.map((d) => html`<option value="${String(d.seconds)}"${values.durationSeconds === d.seconds && html` selected`}>${d.label}</option>`)}</select>
<p class="hint">Up to ${maxOptions} options of ${MAX_POLL_OPTION_CHARS} characters; empty fields are left out. The poll starts when the post is published.</p>
</fieldset></details>`;
}
