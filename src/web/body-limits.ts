import type { Context } from "hono";
import type { MediaLimits } from "../media/media.service.ts";

/**
 * How much of a request body each web-app route may send (issue #10 item 4), applied by `limitBody`
 * in front of every route under /app. Forms are small; the composer's preview gets room for a post's
 * text, and only the upload forms (composer, profile, media library) get room for their images, sized from the media limits (what
 * the media service would accept anyway) plus the text fields.
 */
export const FORM_MAX_BYTES = 64 * 1024;
/** A post's text fields, urlencoded (up to 100 000 characters, each up to 9 bytes as %XX%XX%XX). */
const POST_TEXT_BYTES = 1024 * 1024;

export interface WebBodyLimits {
  readonly form: number;
  /** The composer's preview: a post's text, no files. */
  readonly preview: number;
  readonly compose: number;
  readonly profile: number;
  /** An upload into the media library: one image and its alt text. */
  readonly library: number;
}

export function webBodyLimits(media: MediaLimits): WebBodyLimits {
  return {
    form: FORM_MAX_BYTES,
    preview: POST_TEXT_BYTES,
    compose: 4 * media.maxBytes + POST_TEXT_BYTES, // up to four images per draft
    profile: 2 * media.maxBytes + POST_TEXT_BYTES, // avatar and header, bio and fields
    library: media.maxBytes + FORM_MAX_BYTES, // one image and its alt text
  };
}

/** The limit for this request: the upload routes by exact path (anything else, however spelled, is a form). */
export function bodyLimitFor(limits: WebBodyLimits): (c: Context) => number {
  return (c) => {
    if (c.req.method === "POST" && c.req.path === "/app/compose") return limits.compose;
    if (c.req.method === "POST" && c.req.path === "/app/profile") return limits.profile;
    if (c.req.method === "POST" && c.req.path === "/app/api/preview") return limits.preview;
    if (c.req.method === "POST" && c.req.path === "/app/media") return limits.library;
    return limits.form;
  };
}
