import { createReadStream } from "node:fs";
import { Readable } from "node:stream";
import { Hono, type Context } from "hono";
import type { ActorRepository } from "../actor/actor.repository.ts";
import type { Urls } from "../app/urls.ts";
import type { Clock } from "../lib/time.ts";
import { countCharacters, renderLocalPost } from "../content/render.ts";
import { excerpt, htmlToPlainText } from "../content/text.ts";
import { isId } from "../lib/id.ts";
import { err, ok, unreachable, type Result } from "../lib/result.ts";
import { html } from "../pages/html.ts";
import type { Draft } from "../post/schedule/draft.entity.ts";
import type { PostRepository } from "../post/post.repository.ts";
import type { CancelError, Editor, PublishDraftError, ScheduleError, ScheduleService } from "../post/schedule/schedule.service.ts";
import type { UserRepository } from "../user/user.repository.ts";
import { can } from "../user/user.entity.ts";
import type { AppViews } from "./app.views.ts";
import { zoneOf } from "./app.templates.ts";
import { composeFromDraft, composePage, emptyCompose, previewCard, type ComposeMedia, type ComposeValues } from "./compose.template.ts";
import { readForm, type Form } from "./form.ts";
import { sendPage } from "./respond.ts";
import type { Suggestion } from "./suggest.ts";
import { pollInput, readPollForm } from "./compose-poll.ts";
import { formatDate, formatTime, formatZoned, isTimeZone, parseWallTime, resolveWallTime } from "./time-zone.ts";
import { sendRefusal } from "./refusal.template.ts";
import { escapeHtml } from "../content/sanitize.ts";
import type { Member, WebEnv } from "./web.env.ts";
import { appLayout, csrfField, type Shell } from "./web.layout.ts";

/** The person and role behind a change (ScheduleService decides what the role allows). */
function editorOf(member: Member): Editor {
  return { userId: member.session.user.id, role: member.membership.role };
}

/** The revision a form was rendered with ("publish what I saw"); absent or malformed: none. */
function revisionOf(form: Form): number | undefined {
  const text = form.text("revision", 12);
  return /^[1-9][0-9]{0,9}$/.test(text) ? Number(text) : undefined;
}

export interface ComposeRoutesDeps {
  readonly origin: URL;
  readonly domain: string;
  readonly maxChars: number;
  readonly maxPollOptions: number;
  readonly clock: Clock;
  readonly urls: Pick<Urls, "parsePost">;
  readonly schedule: ScheduleService;
  readonly actors: Pick<ActorRepository, "findByHandle" | "findById">;
  readonly posts: Pick<PostRepository, "findByUriOrUrl" | "canSee" | "mentionsOf">;
  readonly users: Pick<UserRepository, "setTimeZone">;
  /** The stored file of one of the actor's own media, with its type; null when there is none. */
  readonly mediaFile: (actorId: string, mediaId: string) => Promise<{ readonly path: string; readonly mimeType: string } | null>;
  readonly suggest: (viewer: { readonly id: string; readonly uri: string }, q: string) => Promise<Suggestion[]>;
}

/** The images a submit names: the draft's (alt text and removal as typed) and the held ones still held. */
interface SubmittedMedia {
  readonly media: ComposeMedia[];
  readonly heldIds: string[];
}

/** Compose, preview, drafts, publish now, schedule, reschedule, cancel; the composer's JSON helpers. */
export function composeRoutes(deps: ComposeRoutesDeps, shell: Shell, views: AppViews): Hono<WebEnv> {
  const app = new Hono<WebEnv>();
  const { schedule, maxChars } = deps;
  const thumb = (draftId: string) => (mediaId: string) => `/app/drafts/${draftId}/media/${mediaId}`;
  const heldThumb = (mediaId: string) => `/app/compose/held/${mediaId}`;
  const refuse = (c: Context<WebEnv>, message: string, status: 403 | 404 | 409 | 422, back = { href: "/app/drafts", label: "Back to drafts" }) =>
    sendRefusal(c, shell, { member: c.get("member"), title: status === 404 ? "Not found" : "Not possible", message, status, back });

  /** The post replied to or quoted, when the account may see it (a preview never fetches anything). */
  const visiblePost = async (member: Member, uri: string) => {
    if (uri === "") return null;
    const post = await deps.posts.findByUriOrUrl(uri);
    const visible = post !== null && post.state === "published" && (await deps.posts.canSee(post, { id: member.account.actorId, uri: member.account.uri }));
    return visible ? post : null;
  };

  /**
   * Renders with local knowledge only, as PostService.publish will: the text, then the @mention of the
   * author replied to or quoted in front when the text does not mention them already, then the quote's
   * "RE:" line; the images with their alt text; the content warning in front of all of it.
   */
  const renderPreview = async (member: Member, input: { text: string; contentWarning: string; replyTo: string; quote: string; media: readonly { src: string; description: string }[] }) => {
    const rendered = await renderLocalPost(input.text, {
      origin: deps.origin,
      resolveMention: async ({ username, host }) => {
        const actor = await deps.actors.findByHandle(host === deps.domain ? username.toLowerCase() : username, host);
        return actor === null ? null : { uri: actor.uri, url: actor.url ?? actor.uri };
      },
    });
    const [parent, quoted] = await Promise.all([visiblePost(member, input.replyTo), visiblePost(member, input.quote)]);
    const mentioned = new Set(rendered.mentions.map((m) => m.uri));
    let prefix = "";
    for (const related of [parent, quoted]) {
      if (related === null || related.actorId === member.account.actorId) continue;
      const author = await deps.actors.findById(related.actorId);
      if (author === null || mentioned.has(author.uri)) continue;
      mentioned.add(author.uri);
      prefix += `<span class="h-card" translate="no"><a href="${escapeHtml(author.url ?? author.uri)}" class="u-url mention">@<span>${escapeHtml(author.username)}</span></a></span> `;
    }
    let body = rendered.html;
    if (prefix !== "") body = body.startsWith("<p>") ? `<p>${prefix}${body.slice(3)}` : `<p>${prefix.trimEnd()}</p>${body}`;
    if (quoted !== null) body += `<p class="quote-inline">RE: <a href="${escapeHtml(quoted.url ?? quoted.uri)}">${escapeHtml(quoted.url ?? quoted.uri)}</a></p>`;
    return previewCard(member.account, views.avatar({ iconUrl: member.account.iconUrl, isLocal: true }), body, input.contentWarning, input.media);
  };

  /**
   * The "Replying to" / "Quoting" line. A post the account acted for may not see (another account's
   * direct message, a followers-only post of someone it does not follow) reads exactly like one this
   * server does not know: neither its text nor its existence shows.
   */
  const describePost = async (member: Member, uri: string): Promise<string | null> => {
    if (uri === "") return null;
    const post = await visiblePost(member, uri);
    if (post === null) return `a post at ${uri}`;
    const author = await deps.actors.findById(post.actorId);
    const text = excerpt(htmlToPlainText(post.contentHtml ?? "").replace(/\s+/g, " "), 80);
    return `${author !== null ? `@${author.handle}` : "a post"}: “${text}”`;
  };

  /** Mastodon's reply box: the author replied to and the people they mentioned, without the account itself. */
  const replyMentions = async (member: Member, uri: string): Promise<string> => {
    const post = await visiblePost(member, uri);
    if (post === null) return "";
    const author = await deps.actors.findById(post.actorId);
    const handles = [...(author !== null && author.id !== member.account.actorId ? [author.handle] : []), ...(await deps.posts.mentionsOf(post.id)).filter((m) => m.actorUri !== member.account.uri).map((m) => m.handle)];
    const unique = [...new Set(handles)];
    return unique.length === 0 ? "" : `${unique.map((h) => `@${h}`).join(" ")} `;
  };

  type ShowOptions = { preview?: boolean; error?: string; notice?: string; postUrl?: string | null; status?: 200 | 400 | 403 | 404 | 409 | 422; readOnly?: string | null };
  const show = async (c: Context<WebEnv>, member: Member, values: ComposeValues, options: ShowOptions = {}) => {
    const shown = values.media.filter((m) => !m.removed);
    const page = composePage(
      shell,
      member,
      values,
      {
        maxChars,
        count: countCharacters(values.text, values.contentWarning),
        confirmedZone: member.session.user.timeZone,
        previewHtml: options.preview ? await renderPreview(member, { ...values, media: shown }) : null,
        replyingTo: await describePost(member, values.replyTo),
        quoting: await describePost(member, values.quote),
        canPublish: can(member.membership.role, "publish"),
        maxPollOptions: deps.maxPollOptions,
        readOnly: options.readOnly ?? null,
      },
      { error: options.error, notice: options.notice, postUrl: options.postUrl ?? null },
    );
    return sendPage(c, page, options.status ?? 200);
  };

  app.get("/app/compose", async (c) => {
    const member = c.get("member");
    const draftId = c.req.query("draft");
    if (draftId !== undefined) {
      const draft = isId(draftId) ? await schedule.get(member.account, draftId) : null;
      if (draft === null) return show(c, member, emptyCompose(zoneOf(member)), { error: "This draft does not exist.", status: 404 });
      const readOnly = schedule.mayChange(editorOf(member), draft)
        ? null
        : draft.state === "scheduled"
          ? "This post is scheduled: only a publisher can change it."
          : draft.state === "publishing" || draft.state === "published"
            ? "This post is being published or was published already."
            : "You can read this draft; only its writer or a publisher can change it.";
      return show(c, member, composeFromDraft(draft, zoneOf(member), thumb(draft.id)), { readOnly });
    }
    const postParam = c.req.query("post");
    const postUrl = postParam !== undefined && deps.urls.parsePost(postParam) !== null ? postParam : null;
    const replyTo = (c.req.query("reply_to") ?? "").slice(0, 4096);
    const text = replyTo !== "" ? await replyMentions(member, replyTo) : "";
    return show(c, member, { ...emptyCompose(zoneOf(member)), text, replyTo, quote: (c.req.query("quote") ?? "").slice(0, 4096) }, { notice: c.req.query("done"), postUrl });
  });

  /**
   * The images a submit names. Held images the person removed are deleted; the others stay held
   * until a save adopts them. New files are stored and held at once, before anything is validated,
   * so a refused submit (too long, too many images) shows every image and alt text again.
   */
  const submittedMedia = async (member: Member, form: Form, existing: Draft | null): Promise<SubmittedMedia & { error: string | null }> => {
    const editor = editorOf(member);
    const removed = new Set(form.all("remove_media"));
    const named = [...new Set(form.all("held_media").filter(isId))];
    await schedule.dropHeldUploads(member.account, editor, named.filter((id) => removed.has(id)));
    const stillHeld = await schedule.heldUploads(member.account, editor, named.filter((id) => !removed.has(id)));
    const fresh = await schedule.holdUploads(member.account, editor, await readUploads(form));
    const alt = (id: string, fallback: string | null) => (form.has(`alt_${id}`) ? form.text(`alt_${id}`, 1500) : (fallback ?? ""));
    const media: ComposeMedia[] = [
      ...(existing?.media ?? []).map((m) => ({ id: m.id, description: alt(m.id, m.description), src: thumb(existing!.id)(m.id), held: false, removed: removed.has(m.id) })),
      ...stillHeld.map((id) => ({ id, description: alt(id, null), src: heldThumb(id), held: true, removed: false })),
      ...fresh.held.map((m) => ({ id: m.id, description: m.description ?? "", src: heldThumb(m.id), held: true, removed: false })),
    ];
    return { media, heldIds: [...stillHeld, ...fresh.held.map((m) => m.id)], error: fresh.error };
  };

  // The body's size limit is applied in front of every /app route (body-limits.ts).
  app.post("/app/compose", async (c) => {
    const member = c.get("member");
    if (!can(member.membership.role, "draft")) return refuse(c, "Your role lets you read; writing posts needs the author role or more.", 403, { href: "/app", label: "Back to Home" });
    const form = await readForm(c);
    const action = form.text("action", 20) || "draft";
    const draftIdText = form.text("draft_id", 40);
    const draftId = isId(draftIdText) ? draftIdText : null;
    const existing = draftId !== null ? await schedule.get(member.account, draftId) : null;
    const editor = editorOf(member);
    const submitted = await submittedMedia(member, form, existing);
    const typed = {
      text: form.text("text", 100_000),
      contentWarning: form.text("content_warning", 1000),
      visibility: form.text("visibility", 20) || "public",
      language: form.text("language", 40),
      replyTo: form.text("reply_to", 4096),
      quote: form.text("quote", 4096),
      scheduleDate: form.text("schedule_date", 20),
      scheduleTime: form.text("schedule_time", 20),
      poll: readPollForm(form, deps.maxPollOptions),
      sensitive: form.text("sensitive", 4) === "on",
      timeZone: zoneField(form) ?? existing?.timeZone ?? zoneOf(member),
    };
    /** The page again with everything the person entered, nothing lost (issue #12, item 2). */
    const again = async (draft: Draft | null, media: ComposeMedia[], options: ShowOptions) =>
      show(c, member, { ...(draft !== null ? composeFromDraft(draft, zoneOf(member), thumb(draft.id)) : emptyCompose(zoneOf(member))), ...typed, media }, options);

    // Preview saves nothing: the images are held for the next submit, the draft is not touched.
    if (action === "preview") return again(existing, submitted.media, { preview: true, error: submitted.error ?? undefined, status: submitted.error !== null ? 422 : 200 });
    if (submitted.error !== null) return again(existing, submitted.media, { error: submitted.error, status: 422, preview: true });

    const saved = await schedule.save(member.account, editor, draftId, {
      ...typed,
      poll: pollInput(typed.poll),
      descriptions: new Map((existing?.media ?? []).map((m) => [m.id, form.text(`alt_${m.id}`, 1500)])),
      removeMedia: form.all("remove_media"),
      held: submitted.media.filter((m) => m.held).map((m) => ({ id: m.id, description: m.description })),
      // Earlier uploads used again (the media library); ownership is checked by the media service.
      reuse: form.all("media_id"),
    });
    if (!saved.ok) {
      switch (saved.error) {
        case "forbidden":
          return again(existing, submitted.media, { error: saved.message, status: 403 });
        case "not-found":
        case "not-editable":
        case "too-long":
        case "invalid-visibility":
        case "too-many-images":
        case "media":
        case "poll":
          return again(existing, submitted.media, { error: saved.message, status: 422, preview: true });
        default:
          return unreachable(saved.error);
      }
    }
    const draft = saved.value;
    const savedValues = (d: Draft): ComposeValues => ({ ...composeFromDraft(d, zoneOf(member), thumb(d.id)), scheduleDate: typed.scheduleDate, scheduleTime: typed.scheduleTime, timeZone: typed.timeZone });
    switch (action) {
      case "publish": {
        if (!can(member.membership.role, "publish")) return show(c, member, savedValues(draft), { error: "Your role lets you save drafts; a publisher publishes them.", status: 403 });
        // Exactly the revision this request saved: an author's change in between is not published unseen.
        const published = await schedule.publishNow(member.account, editor, draft.id, { revision: draft.revision });
        if (!published.ok) {
          const after = await schedule.get(member.account, draft.id);
          return show(c, member, savedValues(after ?? draft), { error: published.message, status: publishDraftStatus(published.error), preview: true });
        }
        return c.redirect(`/app/compose?done=published&post=${encodeURIComponent(published.value.uri)}`, 303);
      }
      case "schedule": {
        if (!can(member.membership.role, "publish")) return show(c, member, savedValues(draft), { error: "Your role lets you save drafts; a publisher schedules them.", status: 403 });
        const when = scheduleTimeOf(form, member);
        if (!when.ok) return show(c, member, savedValues(draft), { error: when.message, status: 422 });
        const result = await schedule.schedule(member.account, editor, draft.id, when.value.at, when.value.zone, { revision: draft.revision });
        if (!result.ok) return show(c, member, savedValues(draft), { error: result.message, status: scheduleStatus(result.error) });
        await confirmZone(deps, member, when.value.zone);
        return c.redirect(`/app/calendar?done=scheduled&draft=${draft.id}${when.value.overlap ? "&overlap=1" : ""}`, 303);
      }
      default:
        // Saving a scheduled post keeps it scheduled, and says so (issue #12, item 8).
        return c.redirect(draft.state === "scheduled" ? `/app/drafts?done=scheduled-updated&draft=${draft.id}` : "/app/drafts?done=drafted", 303);
    }
  });

  app.get("/app/drafts", async (c) => {
    const member = c.get("member");
    const [scheduled, drafts] = await Promise.all([
      schedule.list(member.account, ["scheduled", "publishing"]),
      schedule.list(member.account, ["draft", "failed"]),
    ]);
    const canPublish = can(member.membership.role, "publish");
    const editor = editorOf(member);
    const noticeDraft = c.req.query("done") === "scheduled-updated" ? scheduled.find((d) => d.id === c.req.query("draft")) : undefined;
    const item = (d: Draft) => html`<li><p><span class="badge state-${d.state}">${STATE_LABELS[d.state]}</span> ${excerpt(d.text.replace(/\s+/g, " "), 140) || "(images only)"}${d.media.length > 0 && html` <span class="badge">${d.media.length} image(s)</span>`}</p>
${d.state === "scheduled" && html`<p>Scheduled for ${zonedTime(d.scheduledAt!, d.timeZone ?? zoneOf(member))}</p>`}
${d.state === "failed" && html`<p class="notice error">Publishing failed: ${d.error ?? "unknown error"}</p>`}
<div class="actions"><a class="button secondary" href="/app/compose?draft=${d.id}">${schedule.mayChange(editor, d) ? (d.state === "scheduled" ? "Edit scheduled post" : "Edit") : "View"}</a>
${canPublish && d.state !== "publishing" && html`<form method="post" action="/app/drafts/${d.id}/publish">${csrfField(member)}<input type="hidden" name="revision" value="${String(d.revision)}"><button type="submit">Publish now</button></form>`}
${canPublish && d.state === "scheduled" && html`<form method="post" action="/app/drafts/${d.id}/cancel">${csrfField(member)}<button type="submit" class="secondary">Unschedule (back to draft)</button></form>`}
${schedule.mayChange(editor, d) && html`<a class="button secondary danger" href="/app/drafts/${d.id}/delete" data-confirm-delete>Delete…</a>`}</div></li>`;
    return sendPage(
      c,
      appLayout(shell, {
        title: "Drafts",
        nav: "drafts",
        member,
        notice: c.req.query("done"),
        noticeText: noticeDraft !== undefined ? `Scheduled post updated — still scheduled for ${formatZoned(noticeDraft.scheduledAt!, noticeDraft.timeZone ?? zoneOf(member))}.` : undefined,
        body: html`<h1>Drafts and scheduled posts</h1>
<section aria-labelledby="scheduled-h"><h2 id="scheduled-h">Scheduled</h2>${scheduled.length === 0 ? html`<p class="empty">Nothing scheduled. <a href="/app/calendar">Calendar</a></p>` : html`<ul class="list">${scheduled.map(item)}</ul>`}</section>
<section aria-labelledby="drafts-h"><h2 id="drafts-h">Drafts</h2>${drafts.length === 0 ? html`<p class="empty">No drafts.</p>` : html`<ul class="list">${drafts.map(item)}</ul>`}</section>`,
      }),
    );
  });

  // Delete asks first (issue #12, item 7): this page without JavaScript, a dialog with it.
  app.get("/app/drafts/:id/delete", async (c) => {
    const member = c.get("member");
    const id = c.req.param("id");
    const draft = isId(id) ? await schedule.get(member.account, id) : null;
    if (draft === null) return refuse(c, "This draft does not exist.", 404);
    if (!schedule.mayChange(editorOf(member), draft)) return refuse(c, draft.state === "scheduled" ? "This post is scheduled: only a publisher can delete it." : "Your role lets you delete your own drafts only.", 403);
    const what = draft.state === "scheduled" ? "scheduled post" : "draft";
    return sendPage(
      c,
      appLayout(shell, {
        title: `Delete this ${what}?`,
        nav: "drafts",
        member,
        body: html`<h1>Delete this ${what}?</h1>
<blockquote class="excerpt">${excerpt(draft.text.replace(/\s+/g, " "), 280) || "(images only)"}</blockquote>
${draft.state === "scheduled" && html`<p>It is scheduled for ${zonedTime(draft.scheduledAt!, draft.timeZone ?? zoneOf(member))} and will not be published.</p>`}
<p>The text${draft.media.length > 0 ? ` and its ${draft.media.length} image(s)` : ""} will be gone; this cannot be undone.</p>
<form method="post" action="/app/drafts/${draft.id}/delete" class="actions">${csrfField(member)}<button type="submit" class="danger">Delete ${what}</button> <a class="button secondary" href="/app/drafts">Keep it</a></form>`,
      }),
    );
  });

  app.post("/app/drafts/:id/:action{publish|cancel|delete|reschedule}", async (c) => {
    const member = c.get("member");
    const id = c.req.param("id");
    const action = c.req.param("action");
    if (!isId(id)) return refuse(c, "This draft does not exist.", 404);
    if (action !== "delete" && !can(member.membership.role, "publish")) return refuse(c, "Your role lets you write drafts; a publisher publishes, schedules and unschedules them.", 403);
    const editor = editorOf(member);
    const fail = (message: string, status: 403 | 404 | 409 | 422) => refuse(c, message, status);
    switch (action) {
      case "publish": {
        const result = await schedule.publishNow(member.account, editor, id, { revision: revisionOf(await readForm(c)) });
        if (!result.ok) return fail(result.message, publishDraftStatus(result.error));
        return c.redirect(`/app/compose?done=published&post=${encodeURIComponent(result.value.uri)}`, 303);
      }
      case "cancel": {
        const result = await schedule.cancel(member.account, editor, id);
        if (!result.ok) return fail(result.message, cancelStatus(result.error));
        return c.redirect("/app/drafts?done=cancelled", 303);
      }
      case "delete": {
        // Authors delete their own unscheduled drafts only (ScheduleService.discard).
        const result = await schedule.discard(member.account, editor, id);
        if (!result.ok) {
          switch (result.error) {
            case "not-found":
              return fail(result.message, 404);
            case "forbidden":
              return fail(result.message, 403);
            case "not-editable":
              return fail(result.message, 409);
            default:
              return unreachable(result.error);
          }
        }
        return c.redirect("/app/drafts?done=deleted", 303);
      }
      default: {
        const form = await readForm(c);
        const when = scheduleTimeOf(form, member);
        if (!when.ok) return fail(when.message, 422);
        const result = await schedule.schedule(member.account, editor, id, when.value.at, when.value.zone, { revision: revisionOf(form) });
        if (!result.ok) return fail(result.message, scheduleStatus(result.error));
        await confirmZone(deps, member, when.value.zone);
        return c.redirect(`/app/calendar?done=rescheduled&draft=${id}${when.value.overlap ? "&overlap=1" : ""}`, 303);
      }
    }
  });

  const sendImage = async (member: Member, mediaId: string) => {
    const stored = await deps.mediaFile(member.account.actorId, mediaId);
    if (stored === null) return null;
    const body = Readable.toWeb(createReadStream(stored.path)) as ReadableStream<Uint8Array>;
    return new Response(body, { headers: { "Content-Type": stored.mimeType, "Cache-Control": "private, no-store", "Content-Security-Policy": "default-src 'none'; sandbox", "X-Content-Type-Options": "nosniff" } });
  };

  // Draft images for the composer: only images of this account's own drafts (no IDOR, no unattached media of others).
  app.get("/app/drafts/:id/media/:mediaId", async (c) => {
    const member = c.get("member");
    const { id, mediaId } = c.req.param();
    if (!isId(id) || !isId(mediaId)) return c.notFound();
    const draft = await schedule.get(member.account, id);
    if (draft === null || !draft.media.some((m) => m.id === mediaId)) return c.notFound();
    return (await sendImage(member, mediaId)) ?? c.notFound();
  });

  // Held images (a refused submit's, a preview's): only the person's own, for the account acted for.
  app.get("/app/compose/held/:mediaId", async (c) => {
    const member = c.get("member");
    const mediaId = c.req.param("mediaId");
    if (!isId(mediaId) || (await schedule.heldUploads(member.account, editorOf(member), [mediaId])).length === 0) return c.notFound();
    return (await sendImage(member, mediaId)) ?? c.notFound();
  });

  // The live preview: the same card as the Preview button, for the text and the images on the page.
  app.post("/app/api/preview", async (c) => {
    const member = c.get("member");
    const form = await readForm(c);
    const text = form.text("text", 100_000);
    const warning = form.text("content_warning", 1000);
    const draftId = form.text("draft_id", 40);
    const draft = isId(draftId) ? await schedule.get(member.account, draftId) : null;
    const removed = new Set(form.all("remove_media"));
    const held = await schedule.heldUploads(member.account, editorOf(member), form.all("held_media").filter((id) => isId(id) && !removed.has(id)));
    const media = [
      ...(draft?.media ?? []).filter((m) => !removed.has(m.id)).map((m) => ({ src: thumb(draft!.id)(m.id), description: form.has(`alt_${m.id}`) ? form.text(`alt_${m.id}`, 1500) : (m.description ?? "") })),
      ...held.map((id) => ({ src: heldThumb(id), description: form.text(`alt_${id}`, 1500) })),
    ];
    const card = await renderPreview(member, { text, contentWarning: warning, replyTo: form.text("reply_to", 4096), quote: form.text("quote", 4096), media });
    return c.json({ html: card.toString(), count: countCharacters(text, warning), max: maxChars });
  });

  app.get("/app/api/suggest", async (c) => {
    const member = c.get("member");
    const viewer = { id: member.account.actorId, uri: member.account.uri };
    return c.json({ items: await deps.suggest(viewer, c.req.query("q") ?? "") });
  });

  return app;
}

/** Draft states as the app names them everywhere (issue #12, item 8). */
export const STATE_LABELS: Record<Draft["state"], string> = {
  draft: "Draft",
  scheduled: "Scheduled",
  publishing: "Publishing",
  published: "Published",
  failed: "Failed",
};

function zonedTime(instant: string, zone: string) {
  return html`<time datetime="${instant}">${formatZoned(instant, zone)}</time>`;
}

/** Up to four new images with their alt text, from fields image_0…image_3 / image_alt_0…. */
async function readUploads(form: Form): Promise<{ bytes: Buffer; description: string }[]> {
  const out: { bytes: Buffer; description: string }[] = [];
  for (let i = 0; i < 4; i++) {
    const file = form.file(`image_${i}`);
    if (file === null) continue;
    out.push({ bytes: Buffer.from(await file.arrayBuffer()), description: form.text(`image_alt_${i}`, 1500) });
  }
  return out;
}

/** The zone a form names, when it names one Intl knows. */
function zoneField(form: Form): string | null {
  const zone = form.text("time_zone", 100).trim();
  return zone !== "" && isTimeZone(zone) ? zone : null;
}

/**
 * The instant a schedule form means: its date and time in the zone it names (else the person's,
 * else UTC), never UTC by accident. A time that does not exist that day (clocks go forward) is
 * refused with the reason; one that happens twice (clocks go back) is the earlier, and the notice says so.
 */
export function scheduleTimeOf(form: Form, member: Member): Result<{ at: Date; zone: string; overlap: boolean }, "invalid" | "gap"> {
  const named = form.text("time_zone", 100).trim();
  if (named !== "" && !isTimeZone(named)) return err("invalid", `${JSON.stringify(named)} is not a time zone Herold knows; choose one from the list.`);
  const zone = named !== "" ? named : zoneOf(member);
  const date = form.text("schedule_date", 20);
  const time = form.text("schedule_time", 20);
  const wall = parseWallTime(date, time);
  if (wall === null) return err("invalid", "Choose a date and a time to schedule the post.");
  const resolved = resolveWallTime(wall, zone);
  switch (resolved.kind) {
    case "exact":
      return ok({ at: resolved.at, zone, overlap: false });
    case "ambiguous":
      return ok({ at: resolved.at, zone, overlap: true });
    case "gap":
      return err("gap", `${formatTime(wall)} on ${formatDate(wall)} does not exist in ${zone}: the clocks skip that hour when daylight saving time starts. Choose another time, for example ${formatZoned(resolved.after, zone)}.`);
    default:
      return unreachable(resolved);
  }
}

/** A person who had not confirmed a zone confirms the one they scheduled in: it becomes their setting. */
async function confirmZone(deps: Pick<ComposeRoutesDeps, "users" | "clock">, member: Member, zone: string): Promise<void> {
  if (member.session.user.timeZone !== null) return;
  await deps.users.setTimeZone(member.session.user.id, zone, deps.clock.now().toISOString());
}

/** Unknown drafts 404, another person's 403, a state that moved on 409, a time or text that cannot be 422. */
function scheduleStatus(error: ScheduleError): 403 | 404 | 409 | 422 {
  switch (error) {
    case "not-found":
      return 404;
    case "forbidden":
      return 403;
    case "not-editable":
    case "changed":
      return 409;
    case "in-the-past":
    case "not-whole-minute":
    case "empty":
      return 422;
    default:
      return unreachable(error);
  }
}

function cancelStatus(error: CancelError): 403 | 404 | 409 {
  switch (error) {
    case "not-found":
      return 404;
    case "forbidden":
      return 403;
    case "not-scheduled":
      return 409;
    default:
      return unreachable(error);
  }
}

/** Publishing a draft: as scheduling, plus what the post itself may fail on (its content: 422). */
function publishDraftStatus(error: PublishDraftError): 403 | 404 | 409 | 422 {
  switch (error) {
    case "not-found":
    case "unknown-account":
      return 404;
    case "forbidden":
      return 403;
    case "busy":
    case "changed":
      return 409;
    case "invalid-visibility":
    case "invalid-language":
    case "empty":
    case "too-long":
    case "reply-target":
    case "quote-target":
    case "quote-not-allowed":
    case "mention":
    case "media":
    case "poll":
      return 422;
    default:
      return unreachable(error);
  }
}
