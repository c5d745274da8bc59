import { excerpt } from "../content/text.ts";
import type { LibraryItem } from "../media/media.service.ts";
import { MAX_DESCRIPTION } from "../media/media.service.ts";
import type { Draft } from "../post/schedule/draft.entity.ts";
import { html, type Html } from "../pages/html.ts";
import { safeHttpUrl } from "../pages/post.view.ts";
import { localTime } from "./app.templates.ts";
import type { Member } from "./web.env.ts";
import { appLayout, csrfField, type Shell } from "./web.layout.ts";

export interface MediaLibraryView {
  readonly items: readonly LibraryItem[];
  readonly drafts: ReadonlyMap<string, Draft>;
  readonly next: string | null;
  readonly notice: string | undefined;
  readonly error: string | undefined;
  readonly canChange: boolean;
}

const size = new Intl.NumberFormat("en", { maximumFractionDigits: 1 });

/** Bytes as people read them. */
function humanSize(bytes: number | null): string {
  if (bytes === null) return "size unknown";
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${size.format(bytes / 1024)} KB`;
  return `${size.format(bytes / (1024 * 1024))} MB`;
}

/** The media library: a grid of uploads with what each is used for and what can be done with it. */
export function mediaLibraryPage(shell: Shell, member: Member, view: MediaLibraryView): Html {
  const body = html`<h1>Media library</h1>
${view.notice !== undefined && html`<p class="notice" role="status">${view.notice}</p>`}
<p class="hint">Images of @${member.account.username}: in published posts, in drafts, and kept for later. Use one again in a new post without uploading it again.</p>
${view.canChange && html`<form method="post" action="/app/media" enctype="multipart/form-data" class="media-upload">${csrfField(member)}
<p><label for="library-image">Image</label> <input id="library-image" type="file" name="image" accept="image/jpeg,image/png,image/webp,image/gif" required></p>
<p><label for="library-alt">Alt text</label> <input id="library-alt" name="alt" maxlength="${MAX_DESCRIPTION}"></p>
<p><button type="submit">Upload</button></p></form>`}
${view.items.length === 0
    ? html`<p class="empty">No images yet. Images you add to posts and drafts, or upload here, are listed here.</p>`
    : html`<ul class="media-library">${view.items.map((item) => mediaItem(member, item, view.drafts.get(item.id) ?? null, view.canChange))}</ul>`}
${view.next !== null && html`<nav class="pager" aria-label="Pages"><a rel="next" href="/app/media?before=${view.next}">Older images</a></nav>`}`;
  return appLayout(shell, { title: "Media library", nav: "media", member, error: view.error, body });
}

function mediaItem(member: Member, item: LibraryItem, draft: Draft | null, canChange: boolean): Html {
  const postLink = item.post !== null ? safeHttpUrl(item.post.url ?? item.post.uri) : null;
  const used = item.post !== null
    ? html`In a <a href="${postLink ?? "#"}">published post</a>`
    : draft !== null
      ? html`In ${draft.state === "scheduled" ? "a scheduled post" : "a draft"}: <a href="/app/compose?draft=${draft.id}">${excerpt(draft.text.replace(/\s+/g, " "), 60) || "(images only)"}</a>`
      : html`Not used`;
  const unused = item.post === null && draft === null;
  const dims = item.width !== null && item.height !== null ? `${item.width}×${item.height}, ` : "";
  return html`<li class="media-item"><figure><img src="/app/media/${item.id}/file" alt="${item.description ?? ""}" loading="lazy" decoding="async"${item.width !== null && html` width="${item.width}"`}${item.height !== null && html` height="${item.height}"`}>
<figcaption>${item.description !== null ? html`<span class="alt">${item.description}</span>` : html`<span class="badge">no alt text</span>`}</figcaption></figure>
<p class="hint">${dims}${humanSize(item.sizeBytes)} · ${localTime(member, item.createdAt)}</p>
<p>${used}</p>
${canChange && html`${unused
    ? html`<form method="post" action="/app/media/${item.id}/alt">${csrfField(member)}<label for="alt-${item.id}">Alt text</label> <textarea id="alt-${item.id}" name="alt" rows="2" maxlength="${MAX_DESCRIPTION}">${item.description ?? ""}</textarea> <button type="submit" class="secondary">Save alt text</button></form>`
    : item.post !== null && html`<p class="hint">Its alt text is part of the published post.</p>`}
<div class="actions"><form method="post" action="/app/media/${item.id}/use">${csrfField(member)}<button type="submit">Use in a new post</button></form>
${unused && html`<details class="confirm"><summary>Delete…</summary><p>Delete this image for good? It is in no post or draft.</p><form method="post" action="/app/media/${item.id}/delete">${csrfField(member)}<button type="submit" class="secondary">Delete for good</button></form></details>`}</div>`}
</li>`;
}
