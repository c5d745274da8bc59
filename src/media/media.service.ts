import { open, mkdir, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Kysely } from "kysely";
import type Sharp from "sharp";
import { sanitizeRemoteText } from "../content/sanitize.ts";
import { graphemeCount } from "../content/text.ts";
import type { DB } from "../db/schema.ts";
import { newId } from "../lib/id.ts";
import { err, ok, type Result } from "../lib/result.ts";
import type { Clock } from "../lib/time.ts";
import { IMAGE_FORMATS, isStoredFilePath, mimeTypeForFile, storedFileName, storedFilePath, type ImageFormat, type LocalMedia } from "./media.entity.ts";

// sharp (libvips) adds about 20 MB to a process's resident memory as soon as it is loaded; most
// processes never see an image (workers, web processes between uploads), so it is loaded on first use.
let sharpLoaded: Promise<typeof Sharp> | undefined;
const loadSharp = (): Promise<typeof Sharp> => (sharpLoaded ??= import("sharp").then((module) => module.default));

export type MediaError = "unreadable" | "too-large" | "unsupported-format" | "too-many-pixels" | "corrupt" | "invalid-description";

export interface MediaLimits {
  /** Largest file accepted, in bytes (Mastodon: 16 MB for images). */
  readonly maxBytes: number;
  /** Largest decoded image, in pixels: refuses decompression bombs before they are decoded. */
  readonly maxPixels: number;
  /** Longer side after resizing. */
  readonly maxDimension: number;
}

export const DEFAULT_MEDIA_LIMITS: MediaLimits = { maxBytes: 16 * 1024 * 1024, maxPixels: 50_000_000, maxDimension: 1920 };

/** One upload in the media library. */
export interface LibraryItem {
  readonly id: string;
  readonly fileName: string;
  readonly mimeType: string;
  readonly width: number | null;
  readonly height: number | null;
  readonly sizeBytes: number | null;
  readonly description: string | null;
  readonly createdAt: string;
  /** The post it is attached to; null when it is in no published post. */
  readonly post: { readonly id: string; readonly uri: string; readonly url: string | null; readonly state: string } | null;
}

/** Mastodon's limit for alt text. */
export const MAX_DESCRIPTION = 1500;

/**
 * Local image uploads (hostile-inputs case 13, Mastodon's "TootRoot"):
 * - the format is recognised from the file's first bytes against an allow-list (JPEG, PNG, WebP, GIF) and
 *   must agree with what the decoder sees; SVG, HEIC, TIFF, PDF and everything else are refused;
 * - sharp refuses images with more than `maxPixels` pixels from their header, before decoding;
 * - the image is decoded and re-encoded: rotated upright, resized to `maxDimension`, and written without
 *   any metadata (EXIF, GPS location, XMP, comments), which also drops bytes smuggled after the image;
 * - the file name is `<new id>.<ext>` under `dataDir/media/`: nothing in it comes from the input.
 */
export class MediaService {
  readonly #db: Kysely<DB>;
  readonly #dataDir: string;
  readonly #clock: Clock;
  readonly #limits: MediaLimits;

  constructor(deps: { db: Kysely<DB>; dataDir: string; clock: Clock; limits?: MediaLimits }) {
    this.#db = deps.db;
    this.#dataDir = deps.dataDir;
    this.#clock = deps.clock;
    this.#limits = deps.limits ?? DEFAULT_MEDIA_LIMITS;
  }

  /** The limits uploads are checked against (the web app sizes its request limits from them). */
  get limits(): MediaLimits {
    return this.#limits;
  }

  /** Reads, checks and stores an image file for `actorId`; the row is attached to a post later (`attach`). */
  async storeImageFile(actorId: string, path: string, description: string | null): Promise<Result<LocalMedia, MediaError>> {
    const read = await this.#read(path);
    if (!read.ok) return read;
    return await this.storeImage(actorId, read.value, description);
  }

  async storeImage(actorId: string, input: Buffer, description: string | null): Promise<Result<LocalMedia, MediaError>> {
    let alt: string | null = null;
    if (description !== null && description.trim() !== "") {
      alt = sanitizeRemoteText(description, MAX_DESCRIPTION + 1);
      if (graphemeCount(alt) > MAX_DESCRIPTION) {
        return err("invalid-description", `the alt text is longer than ${MAX_DESCRIPTION} characters`);
      }
    }
    if (input.length > this.#limits.maxBytes) return err("too-large", `the file is larger than ${this.#limits.maxBytes} bytes`);
    const format = sniffFormat(input);
    if (format === null) return err("unsupported-format", "only JPEG, PNG, WebP and GIF images are accepted");

    const processed = await this.#process(input, format);
    if (!processed.ok) return processed;
    const { data, info } = processed.value;

    const id = newId(this.#clock.now().getTime());
    const { ext, mimeType } = IMAGE_FORMATS[format];
    const fileName = `${id}.${ext}`;
    const filePath = storedFilePath(fileName);
    await mkdir(dirname(this.#absolute(filePath)), { recursive: true });
    // `wx`: never overwrite anything, whatever happens to be there.
    await writeFile(this.#absolute(filePath), data, { flag: "wx", mode: 0o644 });
    try {
      await this.#db
        .insertInto("media")
        .values({
          id,
          actor_id: actorId,
          post_id: null,
          position: 0,
          kind: "image",
          mime_type: mimeType,
          remote_url: null,
          file_path: filePath,
          width: info.width,
          height: info.height,
          size_bytes: data.length,
          blurhash: null,
          description: alt,
          created_at: this.#clock.now().toISOString(),
        })
        .execute();
    } catch (error) {
      await rm(this.#absolute(filePath), { force: true });
      throw error;
    }
    return ok({ id, actorId, postId: null, kind: "image", mimeType, filePath, fileName, width: info.width, height: info.height, sizeBytes: data.length, description: alt });
  }

  /** Attaches unattached media of `actorId` to a post, in the given order. Returns how many were attached. */
  async attach(mediaIds: readonly string[], postId: string, actorId: string, db: Kysely<DB> = this.#db): Promise<number> {
    let attached = 0;
    for (const [position, id] of mediaIds.entries()) {
      const result = await db
        .updateTable("media")
        .set({ post_id: postId, position })
        .where("id", "=", id)
        .where("actor_id", "=", actorId)
        .where("post_id", "is", null)
        .executeTakeFirst();
      attached += Number(result.numUpdatedRows);
    }
    return attached;
  }

  /** Removes rows and their stored files (media that never got attached, or a deleted post's); a file another row still uses stays. */
  async discard(mediaIds: readonly string[]): Promise<void> {
    if (mediaIds.length === 0) return;
    const rows = await this.#db.selectFrom("media").select(["id", "file_path"]).where("id", "in", [...mediaIds]).execute();
    await this.#db.deleteFrom("media").where("id", "in", [...mediaIds]).execute();
    await this.removeFiles(rows.flatMap((r) => (r.file_path === null ? [] : [r.file_path])));
  }

  /** Removes the local files of a post's media (before its rows go with the post's deletion), but not files other rows share. */
  async removeFilesOf(postId: string): Promise<void> {
    const paths = await this.filesOf(postId);
    if (paths.length === 0) return;
    const shared = await this.#db
      .selectFrom("media")
      .select("file_path")
      .where("file_path", "in", paths)
      .where((eb) => eb.or([eb("post_id", "is", null), eb("post_id", "!=", postId)]))
      .execute();
    const keep = new Set(shared.map((r) => r.file_path));
    await Promise.all(paths.filter((path) => !keep.has(path)).map((path) => this.#removeFile(path)));
  }

  /** The stored files of a post, to remove once the post's deletion (which drops its media rows) committed. */
  async filesOf(postId: string): Promise<string[]> {
    const rows = await this.#db.selectFrom("media").select("file_path").where("post_id", "=", postId).where("file_path", "is not", null).execute();
    return rows.flatMap((r) => (r.file_path === null ? [] : [r.file_path]));
  }

  /**
   * Removes stored files that no media row uses any more: a reused upload (`reuse`) shares its file
   * with the row it came from, so a file goes only with the last row that names it.
   */
  async removeFiles(filePaths: readonly string[]): Promise<void> {
    const paths = [...new Set(filePaths)];
    if (paths.length === 0) return;
    const used = await this.#db.selectFrom("media").select("file_path").distinct().where("file_path", "in", paths).execute();
    const stillUsed = new Set(used.map((r) => r.file_path));
    await Promise.all(paths.filter((path) => !stillUsed.has(path)).map((path) => this.#removeFile(path)));
  }

  /** Absolute path of a stored file by media id and the file name from its URL; null when they do not match. */
  async localFile(mediaId: string, fileName: string): Promise<{ path: string; postId: string | null } | null> {
    const row = await this.#db.selectFrom("media").select(["file_path", "post_id"]).where("id", "=", mediaId).executeTakeFirst();
    if (row === undefined || row.file_path === null || row.file_path !== storedFilePath(fileName)) return null;
    return { path: this.#absolute(row.file_path), postId: row.post_id };
  }

  /**
   * Absolute path and Content-Type of one of `actorId`'s own stored files (the composer's
   * thumbnails), attached to a post or not; null for another actor's, remote or unknown media.
   */
  async ownFile(actorId: string, mediaId: string): Promise<{ path: string; mimeType: string } | null> {
    const row = await this.#db.selectFrom("media").select("file_path").where("id", "=", mediaId).where("actor_id", "=", actorId).executeTakeFirst();
    if (row === undefined || row.file_path === null || !isStoredFilePath(row.file_path)) return null;
    const mimeType = mimeTypeForFile(storedFileName(row) ?? "");
    return mimeType === null ? null : { path: this.#absolute(row.file_path), mimeType };
  }

  /** Absolute paths of `actorId`'s stored media not attached to a post yet (a draft's), by media id; other ids are left out. */
  async unattachedFiles(actorId: string, mediaIds: readonly string[]): Promise<Map<string, string>> {
    if (mediaIds.length === 0) return new Map();
    const rows = await this.#db
      .selectFrom("media")
      .select(["id", "file_path"])
      .where("id", "in", [...mediaIds])
      .where("actor_id", "=", actorId)
      .where("post_id", "is", null)
      .execute();
    return new Map(rows.flatMap((r) => (r.file_path !== null && isStoredFilePath(r.file_path) ? [[r.id, this.#absolute(r.file_path)] as const] : [])));
  }

  // --- the media library (issue #12, item 13) -------------------------------------------------

  /**
   * The actor's own stored uploads, newest first, with the post each is attached to (null: not in a
   * published post: a draft's image or an upload kept for later). Paged by id.
   */
  async library(actorId: string, options: { readonly limit: number; readonly before?: string | null }): Promise<LibraryItem[]> {
    let query = this.#db
      .selectFrom("media as m")
      .leftJoin("posts as p", "p.id", "m.post_id")
      .select(["m.id", "m.post_id", "m.file_path", "m.width", "m.height", "m.size_bytes", "m.description", "m.created_at", "p.uri as post_uri", "p.url as post_url", "p.state as post_state"])
      .where("m.actor_id", "=", actorId)
      .where("m.remote_url", "is", null)
      .where("m.file_path", "is not", null);
    if (options.before) query = query.where("m.id", "<", options.before);
    const rows = await query.orderBy("m.id", "desc").limit(options.limit).execute();
    return rows.flatMap((r) => {
      const fileName = r.file_path !== null && isStoredFilePath(r.file_path) ? storedFileName({ file_path: r.file_path }) : null;
      const mimeType = fileName === null ? null : mimeTypeForFile(fileName);
      if (fileName === null || mimeType === null) return [];
      return [{
        id: r.id,
        fileName,
        mimeType,
        width: r.width,
        height: r.height,
        sizeBytes: r.size_bytes,
        description: r.description,
        createdAt: r.created_at,
        post: r.post_id !== null && r.post_uri !== null ? { id: r.post_id, uri: r.post_uri, url: r.post_url, state: r.post_state ?? "published" } : null,
      }];
    });
  }

  /**
   * A new unattached row of `actorId` for the same stored file as one of its own uploads, with its
   * alt text: the file is shared, not copied (the row is what a draft or post owns, so each can be
   * attached, described and removed on its own). Another actor's, a remote or an unknown id: not-found.
   */
  async reuse(actorId: string, mediaId: string): Promise<Result<LocalMedia, "not-found">> {
    const row = await this.#db.selectFrom("media").selectAll().where("id", "=", mediaId).where("actor_id", "=", actorId).where("remote_url", "is", null).executeTakeFirst();
    const fileName = row?.file_path != null && isStoredFilePath(row.file_path) ? storedFileName(row) : null;
    const mimeType = fileName === null ? null : mimeTypeForFile(fileName);
    if (row === undefined || row.file_path === null || fileName === null || mimeType === null) return err("not-found", "This image is not one of the account's uploads.");
    const id = newId(this.#clock.now().getTime());
    await this.#db
      .insertInto("media")
      .values({ ...row, id, post_id: null, position: 0, created_at: this.#clock.now().toISOString() })
      .execute();
    return ok({ id, actorId, postId: null, kind: "image", mimeType, filePath: row.file_path, fileName, width: row.width ?? 0, height: row.height ?? 0, sizeBytes: row.size_bytes ?? 0, description: row.description });
  }

  /**
   * Sets the alt text of one of the actor's uploads that is not in a published post (a published
   * post's alt text is part of what was federated: it changes with an edit of the post).
   */
  async describe(actorId: string, mediaId: string, description: string): Promise<Result<void, "not-found" | "published" | "invalid-description">> {
    const trimmed = description.trim();
    const alt = trimmed === "" ? null : sanitizeRemoteText(trimmed, MAX_DESCRIPTION + 1);
    if (alt !== null && graphemeCount(alt) > MAX_DESCRIPTION) return err("invalid-description", `The alt text is longer than ${MAX_DESCRIPTION} characters.`);
    const row = await this.#db.selectFrom("media").select(["post_id"]).where("id", "=", mediaId).where("actor_id", "=", actorId).where("remote_url", "is", null).executeTakeFirst();
    if (row === undefined) return err("not-found", "This image is not one of the account's uploads.");
    if (row.post_id !== null) return err("published", "This image is part of a published post: edit the post to change its alt text.");
    const updated = await this.#db.updateTable("media").set({ description: alt }).where("id", "=", mediaId).where("actor_id", "=", actorId).where("post_id", "is", null).executeTakeFirst();
    if (Number(updated.numUpdatedRows) === 0) return err("published", "This image was just published: edit the post to change its alt text.");
    return ok(undefined);
  }

  /**
   * Deletes one of the actor's uploads that is in no post and in none of `inDrafts` (the ids the
   * account's open drafts hold, which the caller read from the drafts): the row, and the file when
   * no other row shares it.
   */
  async deleteUnused(actorId: string, mediaId: string, inDrafts: ReadonlySet<string>): Promise<Result<void, "not-found" | "in-use">> {
    const row = await this.#db.selectFrom("media").select(["post_id", "file_path"]).where("id", "=", mediaId).where("actor_id", "=", actorId).where("remote_url", "is", null).executeTakeFirst();
    if (row === undefined) return err("not-found", "This image is not one of the account's uploads.");
    if (row.post_id !== null || inDrafts.has(mediaId)) return err("in-use", "This image is used in a post or a draft: remove it there first.");
    const deleted = await this.#db.deleteFrom("media").where("id", "=", mediaId).where("actor_id", "=", actorId).where("post_id", "is", null).executeTakeFirst();
    if (Number(deleted.numDeletedRows) === 0) return err("in-use", "This image was just attached to a post.");
    if (row.file_path !== null) await this.removeFiles([row.file_path]);
    return ok(undefined);
  }

  #absolute(filePath: string): string {
    return join(this.#dataDir, filePath);
  }

  async #removeFile(filePath: string | null): Promise<void> {
    // Only paths Herold wrote itself.
    if (filePath === null || !isStoredFilePath(filePath)) return;
    await rm(this.#absolute(filePath), { force: true });
  }

  async #read(path: string): Promise<Result<Buffer, MediaError>> {
    let handle;
    try {
      handle = await open(path, "r");
    } catch (error) {
      return err("unreadable", `cannot open ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    try {
      const stat = await handle.stat();
      if (!stat.isFile()) return err("unreadable", `${path} is not a regular file`);
      if (stat.size > this.#limits.maxBytes) return err("too-large", `${path} is larger than ${this.#limits.maxBytes} bytes`);
      // Read at most one byte past the cap: the size may change between stat and read.
      const buffer = Buffer.alloc(Math.min(stat.size, this.#limits.maxBytes) + 1);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
      if (bytesRead > this.#limits.maxBytes) return err("too-large", `${path} is larger than ${this.#limits.maxBytes} bytes`);
      return ok(buffer.subarray(0, bytesRead));
    } finally {
      await handle.close();
    }
  }

  async #process(input: Buffer, format: ImageFormat): Promise<Result<{ data: Buffer; info: { width: number; height: number } }, MediaError>> {
    const animated = format === "gif" || format === "webp";
    const options = { limitInputPixels: this.#limits.maxPixels, failOn: "error" as const, animated };
    const sharp = await loadSharp();
    try {
      const metadata = await sharp(input, options).metadata();
      // The decoder must agree with the magic bytes: a polyglot that sniffs as one format and decodes as another is refused.
      if (metadata.format !== format) return err("unsupported-format", `the file looks like ${format} but decodes as ${metadata.format ?? "nothing"}`);
      const frameHeight = metadata.pageHeight ?? metadata.height;
      if (metadata.width === undefined || frameHeight === undefined || metadata.width * frameHeight * (metadata.pages ?? 1) > this.#limits.maxPixels) {
        return err("too-many-pixels", `the image has more than ${this.#limits.maxPixels} pixels`);
      }
      let pipeline = sharp(input, options)
        .rotate()
        .resize({ width: this.#limits.maxDimension, height: this.#limits.maxDimension, fit: "inside", withoutEnlargement: true });
      switch (format) {
        case "jpeg":
          pipeline = pipeline.jpeg({ quality: 85, mozjpeg: true });
          break;
        case "png":
          pipeline = pipeline.png({ compressionLevel: 9 });
          break;
        case "webp":
          pipeline = pipeline.webp({ quality: 85 });
          break;
        case "gif":
          pipeline = pipeline.gif();
          break;
      }
      const { data, info } = await pipeline.toBuffer({ resolveWithObject: true });
      return ok({ data, info: { width: info.width, height: info.pageHeight ?? info.height } });
    } catch (error) {
      const message = (error as Error).message;
      if (/pixel limit/i.test(message)) return err("too-many-pixels", `the image has more than ${this.#limits.maxPixels} pixels`);
      return err("corrupt", `the image could not be decoded: ${message.split("\n")[0]}`);
    }
  }
}

/** The image format from the file's first bytes, or null when it is none Herold accepts. */
export function sniffFormat(bytes: Uint8Array): ImageFormat | null {
  const starts = (...sig: number[]) => sig.every((b, i) => bytes[i] === b);
  if (starts(0xff, 0xd8, 0xff)) return "jpeg";
  if (starts(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return "png";
  if (starts(0x47, 0x49, 0x46, 0x38) && (bytes[4] === 0x37 || bytes[4] === 0x39) && bytes[5] === 0x61) return "gif";
  if (starts(0x52, 0x49, 0x46, 0x46) && bytes[8] === 0x57 && bytes[9] === 0x45 && bytes[10] === 0x42 && bytes[11] === 0x50) return "webp";
  return null;
}
