import { html, type Html } from "./html.ts";

export interface FollowBoxInput {
  /** `@name@domain`, as people type it into a Fediverse app's search. */
  readonly handle: string;
  readonly name: string;
  /** Unique on the page: ids of the heading and the field derive from it. */
  readonly key: string;
  readonly rssUrl?: string;
  readonly atomUrl?: string;
}

/**
 * "How to follow us": the handle in a read-only field (selectable and copyable without JavaScript;
 * the page script reveals a Copy button) and the steps in Mastodon, Misskey and other apps. Following
 * happens on the visitor's own server, so the box explains instead of offering a remote-follow form.
 */
export function followBox(input: FollowBoxInput): Html {
  const field = `handle-${input.key}`;
  return html`<section class="follow-box" aria-labelledby="follow-${input.key}">
<h2 id="follow-${input.key}">How to follow ${input.name}</h2>
<label for="${field}">Handle</label>
<div class="copy-row"><input id="${field}" class="handle-field" value="${input.handle}" readonly spellcheck="false" autocomplete="off"><button type="button" class="copy-button" data-copy="${field}" aria-live="polite" hidden>Copy</button></div>
<ol class="follow-steps">
<li>Copy the handle above.</li>
<li>In Mastodon, Misskey, Pixelfed or any other Fediverse app, paste it into the search field and open the profile that appears.</li>
<li>Press <strong>Follow</strong>: new posts then appear in your home timeline.</li>
</ol>
${input.rssUrl !== undefined && input.atomUrl !== undefined && html`<p class="feeds">No Fediverse account? Subscribe to the <a href="${input.rssUrl}">RSS feed</a> or the <a href="${input.atomUrl}">Atom feed</a>.</p>`}
</section>`;
}
