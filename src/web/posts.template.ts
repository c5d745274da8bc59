import { excerpt, htmlToPlainText } from "../content/text.ts";
import { html, raw, type Html } from "../pages/html.ts";
import { countsList } from "../pages/post.template.ts";
import { localTime } from "./app.templates.ts";
import type { SentPost, SentPostDetail } from "./sent-posts.service.ts";
import type { Member } from "./web.env.ts";
import { csrfField } from "./web.layout.ts";
import { can } from "../user/user.entity.ts";

const VISIBILITY_LABELS: Record<string, string> = { public: "Public", unlisted: "Quiet public", followers: "Followers only", direct: "Mentioned people only" };

/** What the post says in one line: its content warning, else its text, else its images. */
function summaryOf(item: SentPost): string {
  const { post } = item;
  if (post.summary !== null && post.summary.trim() !== "") return `Content warning: ${post.summary}`;
  const text = htmlToPlainText(post.contentHtml ?? "").replace(/\s+/g, " ").trim();
  return text !== "" ? excerpt(text, 140) : `${item.images.length} image(s)`;
}

/** The post's actions, each one a link or a small form (no JavaScript needed). */
function actions(member: Member, item: SentPost): Html {
  const id = item.post.id;
  const publisher = can(member.membership.role, "publish");
  return html`<div class="actions">
<a class="button secondary" href="/app/posts/${id}">Open</a>
${publisher && html`<a class="button secondary" href="/app/posts/${id}/edit">Edit</a>`}
<form method="post" action="/app/posts/${id}/again">${csrfField(member)}<button type="submit" class="secondary">Post again</button></form>
${publisher && html`<a class="button secondary danger" href="/app/posts/${id}/delete">Delete…</a>`}
</div>`;
}

export function sentListBody(member: Member, view: { items: readonly SentPost[]; text: string; olderUrl: string | null; newestUrl: string | null }): Html {
  return html`<h1>Sent posts</h1>
<form method="get" action="/app/posts" class="search" role="search">
<label for="q">Search your posts</label>
<input id="q" name="q" type="search" value="${view.text}" maxlength="200">
<button type="submit">Search</button>${view.text !== "" && html` <a href="/app/posts">Show all</a>`}
</form>
${view.items.length === 0
    ? html`<p class="empty">${view.text !== "" ? `No published post contains “${view.text}”.` : view.newestUrl !== null ? "No older posts." : "Nothing published yet."}</p>`
    : html`<ol class="posts sent">${view.items.map(
        (item) => html`<li><article class="post" aria-labelledby="sent-${item.post.id}">
<header><a id="sent-${item.post.id}" href="/app/posts/${item.post.id}">${summaryOf(item)}</a></header>
<p class="hint">${localTime(member, item.post.publishedAt)} · ${VISIBILITY_LABELS[item.post.visibility] ?? item.post.visibility}${item.post.editedAt !== null && html` · edited`}</p>
${countsList(item.counts)}
${actions(member, item)}
</article></li>`,
      )}</ol>`}
${(view.olderUrl !== null || view.newestUrl !== null) && html`<nav class="pager" aria-label="Pages of sent posts">${view.newestUrl !== null ? html`<a href="${view.newestUrl}">Newest posts</a>` : html`<span></span>`}${view.olderUrl !== null && html`<a rel="next" href="${view.olderUrl}">Older posts</a>`}</nav>`}`;
}

/** One sent post: content, images, counts, its edit history and the actions. */
export function sentPostBody(member: Member, view: SentPostDetail): Html {
  const { post } = view;
  const content = html`<div class="content">${raw(post.contentHtml ?? "")}</div>${view.images.length > 0 && html`<ul class="attachments${view.images.length > 1 ? " many" : ""}">${view.images.map((i) => html`<li><img src="${i.url}" alt="${i.description}" loading="lazy"></li>`)}</ul>`}`;
  return html`<h1>Your post</h1>
<article class="post">
<header><span>${localTime(member, post.publishedAt)} · ${VISIBILITY_LABELS[post.visibility] ?? post.visibility}</span>${post.editedAt !== null && html`<span class="edited">edited ${localTime(member, post.editedAt)}</span>`}</header>
${post.summary !== null && post.summary.trim() !== "" ? html`<details><summary>Content warning: ${post.summary}</summary>${content}</details>` : content}
</article>
${countsList(view.counts)}
${actions(member, view)}
${(post.visibility === "public" || post.visibility === "unlisted") && html`<p><a href="${post.uri}">Its public page</a></p>`}
${view.edits.length > 0 && html`<section aria-labelledby="history-heading"><h2 id="history-heading">Earlier versions</h2><ol class="versions" reversed>${[...view.edits].reverse().map(
    (e) => html`<li><p class="hint">Replaced ${localTime(member, e.editedAt)}</p><div class="content">${raw(e.contentHtml ?? "")}</div></li>`,
  )}</ol></section>`}`;
}

export function editBody(member: Member, view: SentPostDetail, options: { text: string; maxChars: number }): Html {
  return html`<h1>Edit your post</h1>
<p class="hint">Saving sends the new text to everyone who received the post (an ActivityPub Update); the earlier version stays visible in its history. Images, visibility and the content warning stay as they are.</p>
<form method="post" action="/app/posts/${view.post.id}/edit" class="stack">${csrfField(member)}
<label for="text">Text</label>
<textarea id="text" name="text" rows="8" maxlength="${options.maxChars * 4}" aria-describedby="text-hint">${options.text}</textarea>
<p id="text-hint" class="hint">At most ${options.maxChars} characters, counted as Mastodon counts them.</p>
<div class="actions"><button type="submit">Save and send the change</button> <a class="button secondary" href="/app/posts/${view.post.id}">Cancel</a></div>
</form>`;
}

export function deleteBody(member: Member, view: SentPostDetail): Html {
  return html`<h1>Delete this post?</h1>
<p>${summaryOf(view)}</p>
<p>Deleting asks every server that received it to remove it (an ActivityPub Delete); its address then says it was deleted. This cannot be undone. To publish it again later, use <strong>Post again</strong> first: it keeps a draft with the same text and images.</p>
<form method="post" action="/app/posts/${view.post.id}/delete">${csrfField(member)}
<div class="actions"><button type="submit" class="danger">Delete the post</button> <a class="button secondary" href="/app/posts/${view.post.id}">Keep it</a></div>
</form>`;
}
