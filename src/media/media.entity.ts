import { basename } from "node:path";
import type { Selectable } from "kysely";
import type { MediaRow } from "../db/schema.ts";

/**
 * The image formats Herold accepts for upload and serves back, with the one Content-Type each is served
 * with. The type comes from this table (by the extension Herold chose), never from the uploader or a
 * remote server (hostile-inputs cases 2 and 13).
 */
export const IMAGE_FORMATS = {
  jpeg: { ext: "jpg", mimeType: "image/jpeg" },
  png: { ext: "png", mimeType: "image/png" },
  webp: { ext: "webp", mimeType: "image/webp" },
  gif: { ext: "gif", mimeType: "image/gif" },
} as const;

export type ImageFormat = keyof typeof IMAGE_FORMATS;

const BY_EXTENSION = new Map<string, { format: ImageFormat; mimeType: string }>(
  Object.entries(IMAGE_FORMATS).map(([format, v]) => [v.ext, { format: format as ImageFormat, mimeType: v.mimeType }]),
);

/** The Content-Type for a stored file name, or null when the name is not one Herold writes. */
export function mimeTypeForFile(fileName: string): string | null {
  const match = /^[0-9a-z]{26}\.([a-z]{3,4})$/.exec(fileName);
  return match ? (BY_EXTENSION.get(match[1]!)?.mimeType ?? null) : null;
}

/** A locally stored attachment, as the post and media code see it. */
export interface LocalMedia {
  readonly id: string;
  readonly actorId: string;
  readonly postId: string | null;
  readonly kind: "image";
  readonly mimeType: string;
  /** Relative to the data directory: `media/<id>.<ext>`. */
  readonly filePath: string;
  /** `<id>.<ext>`: the last segment of the public URL. */
  readonly fileName: string;
  readonly width: number;
  readonly height: number;
  readonly sizeBytes: number;
  readonly description: string | null;
}

/** The folder under the data directory that holds every stored file. */
const MEDIA_DIR = "media";

/**
 * Where a stored file lives, relative to the data directory (`media/<id>.<ext>`, what `file_path`
 * holds): the one derivation of a media path; `storedFileName` is its inverse.
 */
export function storedFilePath(fileName: string): string {
  return `${MEDIA_DIR}/${fileName}`;
}

/** Whether `filePath` is one Herold wrote itself (`media/<id>.<ext>`): nothing else is ever read or removed. */
export function isStoredFilePath(filePath: string): boolean {
  const slash = filePath.indexOf("/");
  return filePath.slice(0, slash) === MEDIA_DIR && /^[0-9a-z]{26}\.[a-z]{3,4}$/.test(filePath.slice(slash + 1));
}

/** The file name of a stored media row (the last URL segment), or null for remote media. */
export function storedFileName(row: Pick<Selectable<MediaRow>, "file_path">): string | null {
  return row.file_path === null || row.file_path === "" ? null : basename(row.file_path);
}
