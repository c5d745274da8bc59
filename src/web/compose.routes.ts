import { createReadStream } from "node:fs";
import { Readable } from "node:stream";
import { Hono, type Context } from "hono";
import type { ActorRepository } from "../actor/actor.repository.ts";
import type { Urls } from "../app/urls.ts";
import type { Clock } from "../lib/time.ts";
import { countCharacters, renderLocalPost } from "../content/render.ts";
import { excerpt, htmlToPlainText } from "../content/text.ts";
import { isId } from "../lib/id.ts";
import { unreachable } from "../lib/result.ts";
import { html } from "../pages/html.ts";
import type { Draft } from "../post/schedule/draft.entity.ts";
import type { PostRepository } from "../post/post.repository.ts";
import type { CancelError, Editor, PublishDraftError, ScheduleError, ScheduleService } from "../post/schedule/schedule.service.ts";
import type { UserRepository } from "../user/user.repository.ts";
import { can } from "../user/user.entity.ts";
import type { AppViews } from "./app.views.ts";
import { localTime, zoneOf } from "./app.templates.ts";
import { composeFromDraft, composePage, emptyCompose, previewCard, type ComposeValues } from "./compose.template.ts";
import { readForm, type Form } from "./form.ts";
import { sendPage } from "./respond.ts";
import type { Suggestion } from "./suggest.ts";
import { fromWallTime, isTimeZone, parseWallTime } from "./time-zone.ts";
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
  readonly clock: Clock;
  readonly urls: Pick<Urls, "parsePost">;
  readonly schedule: ScheduleService;
  readonly actors: Pick<ActorRepository, "findByHandle" | "findById">;
  readonly posts: Pick<PostRepository, "findByUriOrUrl" | "canSee">;
  readonly users: Pick<UserRepository, "setTimeZone">;
  /** The stored file of one of the actor's own media, with its type; null when there is none. */
  readonly mediaFile: (actorId: string, mediaId: string) => Promise<{ readonly path: string; readonly mimeType: string } | null>;
  readonly suggest: (viewer: { readonly id: string; readonly uri: string }, q: string) => Promise<Suggestion[]>;
}

/** Compose, preview, drafts, publish now, schedule, reschedule, cancel; the composer's JSON helpers. */
export function composeRoutes(deps: ComposeRoutesDeps, shell: Shell, views: AppViews): Hono<WebEnv> {
  const app = new Hono<WebEnv>();
  const { schedule, maxChars } = deps;
  const thumb = (draftId: string) => (mediaId: string) => `/app/drafts/${draftId}/media/${mediaId}`;

  /** Renders with local knowledge only: a preview never makes this server fetch anything. */
  const renderPreview = async (member: Member, text: string, contentWarning: string) => {
    const rendered = await renderLocalPost(text, {
      origin: deps.origin,
      resolveMention: async ({ username, host }) => {
        const actor = await deps.actors.findByHandle(host === deps.domain ? username.toLowerCase() : username, host);
        return actor === null ? null : { uri: actor.uri, url: actor.url ?? actor.uri };
      },
    });
    return previewCard(member.account, views.avatar({ iconUrl: member.account.iconUrl, isLocal: true }), rendered.html, contentWarning);
  };

  /**
   * The "Replying to" / "Quoting" line. A post the account acted for may not see (another account's
   * direct message, a followers-only post of someone it does not follow) reads exactly like one this
   * server does not know: neither its text nor its existence shows.
   */
  const describePost = async (member: Member, uri: string): Promise<string | null> => {
    if (uri === "") return null;
    const post = await deps.posts.findByUriOrUrl(uri);
    const visible = post !== null && post.state === "published" && (await deps.posts.canSee(post, { id: member.account.actorId, uri: member.account.uri }));
    if (!visible) return `a post at ${uri}`;
    const author = await deps.actors.findById(post.actorId);
    const text = excerpt(htmlToPlainText(post.contentHtml ?? "").replace(/\s+/g, " "), 80);
    return `${author !== null ? `@${author.handle}` : "a post"}: “${text}”`;
  };

  const show = async (c: Context<WebEnv>, member: Member, values: ComposeValues, options: { preview?: boolean; error?: string; notice?: string; postUrl?: string | null; status?: 200 | 400 | 403 | 404 | 409 | 422 } = {}) => {
    const page = composePage(
      shell,
      member,
      values,
      {
        maxChars,
        count: countCharacters(values.text, values.contentWarning),
        zone: zoneOf(member),
        previewHtml: options.preview ? await renderPreview(member, values.text, values.contentWarning) : null,
        replyingTo: await describePost(member, values.replyTo),
        quoting: await describePost(member, values.quote),
        canPublish: can(member.membership.role, "publish"),
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
      if (draft === null) return show(c, member, emptyCompose(), { error: "This draft does not exist.", status: 404 });
      const readOnly = schedule.mayChange(editorOf(member), draft)
        ? undefined
        : draft.state === "scheduled"
          ? "This post is scheduled: only a publisher can change it."
          : "You can read this draft; only its writer or a publisher can change it.";
      return show(c, member, composeFromDraft(draft, zoneOf(member), thumb(draft.id)), { error: readOnly });
    }
    const postParam = c.req.query("post");
    const postUrl = postParam !== undefined && deps.urls.parsePost(postParam) !== null ? postParam : null;
    return show(c, member, { ...emptyCompose(), replyTo: c.req.query("reply_to") ?? "", quote: c.req.query("quote") ?? "" }, { notice: c.req.query("done"), postUrl });
  });

  // The body's size limit is applied in front of every /app route (body-limits.ts).
  app.post("/app/compose", async (c) => {
    const member = c.get("member");
    if (!can(member.membership.role, "draft")) return c.text("Your role does not allow this.", 403);
    const form = await readForm(c);
    const action = form.text("action", 20) || "draft";
    const draftIdText = form.text("draft_id", 40);
    const draftId = isId(draftIdText) ? draftIdText : null;
    const existing = draftId !== null ? await schedule.get(member.account, draftId) : null;
    const uploads = await readUploads(form);
    const editor = editorOf(member);
    const saved = await schedule.save(member.account, editor, draftId, {
      text: form.text("text", 100_000),
      contentWarning: form.text("content_warning", 1000),
      visibility: form.text("visibility", 20),
      language: form.text("language", 40),
      replyTo: form.text("reply_to", 4096),
      quote: form.text("quote", 4096),
      descriptions: new Map((existing?.media ?? []).map((m) => [m.id, form.text(`alt_${m.id}`, 1500)])),
      removeMedia: form.all("remove_media"),
      uploads,
      // Earlier uploads used again (the media library); ownership is checked by the media service.
      reuse: form.all("media_id"),
    });
    const values = (draft: Draft | null): ComposeValues => ({
      ...(draft !== null ? composeFromDraft(draft, zoneOf(member), thumb(draft.id)) : emptyCompose()),
      text: form.text("text", 100_000),
      contentWarning: form.text("content_warning", 1000),
      visibility: form.text("visibility", 20) || "public",
      language: form.text("language", 40),
      replyTo: form.text("reply_to", 4096),
      quote: form.text("quote", 4096),
      scheduleDate: form.text("schedule_date", 20),
      scheduleTime: form.text("schedule_time", 20),
    });
    if (!saved.ok) {
      switch (saved.error) {
        case "forbidden":
          return show(c, member, values(existing), { error: saved.message, status: 403 });
        case "not-found":
        case "not-editable":
        case "too-long":
        case "invalid-visibility":
        case "too-many-images":
        case "media":
          return show(c, member, values(existing), { error: saved.message, status: 422, preview: true });
        default:
          return unreachable(saved.error);
      }
    }
    const draft = saved.value;
    switch (action) {
      case "preview":
        return show(c, member, values(draft), { preview: true, notice: "drafted" });
      case "publish": {
        if (!can(member.membership.role, "publish")) return show(c, member, values(draft), { error: "Your role lets you save drafts; a publisher publishes them.", status: 403 });
        // Exactly the revision this request saved: an author's change in between is not published unseen.
        const published = await schedule.publishNow(member.account, editor, draft.id, { revision: draft.revision });
        if (!published.ok) {
          const after = await schedule.get(member.account, draft.id);
          return show(c, member, values(after ?? draft), { error: published.message, status: publishDraftStatus(published.error), preview: true });
        }
        return c.redirect(`/app/compose?done=published&post=${encodeURIComponent(published.value.uri)}`, 303);
      }
      case "schedule": {
        if (!can(member.membership.role, "publish")) return show(c, member, values(draft), { error: "Your role lets you save drafts; a publisher schedules them.", status: 403 });
        const zone = await zoneFor(deps, member, form.text("browser_tz", 100));
        const wall = parseWallTime(form.text("schedule_date", 20), form.text("schedule_time", 20));
        if (wall === null) return show(c, member, values(draft), { error: "Choose a date and a time to schedule the post.", status: 422 });
        const result = await schedule.schedule(member.account, editor, draft.id, fromWallTime(wall, zone), zone, { revision: draft.revision });
        if (!result.ok) return show(c, member, values(draft), { error: result.message, status: scheduleStatus(result.error) });
        return c.redirect("/app/calendar?done=scheduled", 303);
      }
      default:
        return c.redirect("/app/drafts?done=drafted", 303);
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
    const item = (d: Draft) => html`<li><p>${excerpt(d.text.replace(/\s+/g, " "), 140) || "(images only)"}${d.media.length > 0 && html` <span class="badge">${d.media.length} image(s)</span>`}</p>
${d.state === "scheduled" && html`<p>Scheduled for ${localTime(member, d.scheduledAt)}</p>`}
${d.state === "failed" && html`<p class="notice error">Publishing failed: ${d.error ?? "unknown error"}</p>`}
<div class="actions"><a class="button secondary" href="/app/compose?draft=${d.id}">${schedule.mayChange(editor, d) ? "Edit" : "View"}</a>
${canPublish && html`<form method="post" action="/app/drafts/${d.id}/publish">${csrfField(member)}<input type="hidden" name="revision" value="${String(d.revision)}"><button type="submit">Publish now</button></form>`}
${canPublish && d.state === "scheduled" && html`<form method="post" action="/app/drafts/${d.id}/cancel">${csrfField(member)}<button type="submit" class="secondary">Cancel schedule</button></form>`}
${schedule.mayChange(editor, d) && html`<form method="post" action="/app/drafts/${d.id}/delete">${csrfField(member)}<button type="submit" class="secondary">Delete</button></form>`}</div></li>`;
    return sendPage(
      c,
      appLayout(shell, {
        title: "Drafts",
        nav: "drafts",
        member,
        notice: c.req.query("done"),
        body: html`<h1>Drafts and scheduled posts</h1>
<section aria-labelledby="scheduled-h"><h2 id="scheduled-h">Scheduled</h2>${scheduled.length === 0 ? html`<p class="empty">Nothing scheduled. <a href="/app/calendar">Calendar</a></p>` : html`<ul class="list">${scheduled.map(item)}</ul>`}</section>
<section aria-labelledby="drafts-h"><h2 id="drafts-h">Drafts</h2>${drafts.length === 0 ? html`<p class="empty">No drafts.</p>` : html`<ul class="list">${drafts.map(item)}</ul>`}</section>`,
      }),
    );
  });

  app.post("/app/drafts/:id/:action{publish|cancel|delete|reschedule}", async (c) => {
    const member = c.get("member");
    const id = c.req.param("id");
    const action = c.req.param("action");
    if (!isId(id)) return c.notFound();
    if (action !== "delete" && !can(member.membership.role, "publish")) return c.text("Your role does not allow this.", 403);
    const editor = editorOf(member);
    const fail = (message: string, status: 403 | 404 | 409 | 422) =>
      sendPage(c, appLayout(shell, { title: "Drafts", nav: "drafts", member, error: message, body: html`<p><a href="/app/drafts">Back to drafts</a></p>` }), status);
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
        const zone = await zoneFor(deps, member, form.text("browser_tz", 100));
        const wall = parseWallTime(form.text("schedule_date", 20), form.text("schedule_time", 20));
        if (wall === null) return fail("Choose a date and a time.", 422);
        const result = await schedule.schedule(member.account, editor, id, fromWallTime(wall, zone), zone, { revision: revisionOf(form) });
        if (!result.ok) return fail(result.message, scheduleStatus(result.error));
        return c.redirect("/app/calendar?done=rescheduled", 303);
      }
    }
  });

  // Draft images for the composer: only images of this account's own drafts (no IDOR, no unattached media of others).
  app.get("/app/drafts/:id/media/:mediaId", async (c) => {
    const member = c.get("member");
    const { id, mediaId } = c.req.param();
    if (!isId(id) || !isId(mediaId)) return c.notFound();
    const draft = await schedule.get(member.account, id);
    if (draft === null || !draft.media.some((m) => m.id === mediaId)) return c.notFound();
    const stored = await deps.mediaFile(member.account.actorId, mediaId);
    if (stored === null) return c.notFound();
    const body = Readable.toWeb(createReadStream(stored.path)) as ReadableStream<Uint8Array>;
    return new Response(body, { headers: { "Content-Type": stored.mimeType, "Cache-Control": "private, no-store", "Content-Security-Policy": "default-src 'none'; sandbox", "X-Content-Type-Options": "nosniff" } });
  });

  app.post("/app/api/preview", async (c) => {
    const member = c.get("member");
    const form = await readForm(c);
    const text = form.text("text", 100_000);
    const warning = form.text("content_warning", 1000);
    return c.json({ html: (await renderPreview(member, text, warning)).toString(), count: countCharacters(text, warning), max: maxChars });
  });

  app.get("/app/api/suggest", async (c) => {
    const member = c.get("member");
    const viewer = { id: member.account.actorId, uri: member.account.uri };
    return c.json({ items: await deps.suggest(viewer, c.req.query("q") ?? "") });
  });

  return app;
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

/**
 * The zone a person schedules in: their setting; else the zone their browser reported (which then
 * becomes their setting, so the calendar shows the same times); else UTC.
 */
async function zoneFor(deps: Pick<ComposeRoutesDeps, "users" | "clock">, member: Member, browserZone: string): Promise<string> {
  const own = member.session.user.timeZone;
  if (own !== null && isTimeZone(own)) return own;
  const reported = browserZone.trim();
  if (reported !== "" && isTimeZone(reported)) {
    await deps.users.setTimeZone(member.session.user.id, reported, deps.clock.now().toISOString());
    return reported;
  }
  return "UTC";
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
      return 422;
    default:
      return unreachable(error);
  }
}
