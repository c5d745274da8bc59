/**
 * What must hold of the database whatever hostile input reached the inbox (the hostile-input suite
 * and the fuzzer check it after every batch). Test support; not imported by production code.
 *
 * - every stored post and interaction belongs to an actor that exists; a remote row never claims a
 *   local actor, and a remote post's id is an http(s) URL on its actor's origin;
 * - remote HTML is sanitised: running the sanitiser again changes nothing, and no element,
 *   attribute or URL scheme outside the allow-list appears;
 * - one-line texts (names, content warnings, alt texts, poll options) hold no markup, controls or
 *   bidi overrides;
 * - counts and lengths stay within the configured caps (tags, mentions, emoji, attachments, poll
 *   options, string lengths);
 * - actors' inboxes, collections and keys are on their own origin;
 * - queue payloads carry no private keys.
 */
import type { Kysely } from "kysely";
import type { Limits } from "../config/config.ts";
import { sanitizeRemoteHtml, stripInvisible } from "../content/sanitize.ts";
import { htmlToPlainText } from "../content/text.ts";
import { MAX_IRI_LENGTH, parseIri } from "../content/validate.ts";
import type { DB } from "../db/schema.ts";

export interface Violation {
  readonly rule: string;
  readonly row: string;
  readonly detail: string;
}

/** Elements the remote-HTML sanitiser may emit (sanitize.ts ALLOWED_TAGS). */
const ALLOWED_ELEMENTS = new Set(["p", "br", "span", "a", "del", "s", "pre", "blockquote", "code", "b", "strong", "u", "i", "em", "ul", "ol", "li", "ruby", "rt", "rp"]);
const ALLOWED_ATTRIBUTES = new Set(["href", "rel", "target", "class", "translate", "lang", "start", "reversed", "value"]);
const TEXT_FORBIDDEN = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\u202a-\u202e\u2066-\u2069\u200b\ufeff]/;

/**
 * Checks the whole database, or with `since` (an ISO time) only rows written since then — the
 * fuzzer checks after every batch and must not reread everything each time.
 */
export async function checkInvariants(db: Kysely<DB>, limits: Limits, localOrigin: string, options: { since?: string } = {}): Promise<Violation[]> {
  const since = options.since ?? "";
  const violations: Violation[] = [];
  const add = (rule: string, row: string, detail: string): void => {
    if (violations.length < 200) violations.push({ rule, row, detail: detail.slice(0, 300) });
  };

  const actors = await db.selectFrom("actors").selectAll().where("updated_at", ">=", since).execute();
  const byId = new Map(actors.map((a) => [a.id, a]));
  for (const actor of actors) {
    const where = `actors ${actor.uri}`;
    const uri = parseIri(actor.uri);
    if (uri === null) {
      add("actor id is an http(s) URL", where, actor.uri);
      continue;
    }
    const local = actor.is_local === 1 || (actor.is_local as unknown) === true;
    if (local !== (uri.origin === localOrigin)) add("only local actors live on this origin", where, `is_local=${String(actor.is_local)}`);
    if (local) continue;
    for (const [column, value] of [["inbox_url", actor.inbox_url], ["shared_inbox_url", actor.shared_inbox_url], ["outbox_url", actor.outbox_url], ["followers_url", actor.followers_url], ["public_key_id", actor.public_key_id]] as const) {
      if (value === null) continue;
      const url = parseIri(value);
      if (url === null || url.origin !== uri.origin) add("actor links stay on the actor's origin", where, `${column}=${value}`);
    }
    if (actor.name !== null) checkText("actor name", where, actor.name, 100, add);
    if (actor.summary_html !== null) checkHtml("actor summary", where, actor.summary_html, limits, add);
    for (const field of parseJson<Array<{ name: string; value: string }>>(actor.fields_json) ?? []) {
      checkText("profile field name", where, field.name, 255, add);
      checkHtml("profile field value", where, field.value, limits, add);
    }
    const emojis = parseJson<unknown[]>(actor.emojis_json) ?? [];
    if (emojis.length > limits.maxTags) add("emoji within maxTags", where, `${emojis.length}`);
  }

  const posts = await db.selectFrom("posts").selectAll().where("updated_at", ">=", since).execute();
  const missing = [...new Set(posts.map((p) => p.actor_id).filter((id) => !byId.has(id)))];
  for (let i = 0; i < missing.length; i += 500) {
    for (const actor of await db.selectFrom("actors").selectAll().where("id", "in", missing.slice(i, i + 500)).execute()) byId.set(actor.id, actor);
  }
  for (const post of posts) {
    const where = `posts ${post.uri}`;
    const actor = byId.get(post.actor_id);
    if (actor === undefined) {
      add("post's actor exists", where, post.actor_id);
      continue;
    }
    const local = post.is_local === 1 || (post.is_local as unknown) === true;
    const actorLocal = actor.is_local === 1 || (actor.is_local as unknown) === true;
    if (local !== actorLocal) add("a remote post never belongs to a local actor", where, `post local=${String(post.is_local)}, actor local=${String(actor.is_local)}`);
    const uri = parseIri(post.uri);
    if (uri === null || post.uri.length > MAX_IRI_LENGTH) {
      add("post id is an http(s) URL", where, post.uri);
    } else if (uri.origin !== new URL(actor.uri).origin) {
      add("post id is on its actor's origin", where, `actor ${actor.uri}`);
    }
    if (local) continue;
    if (post.content_html !== null) checkHtml("post content", where, post.content_html, limits, add);
    if (post.summary !== null) checkText("content warning", where, post.summary, 1000, add);
    if (post.name !== null) checkText("post title", where, post.name, 500, add);
    for (const [column, value] of [["url", post.url], ["in_reply_to_uri", post.in_reply_to_uri], ["quote_uri", post.quote_uri]] as const) {
      if (value !== null && (value.length > MAX_IRI_LENGTH || !URL.canParse(value))) add("references are URLs", where, `${column}=${value.slice(0, 100)}`);
    }
    if (post.url !== null && parseIri(post.url) === null) add("a post's web address is http(s)", where, post.url);
    const poll = parseJson<{ options: Array<{ name: string }> }>(post.poll_json);
    if (poll !== null) {
      if (poll.options.length > limits.maxPollOptions) add("poll options within maxPollOptions", where, `${poll.options.length}`);
      for (const option of poll.options) checkText("poll option", where, option.name, 200, add);
    }
    const emojis = parseJson<unknown[]>(post.emojis_json) ?? [];
    if (emojis.length > limits.maxTags) add("emoji within maxTags", where, `${emojis.length}`);
    for (const column of ["to_json", "cc_json"] as const) {
      const list = parseJson<unknown[]>(post[column]);
      if (!Array.isArray(list) || list.some((entry) => typeof entry !== "string")) add("addresses are lists of strings", where, column);
    }
    if (post.raw_json !== null && post.raw_json.length > 256 * 1024) add("raw JSON is bounded", where, `${post.raw_json.length}`);
  }

  const recent = posts.map((p) => p.id);
  const counts = async (table: "post_tags" | "post_mentions" | "media"): Promise<Map<string, number>> => {
    const rows: Array<{ post_id: string | null }> = [];
    for (let i = 0; i < recent.length; i += 500) rows.push(...(await db.selectFrom(table).select("post_id").where("post_id", "in", recent.slice(i, i + 500)).execute()));
    const map = new Map<string, number>();
    for (const row of rows) if (row.post_id !== null) map.set(row.post_id, (map.get(row.post_id) ?? 0) + 1);
    return map;
  };
  for (const [postId, n] of await counts("post_tags")) if (n > limits.maxTags) add("hashtags within maxTags", `post ${postId}`, `${n}`);
  for (const [postId, n] of await counts("post_mentions")) if (n > limits.maxTags) add("mentions within maxTags", `post ${postId}`, `${n}`);
  for (const [postId, n] of await counts("media")) if (n > limits.maxAttachments) add("attachments within maxAttachments", `post ${postId}`, `${n}`);

  const media = await db.selectFrom("media").selectAll().where("file_path", "is", null).where("created_at", ">=", since).execute();
  for (const row of media) {
    if (row.remote_url !== null && parseIri(row.remote_url) === null) add("remote media URLs are http(s)", `media ${row.id}`, row.remote_url);
    if (row.description !== null) checkText("alt text", `media ${row.id}`, row.description, 1500, add);
  }

  const orphans = await db
    .selectFrom("interactions")
    .leftJoin("actors", "actors.id", "interactions.actor_id")
    .leftJoin("posts", "posts.id", "interactions.post_id")
    .select(["interactions.id", "actors.id as actor", "posts.id as post"])
    .where("interactions.created_at", ">=", since)
    .execute();
  for (const row of orphans) {
    if (row.actor === null) add("interaction's actor exists", `interactions ${row.id}`, "");
    if (row.post === null) add("interaction's post exists", `interactions ${row.id}`, "");
  }

  for (const row of await db.selectFrom("inbox_seen").select("uri").where("received_at", ">=", since).execute()) {
    if (parseIri(row.uri) === null) add("idempotency keys are activity ids", "inbox_seen", row.uri);
  }
  for (const row of await db.selectFrom("jobs").select(["id", "queue", "payload"]).where("created_at", ">=", since).execute()) {
    if (/PRIVATE KEY|"d"\s*:\s*"/.test(row.payload)) add("queue payloads carry no secrets", `jobs ${row.id}`, row.queue);
  }
  return violations;
}

function checkHtml(what: string, where: string, html: string, limits: Limits, add: (rule: string, row: string, detail: string) => void): void {
  if (sanitizeRemoteHtml(html, { maxLength: Number.MAX_SAFE_INTEGER }) !== html) add(`${what} is sanitised (idempotent)`, where, html);
  for (const match of html.matchAll(/<\/?([a-zA-Z0-9-]+)([^>]*)>/g)) {
    const tag = match[1]!.toLowerCase();
    if (!ALLOWED_ELEMENTS.has(tag)) add(`${what} holds only allowed elements`, where, tag);
    for (const attribute of match[2]!.matchAll(/([^\s"'=<>/]+)\s*=/g)) {
      if (!ALLOWED_ATTRIBUTES.has(attribute[1]!.toLowerCase())) add(`${what} holds only allowed attributes`, where, attribute[1]!);
    }
    const href = /\shref="([^"]*)"/.exec(match[2]!);
    if (href !== null && /^\s*(javascript|data|vbscript|file):/i.test(decodeEntities(href[1]!))) add(`${what} links use safe schemes`, where, href[1]!);
  }
  if (htmlToPlainText(html).length > limits.maxStringLength) add(`${what} within maxStringLength`, where, `${html.length} characters`);
}

function checkText(what: string, where: string, text: string, maxGraphemes: number, add: (rule: string, row: string, detail: string) => void): void {
  if (TEXT_FORBIDDEN.test(text)) add(`${what} is plain text without controls or bidi overrides`, where, JSON.stringify(text.slice(0, 120)));
  if (stripInvisible(text) !== text) add(`${what} holds no invisible characters`, where, JSON.stringify(text.slice(0, 120)));
  // Grapheme caps in sanitize.ts allow up to 16 code points per cluster; code units bound it loosely.
  if (text.length > maxGraphemes * 32) add(`${what} within its length cap`, where, `${text.length}`);
}

function decodeEntities(text: string): string {
  return text.replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n))).replace(/&#x([0-9a-f]+);/gi, (_, n: string) => String.fromCodePoint(Number.parseInt(n, 16))).replace(/&amp;/g, "&").replace(/&colon;/gi, ":");
}

function parseJson<T>(text: string | null): T | null {
  if (text === null) return null;
  try {
    return JSON.parse(text) as T;
  } catch {
    return null;
  }
}
