import { asArray, idOf, isObject } from "../content/validate.ts";
import { parseJson } from "../db/rows.ts";
import type { Post, Visibility } from "./post.entity.ts";
import type { FollowerPolicy } from "./post.ports.ts";
import type { PostRepository } from "./post.repository.ts";

/**
 * Who may fetch a local post or activity by its id (the pull side of federation):
 * - public and unlisted: anyone (with authorized fetch on: anyone who signs the request);
 * - followers-only: an accepted follower of the author, or an addressed actor, proven by the signature;
 * - direct: only the addressed (mentioned) actors, proven by the signature.
 * `signer` is the key owner Fedify verified, or null for an unsigned request. With authorized fetch on,
 * unsigned requests are refused before any of this (`allowsUnsigned`), with 401 rather than 404.
 */
export class PostAccess {
  readonly #followers: Pick<FollowerPolicy, "isAcceptedFollowerUri">;
  readonly #posts: PostRepository;
  readonly #authorizedFetch: boolean;

  constructor(deps: { followers: Pick<FollowerPolicy, "isAcceptedFollowerUri">; posts: PostRepository; authorizedFetch: boolean }) {
    this.#followers = deps.followers;
    this.#posts = deps.posts;
    this.#authorizedFetch = deps.authorizedFetch;
  }

  /** Anything at all needs a signature when authorized fetch is on. */
  allowsUnsigned(): boolean {
    return !this.#authorizedFetch;
  }

  /**
   * `signer` is asked for only when the answer depends on it: verifying a signature may mean fetching
   * the signer's key, which public posts do not need.
   */
  async canReadPost(post: Post, signer: Signer): Promise<boolean> {
    return await this.#canRead(post.visibility, post.actorId, signer, (uri) => this.#posts.mentions(post.id, uri));
  }

  /** A stored outbox activity: its visibility, and its own addressing for those it names. */
  async canReadActivity(row: { actorId: string; visibility: string; json: string }, signer: Signer): Promise<boolean> {
    const visibility = (["public", "unlisted", "followers"].includes(row.visibility) ? row.visibility : "direct") as Visibility;
    return await this.#canRead(visibility, row.actorId, signer, async (uri) => addressesOf(row.json).includes(uri));
  }

  async #canRead(visibility: Visibility, authorActorId: string, signerOf: Signer, addressed: (uri: string) => Promise<boolean>): Promise<boolean> {
    if (visibility === "public" || visibility === "unlisted") return true;
    const signer = typeof signerOf === "function" ? await signerOf() : signerOf;
    if (signer === null) return false;
    if (await addressed(signer)) return true;
    if (visibility !== "followers") return false;
    return await this.#followers.isAcceptedFollowerUri(authorActorId, signer);
  }
}

/** The verified key owner of the request (null: unsigned or invalid), or a function that finds it out. */
export type Signer = string | null | (() => Promise<string | null>);

/** Every actor id in `to`, `cc`, `bto`, `bcc` and `audience` of a stored document. */
function addressesOf(json: string): string[] {
  const document = parseJson<unknown>(json, null);
  if (!isObject(document)) return [];
  const out: string[] = [];
  for (const key of ["to", "cc", "bto", "bcc", "audience"]) {
    for (const item of asArray(document[key], 1000)) {
      const id = idOf(item);
      if (id !== null) out.push(id);
    }
  }
  return out;
}
