import { createReadStream } from "node:fs";
import { Readable } from "node:stream";
import { Hono, type Context } from "hono";
import { isId } from "../lib/id.ts";
import { unreachable } from "../lib/result.ts";
import type { MediaService } from "../media/media.service.ts";
import type { Draft } from "../post/schedule/draft.entity.ts";
import type { Editor, ScheduleService } from "../post/schedule/schedule.service.ts";
import { can } from "../user/user.entity.ts";
import { readForm } from "./form.ts";
import { mediaLibraryPage } from "./media-library.template.ts";
import { sendPage } from "./respond.ts";
import type { Member, WebEnv } from "./web.env.ts";
import type { Shell } from "./web.layout.ts";

export interface MediaLibraryRoutesDeps {
  readonly media: Pick<MediaService, "library" | "describe" | "deleteUnused" | "ownFile" | "storeImage" | "discard">;
  readonly schedule: Pick<ScheduleService, "list" | "save">;
  readonly shell: Shell;
}

const PAGE_SIZE = 60;
/** Every draft state that still holds its images (a published draft's were discarded). */
const HOLDING: Parameters<ScheduleService["list"]>[1] = ["draft", "scheduled", "publishing", "failed"];

/** Fixed messages after a redirect (codes, never text from the URL). */
const DONE: Record<string, string> = { uploaded: "Image added to the library.", described: "Alt text saved.", removed: "Image deleted." };

/**
 * /app/media (issue #12, item 13): the account's uploads with alt text, size and where each is used;
 * upload for later, edit alt text, delete what nothing uses, and start a post with an upload again.
 */
export function mediaLibraryRoutes(deps: MediaLibraryRoutesDeps): Hono<WebEnv> {
  const app = new Hono<WebEnv>();
  const { media, schedule, shell } = deps;

  const show = async (c: Context<WebEnv>, member: Member, options: { error?: string; status?: 200 | 400 | 403 | 404 | 409 | 422 } = {}) => {
    const before = c.req.query("before");
    const [items, drafts] = await Promise.all([
      media.library(member.account.actorId, { limit: PAGE_SIZE, before: before !== undefined && isId(before) ? before : null }),
      schedule.list(member.account, HOLDING),
    ]);
    const notice = c.req.query("done");
    return sendPage(
      c,
      mediaLibraryPage(shell, member, {
        items,
        drafts: draftsByMedia(drafts),
        next: items.length >= PAGE_SIZE ? items.at(-1)!.id : null,
        notice: notice !== undefined ? DONE[notice] : undefined,
        error: options.error,
        canChange: can(member.membership.role, "draft"),
      }),
      options.status ?? 200,
    );
  };
  const refuse = (c: Context<WebEnv>, member: Member) => show(c, member, { error: "Your role does not allow changing the media library.", status: 403 });

  app.get("/app/media", (c) => show(c, c.get("member")));

  // The library's thumbnails: only the account's own files (MediaService.ownFile checks the owner).
  app.get("/app/media/:id/file", async (c) => {
    const member = c.get("member");
    const id = c.req.param("id");
    const stored = isId(id) ? await media.ownFile(member.account.actorId, id) : null;
    if (stored === null) return c.notFound();
    const body = Readable.toWeb(createReadStream(stored.path)) as ReadableStream<Uint8Array>;
    return new Response(body, { headers: { "Content-Type": stored.mimeType, "Cache-Control": "private, no-store", "Content-Security-Policy": "default-src 'none'; sandbox", "X-Content-Type-Options": "nosniff" } });
  });

  // An upload kept for later (its body limit is the media limit, body-limits.ts).
  app.post("/app/media", async (c) => {
    const member = c.get("member");
    if (!can(member.membership.role, "draft")) return refuse(c, member);
    const form = await readForm(c);
    const file = form.file("image");
    if (file === null || file.size === 0) return show(c, member, { error: "Choose an image to upload.", status: 400 });
    const stored = await media.storeImage(member.account.actorId, Buffer.from(await file.arrayBuffer()), form.text("alt", 1500) || null);
    if (!stored.ok) return show(c, member, { error: `The image could not be used: ${stored.message}.`, status: 422 });
    return c.redirect("/app/media?done=uploaded", 303);
  });

  app.post("/app/media/:id/alt", async (c) => {
    const member = c.get("member");
    if (!can(member.membership.role, "draft")) return refuse(c, member);
    const id = c.req.param("id");
    if (!isId(id)) return show(c, member, { error: "This image is not one of the account's uploads.", status: 404 });
    const form = await readForm(c);
    const result = await media.describe(member.account.actorId, id, form.text("alt", 4000));
    if (!result.ok) {
      switch (result.error) {
        case "not-found":
          return show(c, member, { error: result.message, status: 404 });
        case "published":
          return show(c, member, { error: result.message, status: 409 });
        case "invalid-description":
          return show(c, member, { error: result.message, status: 422 });
        default:
          return unreachable(result.error);
      }
    }
    return c.redirect("/app/media?done=described", 303);
  });

  app.post("/app/media/:id/delete", async (c) => {
    const member = c.get("member");
    if (!can(member.membership.role, "draft")) return refuse(c, member);
    const id = c.req.param("id");
    if (!isId(id)) return show(c, member, { error: "This image is not one of the account's uploads.", status: 404 });
    const inDrafts = new Set([...draftsByMedia(await schedule.list(member.account, HOLDING)).keys()]);
    const result = await media.deleteUnused(member.account.actorId, id, inDrafts);
    if (!result.ok) {
      switch (result.error) {
        case "not-found":
          return show(c, member, { error: result.message, status: 404 });
        case "in-use":
          return show(c, member, { error: result.message, status: 409 });
        default:
          return unreachable(result.error);
      }
    }
    return c.redirect("/app/media?done=removed", 303);
  });

  // "Use in a new post": a new draft holding the same file (shared, not copied), opened in the composer.
  app.post("/app/media/:id/use", async (c) => {
    const member = c.get("member");
    if (!can(member.membership.role, "draft")) return refuse(c, member);
    const id = c.req.param("id");
    const editor: Editor = { userId: member.session.user.id, role: member.membership.role };
    const saved = await schedule.save(member.account, editor, null, { text: "", contentWarning: "", visibility: "public", language: "", replyTo: "", quote: "", reuse: [id] });
    if (!saved.ok) {
      switch (saved.error) {
        case "forbidden":
          return show(c, member, { error: saved.message, status: 403 });
        case "media":
        case "not-found":
          return show(c, member, { error: "This image is not one of the account's uploads.", status: 404 });
        case "not-editable":
        case "too-long":
        case "invalid-visibility":
        case "too-many-images":
        case "poll":
          return show(c, member, { error: saved.message, status: 422 });
        default:
          return unreachable(saved.error);
      }
    }
    return c.redirect(`/app/compose?draft=${saved.value.id}`, 303);
  });

  return app;
}

/** Which open draft holds each media id (a row is in at most one draft). */
function draftsByMedia(drafts: readonly Draft[]): Map<string, Draft> {
  const out = new Map<string, Draft>();
  for (const draft of drafts) for (const m of draft.media) out.set(m.id, draft);
  return out;
}
