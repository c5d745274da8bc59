import { sql, type Kysely } from "kysely";
import type { DB } from "../db/schema.ts";
import type { PostRepository } from "../post/post.repository.ts";

export interface Suggestion {
  readonly label: string;
  /** What the composer inserts. */
  readonly insert: string;
}

/**
 * Mention and hashtag suggestions from what this server knows: actors it has seen (by username,
 * handle or name) and hashtags used in stored posts that `viewer` (the account acted for) may see,
 * so another account's direct messages or followers-only posts do not surface through their tags.
 * No remote lookups: typing never makes the server contact anyone. `q` starts with @ or #; at most
 * 8 results.
 */
export async function suggest(
  deps: { readonly db: Kysely<DB>; readonly posts: PostRepository },
  viewer: { readonly id: string; readonly uri: string },
  q: string,
  localDomain: string,
): Promise<Suggestion[]> {
  const { db } = deps;
  const text = q.trim().slice(0, 60);
  if (text.length < 2) return [];
  const term = text.slice(1).toLowerCase();
  if (text.startsWith("#")) {
    if (!/^[\p{L}\p{N}_]+$/u.test(term)) return [];
    const rows = await deps.posts.tagsStartingWith(term, viewer, 8);
    // Offered as first written ("#LaunchDay"), not as stored for matching ("#launchday").
    const spelled = await deps.posts.firstSpellings(rows.map((r) => r.tag), viewer);
    return rows.map((r) => {
      const tag = spelled.get(r.tag) ?? r.tag;
      return { label: `#${tag}`, insert: `#${tag}` };
    });
  }
  if (!text.startsWith("@")) return [];
  const [user, host] = term.split("@") as [string, string | undefined];
  if (!/^[\p{L}\p{N}_.-]*$/u.test(user)) return [];
  // LIKE wildcards in the term are escaped; lower(x) LIKE works on both engines.
  const userPattern = `${user.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  let query = db
    .selectFrom("actors")
    .select(["username", "domain", "name", "is_local"])
    .where("gone_at", "is", null)
    .where((eb) =>
      eb.or([sql<boolean>`lower(username) LIKE ${userPattern} ESCAPE '\\'`, sql<boolean>`lower(coalesce(name, '')) LIKE ${userPattern} ESCAPE '\\'`]),
    );
  if (host !== undefined && host !== "") query = query.where(sql<boolean>`lower(domain) LIKE ${`${host.replace(/[\\%_]/g, (c) => `\\${c}`)}%`} ESCAPE '\\'`);
  const rows = await query.orderBy("is_local", "desc").orderBy("username").limit(8).execute();
  return rows.map((r) => {
    const handle = `@${r.username}@${r.domain === localDomain ? localDomain : r.domain}`;
    return { label: r.name ? `${r.name} (${handle})` : handle, insert: handle };
  });
}
