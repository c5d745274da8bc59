import { unreachable } from "../lib/result.ts";
import { CommandError, requirePositionals, stringOption, UsageError, type Command, type Output } from "../cli/cli.ts";
import { generatePassword } from "./password.ts";
import { parseRole, ROLES } from "./user.entity.ts";

/** Reads the whole of standard input (for --password-stdin); the first line is the password. */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * `herold user create EMAIL --account USERNAME [--role owner|admin|publisher|author]`: prompt-free, for
 * scripts. The password comes from standard input (`--password-stdin`) or is generated and printed
 * once; it never appears in the process list or shell history.
 */
export const userCreate: Command = {
  path: ["user", "create"],
  usage: "user create <email> --account <username> [--role owner|admin|publisher|author] [--name TEXT] [--username NAME] [--password-stdin]",
  summary: "add a person who signs in to the web app and acts for an account",
  context: "server",
  options: {
    account: { type: "string" },
    role: { type: "string" },
    name: { type: "string" },
    username: { type: "string" },
    "password-stdin": { type: "boolean" },
  },
  async run(ctx, args, io: Output & { stdin?: () => Promise<string> }) {
    const [email] = requirePositionals(args, ["<email>"]);
    const account = stringOption(args, "account");
    if (account === undefined) throw new UsageError("--account <username> is required");
    const roleText = stringOption(args, "role") ?? "publisher";
    const role = parseRole(roleText);
    if (role === null) throw new UsageError(`--role must be one of ${ROLES.join(", ")}`);
    const fromStdin = args.values["password-stdin"] === true;
    const password = fromStdin ? ((await (io.stdin ?? readStdin)()).split(/\r?\n/)[0] ?? "") : generatePassword();
    const result = await ctx.web.users.create({
      email: email!,
      username: stringOption(args, "username"),
      displayName: stringOption(args, "name"),
      password,
      accountUsername: account,
      role,
    });
    if (!result.ok) {
      switch (result.error) {
        case "invalid-email":
        case "invalid-username":
        case "weak-password":
        case "invalid-name":
        case "taken":
        case "no-such-account":
          throw new CommandError(result.message);
        default:
          unreachable(result.error);
      }
    }
    io.out(`created ${result.value.email} as ${role} of @${account}`);
    io.out(`  sign in at ${ctx.config.origin.origin}/app/login`);
    if (!fromStdin) io.out(`  password (shown only now): ${password}`);
  },
};
