import type { Account } from "../../account/account.entity.ts";
import type { AppBase } from "../../app/base.ts";
import { unreachable } from "../../lib/result.ts";
import { CommandError, requirePositionals, stringOption, type Command } from "../cli.ts";

/** What the CLI (and later the API) shows of an account: never key material. */
export function accountView(ctx: AppBase, account: Account) {
  return {
    username: account.username,
    handle: `@${account.username}@${ctx.config.domain}`,
    type: account.type,
    name: account.name,
    summary: account.summaryHtml,
    uri: account.uri,
    url: ctx.urls.profile(account.username),
    manuallyApprovesFollowers: account.manuallyApprovesFollowers,
    discoverable: account.discoverable,
    fields: account.fields,
    createdAt: account.createdAt,
  };
}

export const accountCreate: Command = {
  path: ["account", "create"],
  usage: "account create <username> [--type organization|person|service] [--name TEXT] [--summary TEXT]",
  summary: "create a local account (an ActivityPub actor with RSA and Ed25519 keys)",
  context: "base",
  options: { type: { type: "string" }, name: { type: "string" }, summary: { type: "string" }, json: { type: "boolean" } },
  async run(ctx, args, io) {
    const [username] = requirePositionals(args, ["<username>"]);
    const result = await ctx.services.accounts.create({
      username: username!,
      type: stringOption(args, "type"),
      name: stringOption(args, "name"),
      summary: stringOption(args, "summary"),
    });
    if (!result.ok) {
      switch (result.error) {
        case "invalid-username":
        case "username-taken":
        case "invalid-type":
        case "invalid-name":
          throw new CommandError(result.message);
        default:
          unreachable(result.error);
      }
    }
    const view = accountView(ctx, result.value);
    if (args.values.json === true) io.out(JSON.stringify(view, null, 2));
    else io.out(`created ${view.type} ${view.handle}\n  profile: ${view.url}\n  actor:   ${view.uri}`);
  },
};

export const accountList: Command = {
  path: ["account", "list"],
  usage: "account list [--json]",
  summary: "list local accounts",
  context: "base",
  options: { json: { type: "boolean" } },
  async run(ctx, args, io) {
    requirePositionals(args, []);
    const views = (await ctx.services.accounts.list()).map((a) => accountView(ctx, a));
    if (args.values.json === true) return io.out(JSON.stringify(views, null, 2));
    if (views.length === 0) return io.out("no accounts yet; create one with: herold account create <username>");
    for (const v of views) io.out(`${v.handle.padEnd(40)} ${v.type.padEnd(13)} ${v.name}`);
  },
};

export const accountShow: Command = {
  path: ["account", "show"],
  usage: "account show <username> [--json]",
  summary: "show one local account",
  context: "base",
  options: { json: { type: "boolean" } },
  async run(ctx, args, io) {
    const [username] = requirePositionals(args, ["<username>"]);
    const account = await ctx.services.accounts.get(username!);
    if (account === null) throw new CommandError(`no local account ${JSON.stringify(username)}`);
    const view = accountView(ctx, account);
    if (args.values.json === true) return io.out(JSON.stringify(view, null, 2));
    io.out(
      [
        `${view.name} (${view.handle})`,
        `  type:     ${view.type}`,
        `  profile:  ${view.url}`,
        `  actor:    ${view.uri}`,
        `  approves followers manually: ${view.manuallyApprovesFollowers ? "yes" : "no"}`,
        `  created:  ${view.createdAt}`,
      ].join("\n"),
    );
  },
};
