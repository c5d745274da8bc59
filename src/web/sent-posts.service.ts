import { readFile } from "node:fs/promises";
import { basename, join } from "node:path";
import type { Account } from "../account/account.entity.ts";
import type { Urls } from "../app/urls.ts";
import { htmlToPlainText } from "../content/text.ts";
import { err, ok, type Result } from "../lib/result.ts";
import { isStoredFilePath } from "../media/media.entity.ts";
import type { InteractionCounts } from "../pages/post.view.ts";
import type { Post } from "../post/post.entity.ts";
import type { Page, PostEdit, PostRepository } from "../post/post.repository.ts";
import type { DeleteError, EditError, PostService } from "../post/post.service.ts";
import type { Draft } from "../post/schedule/draft.entity.ts";
import type { Editor, SaveError, ScheduleService } from "../post/schedule/schedule.service.ts";
import type { PostCounts } from "../social/interaction.repository.ts";
import { can } from "../user/user.entity.ts";

/** Sent posts per page of the list. */
export const SENT_PAGE_SIZE = 20;
/** The longest search text taken from the form. */
export const SEARCH_MAX = 200;

export interface SentImage {
  readonly url: string;
  readonly description: string;
}

/** One published post of the account, with its reach from the ledger. */
export interface SentPost {
  readonly post: Post;
  readonly counts: PostCounts;
  readonly images: readonly SentImage[];
}

export interface SentPostDetail extends SentPost {
  /** Earlier versions, oldest first. */
  readonly edits: readonly PostEdit[];
  /** The text an edit starts from: what the author typed (older posts: their plain text). */
  readonly sourceText: string;
}

export type SentChangeError = "forbidden" | EditError;
export type SentDeleteError = "forbidden" | DeleteError;
export type PostAgainError = "not-found" | "forbidden" | SaveError;

/**
 * The app's view of the account's published posts: the list with counts and search, one post with
 * its history, and the changes a team makes after publishing — edit and delete (PostService's, so
 * they federate as Update and Delete exactly as from the command line), and "post again" (a new
 * draft with the same text, content warning, images and alt texts, through ScheduleService.save).
 * Who may: editing and deleting a published post is publishing, so it needs the `publish`
 * permission; posting again makes a draft, which `draft` allows.
 */
export class SentPostsService {
  readonly #posts: Pick<PostRepository, "listSent" | "findById" | "mediaOf" | "editsOf">;
  readonly #counts: InteractionCounts;
  readonly #publisher: Pick<PostService, "edit" | "delete">;
  readonly #drafts: Pick<ScheduleService, "save">;
  readonly #urls: Urls;
  readonly #dataDir: string;

  constructor(deps: {
    posts: Pick<PostRepository, "listSent" | "findById" | "mediaOf" | "editsOf">;
    counts: InteractionCounts;
    publisher: Pick<PostService, "edit" | "delete">;
    drafts: Pick<ScheduleService, "save">;
    urls: Urls;
    dataDir: string;
  }) {
    this.#posts = deps.posts;
    this.#counts = deps.counts;
    this.#publisher = deps.publisher;
    this.#drafts = deps.drafts;
    this.#urls = deps.urls;
    this.#dataDir = deps.dataDir;
  }

  /** A page of sent posts, newest first; `text` searches text and content warnings. Three queries per page. */
  async list(account: Account, options: { text: string; before: string | null }): Promise<Page<SentPost>> {
    const page = await this.#posts.listSent(account.actorId, { text: options.text.slice(0, SEARCH_MAX), before: options.before, limit: SENT_PAGE_SIZE });
    const ids = page.items.map((p) => p.id);
    const [counts, media] = await Promise.all([this.#counts.countsOf(ids), this.#posts.mediaOf(ids)]);
    return {
      items: page.items.map((post) => ({ post, counts: counts.get(post.id) ?? { likes: 0, boosts: 0, replies: 0 }, images: this.#images(media.get(post.id) ?? []) })),
      next: page.next,
    };
  }

  async get(account: Account, postId: string): Promise<Result<SentPostDetail, "not-found">> {
    const post = await this.#own(account, postId);
    if (post === null) return err("not-found", "no such post of this account");
    const [counts, media, edits] = await Promise.all([this.#counts.countsOf([post.id]), this.#posts.mediaOf([post.id]), this.#posts.editsOf(post.id)]);
    return ok({
      post,
      counts: counts.get(post.id) ?? { likes: 0, boosts: 0, replies: 0 },
      images: this.#images(media.get(post.id) ?? []),
      edits,
      sourceText: post.sourceText ?? htmlToPlainText(post.contentHtml ?? ""),
    });
  }

  /** Replaces the text; PostService keeps the earlier version and sends an Update. */
  async edit(account: Account, editor: Editor, postId: string, text: string): Promise<Result<Post, SentChangeError>> {
    if (!can(editor.role, "publish")) return err("forbidden", "Your role lets you write drafts; a publisher edits published posts.");
    const post = await this.#own(account, postId);
    if (post === null) return err("not-found", "no such post of this account");
    return await this.#publisher.edit(account.username, post.uri, text);
  }

  /** Deletes the post; PostService answers its id with a Tombstone from now on and sends a Delete. */
  async delete(account: Account, editor: Editor, postId: string): Promise<Result<Post, SentDeleteError>> {
    if (!can(editor.role, "publish")) return err("forbidden", "Your role lets you write drafts; a publisher deletes published posts.");
    const post = await this.#own(account, postId);
    if (post === null) return err("not-found", "no such post of this account");
    return await this.#publisher.delete(account.username, post.uri);
  }

  /** A new draft with the post's text, content warning, visibility, language, images and alt texts. */
  async postAgain(account: Account, editor: Editor, postId: string): Promise<Result<Draft, PostAgainError>> {
    if (!can(editor.role, "draft")) return err("forbidden", "Your role does not allow writing drafts.");
    const post = await this.#own(account, postId);
    if (post === null) return err("not-found", "no such post of this account");
    const media = (await this.#posts.mediaOf([post.id])).get(post.id) ?? [];
    // The images go through the upload path again (decoded, re-encoded, stored under new ids): the
    // draft owns its copies, whatever happens to the post.
    const uploads: { bytes: Buffer; description: string }[] = [];
    for (const row of media) {
      if (row.file_path === null || !isStoredFilePath(row.file_path)) continue;
      uploads.push({ bytes: await readFile(join(this.#dataDir, row.file_path)), description: row.description ?? "" });
    }
    return await this.#drafts.save(account, editor, null, {
      text: post.sourceText ?? htmlToPlainText(post.contentHtml ?? ""),
      contentWarning: post.summary ?? "",
      visibility: post.visibility,
      language: post.language ?? "",
      replyTo: "",
      quote: "",
      uploads,
    });
  }

  /** The account's own published post (not a boost), or null: other accounts' posts read as unknown. */
  async #own(account: Account, postId: string): Promise<Post | null> {
    const post = await this.#posts.findById(postId);
    if (post === null || post.actorId !== account.actorId || !post.isLocal || post.boostOfId !== null || post.state !== "published") return null;
    return post;
  }

  #images(rows: readonly { id: string; file_path: string | null; description: string | null }[]): SentImage[] {
    return rows.flatMap((row) => (row.file_path !== null && isStoredFilePath(row.file_path) ? [{ url: this.#urls.media(row.id, encodeURIComponent(basename(row.file_path))), description: row.description ?? "" }] : []));
  }
}
