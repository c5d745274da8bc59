import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import sharp from "sharp";
import type { AccountRepository } from "../account/account.repository.ts";
import { logger } from "../lib/logger.ts";
import { mimeTypeForFile, storedFilePath } from "../media/media.entity.ts";

const log = logger("pages");

/** Favicons are shown at 16–48 CSS pixels; 64 covers high-density screens. */
export const FAVICON_SIZE = 64;

export interface Favicon {
  readonly body: Buffer;
  readonly etag: string;
}

/**
 * The site's icon: the organisation's avatar (its oldest account's, the one made at setup), resized
 * with sharp and kept in memory until the avatar changes; a plain default icon when there is none
 * (or the file cannot be read). Only avatars this server stores are read, by the one path layout
 * (`media.entity.ts`), never a path taken from the URL as is.
 */
export class FaviconService {
  readonly #accounts: Pick<AccountRepository, "list">;
  readonly #origin: string;
  readonly #dataDir: string;
  #cached: { readonly source: string; readonly icon: Favicon } | null = null;
  #fallback: Promise<Favicon> | null = null;

  constructor(deps: { accounts: Pick<AccountRepository, "list">; origin: string; dataDir: string }) {
    this.#accounts = deps.accounts;
    this.#origin = deps.origin;
    this.#dataDir = deps.dataDir;
  }

  async icon(): Promise<Favicon> {
    const [first] = await this.#accounts.list();
    const fileName = this.#storedAvatar(first?.iconUrl ?? null);
    if (fileName === null) return await this.#default();
    if (this.#cached?.source === fileName) return this.#cached.icon;
    try {
      const input = await readFile(join(this.#dataDir, storedFilePath(fileName)));
      const icon = toFavicon(await sharp(input).resize(FAVICON_SIZE, FAVICON_SIZE, { fit: "cover" }).png().toBuffer());
      this.#cached = { source: fileName, icon };
      return icon;
    } catch (error) {
      log.warn("the avatar {fileName} could not be made into a favicon: {error}", { fileName, error });
      return await this.#default();
    }
  }

  /** `media/profile/<id>/<id>.<ext>` on this origin → the stored file's name; anything else null. */
  #storedAvatar(url: string | null): string | null {
    if (url === null || !url.startsWith(`${this.#origin}/media/profile/`)) return null;
    const match = /^\/media\/profile\/([0-9a-z]{26})\/(([0-9a-z]{26})\.[a-z]{3,4})$/.exec(url.slice(this.#origin.length));
    if (match === null || match[1] !== match[3] || mimeTypeForFile(match[2]!) === null) return null;
    return match[2]!;
  }

  #default(): Promise<Favicon> {
    // A blue rounded square with a white ring: shapes only (no text, so no fonts are needed).
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${FAVICON_SIZE}" height="${FAVICON_SIZE}" viewBox="0 0 64 64"><rect width="64" height="64" rx="14" fill="#0b57b5"/><circle cx="32" cy="32" r="16" fill="none" stroke="#ffffff" stroke-width="8"/></svg>`;
    this.#fallback ??= sharp(Buffer.from(svg)).png().toBuffer().then(toFavicon);
    return this.#fallback;
  }
}

function toFavicon(body: Buffer): Favicon {
  return { body, etag: `"${createHash("sha256").update(body).digest("hex").slice(0, 16)}"` };
}
