import type { BackupErrorCode } from "../../backup/backup.errors.ts";
import type { BackupSummary } from "../../backup/backup.service.ts";
import type { Result } from "../../lib/result.ts";
import { unreachable } from "../../lib/result.ts";
import { CommandError, requirePositionals, stringOption, UsageError, type Command, type CommandContexts } from "../cli.ts";

/**
 * `herold backup --out FILE` and `herold restore FILE [--force]` (README, Operations). They run on
 * the open database without migrating it: a backup records the state as it is, and a restore
 * needs the target empty, as no migration has touched it.
 */
export const backup: Command = {
  path: ["backup"],
  usage: "backup --out FILE",
  summary: "write one consistent archive of the database and the data directory (while Herold runs)",
  context: "database",
  options: { out: { type: "string" } },
  async run(ctx, args, io) {
    requirePositionals(args, []);
    const out = stringOption(args, "out");
    if (out === undefined || out === "") throw new UsageError("--out FILE is required");
    const result = await (await service(ctx)).backup(out);
    const summary = outcome(result);
    const { manifest } = summary;
    io.out(
      `Backup written to ${summary.file}: ${manifest.engine} database (${manifest.migrations.length} migrations${manifest.schema !== undefined ? `, schema ${manifest.schema}` : ""}), ` +
        `${manifest.files} files of the data directory (${formatBytes(manifest.bytes)}). It holds the accounts' private keys: keep it safe.`,
    );
    if (summary.skipped.length > 0) io.err(`herold: left out ${summary.skipped.length} link(s) or special file(s) in the data directory: ${summary.skipped.slice(0, 5).join(", ")}`);
  },
};

export const restore: Command = {
  path: ["restore"],
  usage: "restore FILE [--force]",
  summary: "restore a backup into an empty database and data directory (--force replaces what they hold)",
  context: "database",
  options: { force: { type: "boolean" } },
  async run(ctx, args, io) {
    const [file] = requirePositionals(args, ["FILE"]);
    const result = await (await service(ctx)).restore(file!, { force: args.values.force === true });
    const { manifest } = outcome(result);
    io.out(
      `Restored the backup of ${manifest.createdAt} (Herold ${manifest.herold}, ${manifest.engine}, ${manifest.files} files) into ${ctx.config.dataDir}. ` +
        `Start Herold as before: it applies any newer migrations, then serves the same actors with the same keys.`,
    );
  },
};

async function service(ctx: CommandContexts["database"]) {
  const [{ BackupService }, { findPgTools }, { VERSION }, { systemClock }] = await Promise.all([
    import("../../backup/backup.service.ts"),
    import("../../backup/backup.postgres.ts"),
    import("../../app/version.ts"),
    import("../../lib/time.ts"),
  ]);
  return new BackupService({ config: ctx.config, database: ctx.database, clock: systemClock, version: VERSION, tools: findPgTools(ctx.config.toolSearchPath) });
}

function outcome(result: Result<BackupSummary, BackupErrorCode>): BackupSummary {
  if (result.ok) return result.value;
  switch (result.error) {
    case "exists":
    case "invalid-archive":
    case "incompatible":
    case "tool":
    case "unsupported":
      throw new CommandError(result.message);
    default:
      return unreachable(result.error);
  }
}

function formatBytes(bytes: number): string {
  if (bytes < 1024 * 1024) return `${Math.ceil(bytes / 1024)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
