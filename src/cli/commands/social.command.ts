import type { AppContext } from "../../app/context.ts";
import type { Actor } from "../../actor/actor.entity.ts";
import { unreachable, type Result } from "../../lib/result.ts";
import type { FollowWithActor } from "../../social/follow.entity.ts";
import type { NotificationEntry } from "../../social/notification.repository.ts";
import { CommandError, requirePositionals, stringOption, UsageError, type Command, type Output } from "../cli.ts";

/** How an actor appears in CLI output: `@user@host`. */
const at = (actor: Pick<Actor, "handle">): string => `@${actor.handle}`;

/**
 * The social services' typed errors (unknown account, unresolvable target, already following …) are
 * all failures the operator can act on: each becomes its one-line message and exit code 1.
 */
function orFail<T, E extends string>(result: Result<T, E>): T {
  if (result.ok) return result.value;
  throw new CommandError(result.message);
}

export const follow: Command = {
  path: ["follow"],
  usage: "follow <account> <target> [--json]",
  summary: "follow an account (@user@host, user@host or actor URL); pending until it accepts",
  context: "server",
  options: { json: { type: "boolean" } },
  async run(ctx, args, io) {
    const [username, target] = requirePositionals(args, ["<account>", "<target>"]);
    const { follow: row, target: actor } = orFail(await ctx.social.follows.follow(username!, target!));
    if (args.values.json === true) return io.out(JSON.stringify({ target: actorView(actor), state: row.state, followUri: row.uri }, null, 2));
    io.out(row.state === "accepted" ? `${username} now follows ${at(actor)}` : `follow request sent to ${at(actor)}; pending until it is accepted`);
  },
};

export const unfollow: Command = {
  path: ["unfollow"],
  usage: "unfollow <account> <target>",
  summary: "stop following an account, or withdraw a pending follow request",
  context: "server",
  async run(ctx, args, io) {
    const [username, target] = requirePositionals(args, ["<account>", "<target>"]);
    const { follow: row, target: actor } = orFail(await ctx.social.follows.unfollow(username!, target!));
    io.out(row.state === "accepted" ? `${username} no longer follows ${at(actor)}` : `follow request to ${at(actor)} withdrawn`);
  },
};

export const block: Command = {
  path: ["block"],
  usage: "block <account> <target>",
  summary: "block an account: ends follows both ways and tells its server",
  context: "server",
  async run(ctx, args, io) {
    const [username, target] = requirePositionals(args, ["<account>", "<target>"]);
    const { target: actor } = orFail(await ctx.social.blocks.block(username!, target!));
    io.out(`${username} now blocks ${at(actor)}`);
  },
};

export const unblock: Command = {
  path: ["unblock"],
  usage: "unblock <account> <target>",
  summary: "lift a block",
  context: "server",
  async run(ctx, args, io) {
    const [username, target] = requirePositionals(args, ["<account>", "<target>"]);
    const { target: actor } = orFail(await ctx.social.blocks.unblock(username!, target!));
    io.out(`${username} no longer blocks ${at(actor)}`);
  },
};

export const blocks: Command = {
  path: ["blocks"],
  usage: "blocks <account> [--json]",
  summary: "list the accounts an account blocks",
  context: "server",
  options: { json: { type: "boolean" } },
  async run(ctx, args, io) {
    const [username] = requirePositionals(args, ["<account>"]);
    const list = orFail(await ctx.social.blocks.listBlocked(username!));
    if (args.values.json === true) return io.out(JSON.stringify(list.map(({ block: b, actor }) => ({ ...actorView(actor), since: b.createdAt })), null, 2));
    if (list.length === 0) return io.out(`${username} blocks nobody`);
    for (const { block: b, actor } of list) io.out(`${at(actor).padEnd(40)} since ${b.createdAt}`);
  },
};

export const followers: Command = {
  path: ["followers"],
  usage: "followers <account> [--pending] [--json]",
  summary: "list accepted followers, or with --pending the open follow requests",
  context: "server",
  options: { pending: { type: "boolean" }, json: { type: "boolean" } },
  async run(ctx, args, io) {
    const [username] = requirePositionals(args, ["<account>"]);
    const pending = args.values.pending === true;
    const items = await allPages((before) => ctx.social.follows.listFollowers(username!, { pending, limit: 200, before }));
    printFollows(io, items, args.values.json === true, pending ? `${username} has no pending follow requests` : `${username} has no followers yet`);
  },
};

export const followersApprove: Command = {
  path: ["followers", "approve"],
  usage: "followers approve <account> <actor>",
  summary: "accept a pending follow request",
  context: "server",
  async run(ctx, args, io) {
    const [username, actor] = requirePositionals(args, ["<account>", "<actor>"]);
    const { follower } = orFail(await ctx.social.follows.approve(username!, actor!));
    io.out(`${at(follower)} now follows ${username}`);
  },
};

export const followersReject: Command = {
  path: ["followers", "reject"],
  usage: "followers reject <account> <actor>",
  summary: "reject a pending follow request, or remove a follower",
  context: "server",
  async run(ctx, args, io) {
    const [username, actor] = requirePositionals(args, ["<account>", "<actor>"]);
    const { follower, wasAccepted } = orFail(await ctx.social.follows.reject(username!, actor!));
    io.out(wasAccepted ? `${at(follower)} removed from the followers of ${username}` : `follow request from ${at(follower)} rejected`);
  },
};

export const following: Command = {
  path: ["following"],
  usage: "following <account> [--json]",
  summary: "list the accounts an account follows (and pending requests)",
  context: "server",
  options: { json: { type: "boolean" } },
  async run(ctx, args, io) {
    const [username] = requirePositionals(args, ["<account>"]);
    const items = await allPages((before) => ctx.social.follows.listFollowing(username!, { limit: 200, before }));
    printFollows(io, items, args.values.json === true, `${username} follows nobody yet`);
  },
};

export const notifications: Command = {
  path: ["notifications"],
  usage: "notifications <account> [--limit N] [--json]",
  summary: "follows, follow requests, likes, boosts, replies, quotes, mentions and reactions, newest first",
  context: "server",
  options: { limit: { type: "string" }, json: { type: "boolean" } },
  async run(ctx, args, io) {
    const [username] = requirePositionals(args, ["<account>"]);
    const limitText = stringOption(args, "limit");
    if (limitText !== undefined && !/^\d{1,4}$/.test(limitText)) throw new UsageError(`--limit must be a number from 1 to 200, got ${JSON.stringify(limitText)}`);
    const limit = limitText === undefined ? 40 : Number(limitText);
    if (limit < 1 || limit > 200) throw new UsageError(`--limit must be a number from 1 to 200, got ${limit}`);
    const list = orFail(await ctx.social.notifications.list(username!, { limit }));
    if (args.values.json === true) return io.out(JSON.stringify(list.map(notificationView), null, 2));
    if (list.length === 0) return io.out(`${username} has no notifications`);
    for (const n of list) io.out(`${n.createdAt}  ${describe(n, username!)}`);
  },
};

export const socialCommands: readonly Command[] = [follow, unfollow, block, unblock, blocks, followers, followersApprove, followersReject, following, notifications];

function actorView(actor: Actor) {
  return { handle: at(actor), uri: actor.uri, name: actor.name, url: actor.url };
}

async function allPages(page: (before: string | null) => Promise<Result<{ items: readonly FollowWithActor[]; next: string | null }, "unknown-account">>): Promise<FollowWithActor[]> {
  const items: FollowWithActor[] = [];
  let before: string | null = null;
  do {
    const result: { items: readonly FollowWithActor[]; next: string | null } = orFail(await page(before));
    items.push(...result.items);
    before = result.next;
  } while (before !== null);
  return items;
}

function printFollows(io: Output, items: readonly FollowWithActor[], json: boolean, empty: string): void {
  if (json) {
    io.out(JSON.stringify(items.map(({ follow: f, actor }) => ({ ...actorView(actor), state: f.state, since: f.acceptedAt ?? f.createdAt })), null, 2));
    return;
  }
  if (items.length === 0) return io.out(empty);
  for (const { follow: f, actor } of items) io.out(`${at(actor).padEnd(40)} ${f.state.padEnd(9)} since ${f.acceptedAt ?? f.createdAt}`);
}

function notificationView(n: NotificationEntry) {
  return {
    id: n.id,
    kind: n.kind,
    createdAt: n.createdAt,
    from: { handle: `@${n.from.handle}`, uri: n.from.uri, name: n.from.name },
    post: n.post,
    content: n.content,
    objectUri: n.objectUri,
  };
}

/** One readable line per notification: who did what to which post. */
function describe(n: NotificationEntry, username: string): string {
  const who = `@${n.from.handle}`;
  const post = n.post?.uri ?? "a post";
  switch (n.kind) {
    case "follow":
      return `${who} followed you`;
    case "follow_request":
      return `${who} asked to follow you (herold followers approve ${username} ${who})`;
    case "like":
      return `${who} liked ${post}`;
    case "boost":
      return `${who} boosted ${post}`;
    case "reply":
      return `${who} replied to ${post}${n.objectUri ? `: ${n.objectUri}` : ""}`;
    case "quote":
      return `${who} quoted ${post}${n.objectUri ? ` in ${n.objectUri}` : ""}`;
    case "mention":
      return `${who} mentioned you in ${n.objectUri ?? post}`;
    case "react":
      return n.content ? `${who} reacted ${n.content} to ${post}` : `${who} reacted to ${post}`;
    case "move":
      return `${who} moved to a new account`;
    default:
      return unreachable(n.kind);
  }
}
