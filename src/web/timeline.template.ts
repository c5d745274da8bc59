import { html, type Html } from "../pages/html.ts";
import { postList } from "./app.templates.ts";
import type { AppPost } from "./app.views.ts";
import type { Member } from "./web.env.ts";
import { appLayout, type Shell } from "./web.layout.ts";

/** The home timeline: posts and boosts of the accounts followed, newest first. */
export function timelinePage(shell: Shell, member: Member, view: { readonly items: readonly AppPost[]; readonly next: string | null; readonly notice: string | undefined }): Html {
  return appLayout(shell, {
    title: "Timeline",
    nav: "timeline",
    member,
    notice: view.notice,
    body: html`<h1>Timeline</h1>
<p class="hint">Posts and boosts of the accounts @${member.account.username} follows. <a href="/app/compose">Write a post</a></p>
${postList(member, view.items, "/app/timeline", "Nothing here yet. Follow some accounts under Following.")}
${view.next !== null && html`<nav class="pager" aria-label="Pages"><a rel="next" href="/app/timeline?before=${encodeURIComponent(view.next)}">Older posts</a></nav>`}`,
  });
}

/** A like or boost that could not be done: the reason and the way back. */
export function interactionFailedPage(shell: Shell, member: Member, message: string, back: string): Html {
  return appLayout(shell, { title: "Not possible", member, error: message, body: html`<p><a href="${back}">Back</a></p>` });
}
