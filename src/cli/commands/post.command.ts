import type { Actor } from "../../actor/actor.entity.ts";
import { unreachable, type Result } from "../../lib/result.ts";
import type { Post } from "../../post/post.entity.ts";
import type { InteractError, UndoInteractionError } from "../../post/post-interaction.service.ts";
import type { DeleteError, EditError, PublishError } from "../../post/post.service.ts";
import type { TimelineEntry, TimelineError } from "../../post/timeline.service.ts";
import { CommandError, requirePositionals, stringOption, UsageError, type Command, type ParsedArgs } from "../cli.ts";

/** Every expected failure of the post commands is one the operator can act on: its message, exit code 1. */
function fail(error: PublishError | EditError | DeleteError | InteractError | UndoInteractionError | TimelineError, message: string): never {
  switch (error) {
    case "unknown-account":
    case "invalid-visibility":
    case "invalid-language":
    case "empty":
    case "too-long":
    case "reply-target":
    case "quote-target":
    case "quote-not-allowed":
    case "mention":
    case "media":
    case "poll":
    case "not-found":
    case "not-owner":
    case "not-allowed":
    case "already-done":
    case "not-done":
    case "invalid-cursor":
      throw new CommandError(message);
    default:
      return unreachable(error);
  }
}

function orFail<T, E extends PublishError | EditError | DeleteError | InteractError | UndoInteractionError | TimelineError>(result: Result<T, E>): T {
  if (result.ok) return result.value;
  return fail(result.error, result.message);
}

function strings(args: ParsedArgs, name: string): string[] {
  const value = args.values[name];
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === "string");
}

export const post: Command = {
  path: ["post"],
  usage:
    "post <account> <text> [--visibility public|unlisted|followers|direct] [--cw TEXT] [--reply-to URL] [--quote URL] [--media FILE --alt TEXT]... [--language xx] [--mention HANDLE]... [--poll OPTION --poll OPTION... [--poll-multiple] [--poll-duration SECONDS]]",
  summary: "publish a post (prints its URL); @user@host, #tags and links in the text become links",
  context: "server",
  options: {
    visibility: { type: "string" },
    cw: { type: "string" },
    "reply-to": { type: "string" },
    quote: { type: "string" },
    media: { type: "string", multiple: true },
    alt: { type: "string", multiple: true },
    language: { type: "string" },
    mention: { type: "string", multiple: true },
    poll: { type: "string", multiple: true },
    "poll-multiple": { type: "boolean" },
    "poll-duration": { type: "string" },
  },
  async run(ctx, args, io) {
    const [username, text] = requirePositionals(args, ["<account>", "<text>"]);
    const pollOptions = strings(args, "poll");
    const durationText = stringOption(args, "poll-duration");
    if (pollOptions.length === 0 && (durationText !== undefined || args.values["poll-multiple"] === true)) {
      throw new UsageError("--poll-duration and --poll-multiple describe a poll: give its options with --poll OPTION (twice or more)");
    }
    if (durationText !== undefined && !/^\d{1,9}$/.test(durationText)) throw new UsageError(`--poll-duration takes whole seconds, not ${JSON.stringify(durationText)}`);
    const files = strings(args, "media");
    const alts = strings(args, "alt");
    if (alts.length > files.length) throw new UsageError("--alt describes a --media file: give one --media FILE for each --alt TEXT");
    const created = orFail(
      await ctx.posts.service.publish({
        username: username!,
        text: text!,
        visibility: stringOption(args, "visibility") ?? "public",
        contentWarning: stringOption(args, "cw") ?? null,
        language: stringOption(args, "language") ?? null,
        replyTo: stringOption(args, "reply-to") ?? null,
        quote: stringOption(args, "quote") ?? null,
        media: files.map((path, i) => ({ path, description: alts[i] ?? null })),
        mentions: strings(args, "mention"),
        poll: pollOptions.length === 0 ? null : { options: pollOptions, multiple: args.values["poll-multiple"] === true, ...(durationText === undefined ? {} : { durationSeconds: Number(durationText) }) },
      }),
    );
    io.out(created.uri);
  },
};

export const edit: Command = {
  path: ["edit"],
  usage: "edit <account> <post-url> <text>",
  summary: "replace the text of a post (the previous version is kept; followers get an Update)",
  context: "server",
  async run(ctx, args, io) {
    const [username, url, text] = requirePositionals(args, ["<account>", "<post-url>", "<text>"]);
    const updated = orFail(await ctx.posts.service.edit(username!, url!, text!));
    io.out(`edited ${updated.uri}`);
  },
};

export const remove: Command = {
  path: ["delete"],
  usage: "delete <account> <post-url>",
  summary: "delete a post (its URL then answers 410 Gone; followers get a Delete)",
  context: "server",
  async run(ctx, args, io) {
    const [username, url] = requirePositionals(args, ["<account>", "<post-url>"]);
    const deleted = orFail(await ctx.posts.service.delete(username!, url!));
    io.out(`deleted ${deleted.uri}`);
  },
};

function interaction(name: "like" | "unlike" | "boost" | "unboost", summary: string, done: string): Command {
  return {
    path: [name],
    usage: `${name} <account> <url>`,
    summary,
    context: "server",
    async run(ctx, args, io) {
      const [username, url] = requirePositionals(args, ["<account>", "<url>"]);
      const service = ctx.posts.interactions;
      const target =
        name === "like"
          ? orFail(await service.like(username!, url!))
          : name === "boost"
            ? orFail(await service.boost(username!, url!))
            : name === "unlike"
              ? orFail(await service.unlike(username!, url!))
              : orFail(await service.unboost(username!, url!));
      io.out(`${done} ${target.uri}`);
    },
  };
}

export const like = interaction("like", "like a post on any server (by its URL)", "liked");
export const unlike = interaction("unlike", "take back a like", "no longer liked:");
export const boost = interaction("boost", "boost a public post on any server (by its URL)", "boosted");
export const unboost = interaction("unboost", "take back a boost", "no longer boosted:");

export const timeline: Command = {
  path: ["timeline"],
  usage: "timeline <account> [--limit N] [--before CURSOR] [--json]",
  summary: "posts and boosts of the accounts an account follows, newest first",
  context: "server",
  options: { json: { type: "boolean" }, limit: { type: "string" }, before: { type: "string" } },
  async run(ctx, args, io) {
    const [username] = requirePositionals(args, ["<account>"]);
    // sanitize-html is loaded on use: `help` imports this module.
    const { htmlToPlainText } = await import("../../content/text.ts");
    const limitText = stringOption(args, "limit");
    if (limitText !== undefined && !/^\d{1,3}$/.test(limitText)) throw new UsageError("--limit must be a number from 1 to 200");
    const page = orFail(
      await ctx.posts.timeline.list(username!, { limit: limitText === undefined ? 40 : Number(limitText), before: stringOption(args, "before") ?? null }),
    );
    if (args.values.json === true) return io.out(JSON.stringify({ items: page.entries.map((entry) => entryView(entry, htmlToPlainText)), next: page.next }, null, 2));
    if (page.entries.length === 0) return io.out(`${username}'s timeline is empty`);
    for (const entry of page.entries) {
      const who = entry.boostedBy ? `${at(entry.boostedBy)} boosted ${at(entry.author)}` : at(entry.author);
      const cw = entry.post.summary ? `[CW: ${entry.post.summary}] ` : "";
      const text = htmlToPlainText(entry.post.contentHtml ?? "").replace(/\s+/g, " ").trim();
      io.out(`${entry.at}  ${who}  (${entry.post.visibility})\n  ${cw}${entry.post.name ? `${entry.post.name}: ` : ""}${text}\n  ${entry.post.url ?? entry.post.uri}`);
    }
    if (page.next !== null) io.out(`more: --before ${page.next}`);
  },
};

const at = (actor: Pick<Actor, "handle">): string => `@${actor.handle}`;

function actorView(actor: Actor) {
  return { uri: actor.uri, handle: at(actor), name: actor.name };
}

function entryView(entry: TimelineEntry, htmlToPlainText: (html: string) => string) {
  return {
    at: entry.at,
    boostedBy: entry.boostedBy ? actorView(entry.boostedBy) : null,
    post: postView(entry.post, htmlToPlainText),
    author: actorView(entry.author),
  };
}

function postView(p: Post, htmlToPlainText: (html: string) => string) {
  return {
    uri: p.uri,
    url: p.url,
    type: p.type,
    visibility: p.visibility,
    contentWarning: p.summary,
    sensitive: p.sensitive,
    title: p.name,
    content: p.contentHtml,
    text: htmlToPlainText(p.contentHtml ?? ""),
    language: p.language,
    inReplyTo: p.inReplyToUri,
    quote: p.quoteUri,
    poll: p.poll,
    card: p.card,
    publishedAt: p.publishedAt,
    editedAt: p.editedAt,
  };
}

export const postCommands: readonly Command[] = [post, edit, remove, like, unlike, boost, unboost, timeline];
